import type { Command } from 'commander';
import { runJoin } from '../../deltajoin/run.js';
import type { RunJoinProgress } from '../../deltajoin/run.js';
import { LakestreamError } from '../../common/errors.js';
import { rowToJson } from '../../common/json-values.js';
import type { ClientOptions } from '../common.js';
import { clientCommand, exitOnClosedStdout, onStopSignal, openConnection, writeOut } from '../common.js';

function formatLag(lag: Record<number, string>): string {
  return Object.entries(lag).map(([b, n]) => `${b}:${n}`).join(' ');
}

function progressLine(p: RunJoinProgress): string {
  return `lakestream join: in ${p.changesIn.left + p.changesIn.right} (left ${p.changesIn.left}, right ${p.changesIn.right}) out ${p.upserts + p.deletes} (upserts ${p.upserts}, deletes ${p.deletes}) lookups ${p.lookups} lag left[${formatLag(p.lag.left)}] right[${formatLag(p.lag.right)}]\n`;
}

/**
 * `lakestream join --left db.orders --right db.customers --on customer_id[=id] [--into db.sink]`:
 * a delta join that runs until SIGINT/SIGTERM, then flushes the sink, saves its offsets and exits 0.
 */
export function registerJoin(program: Command): void {
  clientCommand(program, 'join', 'delta-join two primary-key tables into a sink table (or JSON lines on stdout) until stopped')
    .requiredOption('--left <table>', 'left table, db.table')
    .requiredOption('--right <table>', 'right table, db.table')
    .requiredOption('--on <columns>', 'join columns: name, or left=right, comma-separated')
    .option('--into <table>', 'sink primary-key table, db.table (default: JSON lines on stdout)')
    .option('--from <where>', 'start when no offsets are saved: full (current rows, then changes), earliest or latest', 'full')
    .option('--job <name>', 'name the offsets are saved under (default <left>~<right>~<into>)')
    .option('--reset', 'ignore saved offsets and start over from --from')
    .option('--progress-ms <ms>', 'progress on stderr every so often (0: never)', (v) => Number(v), 5000)
    .option('--settle-ms <ms>', 'wait between reading changes and looking them up', (v) => Number(v))
    .action(async (opts: ClientOptions & { left: string; right: string; on: string; into?: string; from: string; job?: string; reset?: boolean; progressMs: number; settleMs?: number }) => {
      if (!['full', 'earliest', 'latest'].includes(opts.from)) throw new LakestreamError('INVALID_PARAMETER', `--from '${opts.from}' is not full, earliest or latest`);
      if (!Number.isFinite(opts.progressMs) || opts.progressMs < 0) throw new LakestreamError('INVALID_PARAMETER', '--progress-ms must be >= 0');
      exitOnClosedStdout();
      const conn = openConnection(opts);
      const stop = new AbortController();
      const off = onStopSignal(() => stop.abort());
      try {
        const result = await runJoin({
          conn,
          left: opts.left,
          right: opts.right,
          on: opts.on,
          ...(opts.into ? { into: opts.into } : {
            emit: (change, columns) => writeOut(`${JSON.stringify({ _change_type: change.type, ...rowToJson(columns, change.row) })}\n`),
          }),
          from: opts.from as 'full' | 'earliest' | 'latest',
          ...(opts.job ? { job: opts.job } : {}),
          ...(opts.reset ? { reset: true } : {}),
          ...(opts.settleMs !== undefined ? { settleMs: opts.settleMs } : {}),
          progressEveryMs: opts.progressMs,
          onProgress: (p) => process.stderr.write(progressLine(p)),
          onInfo: (m) => process.stderr.write(`lakestream join: ${m}\n`),
          signal: stop.signal,
        });
        process.stderr.write(progressLine(result));
        process.stderr.write('lakestream join: stopped; sink flushed and offsets saved\n');
      } finally {
        off();
        await conn.close();
      }
    });
}

