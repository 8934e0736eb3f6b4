import type { Command } from 'commander';
import type { Connection, LogScanner, StartPosition, Table } from '../../client/index.js';
import { sleep } from '../../client/retry.js';
import { LakestreamError } from '../../common/errors.js';
import type { ClientOptions } from '../common.js';
import { clientCommand, exitOnClosedStdout, jsonLine, onStopSignal, openConnection, openTable, parseFrom, writeOut } from '../common.js';

/** Pause between two attempts to reach a server that went away. */
const RECONNECT_PAUSE_MS = 500;

type TailOptions = ClientOptions & { from: string; columns?: string; limit?: number };

/**
 * `lakestream tail db.t [--from earliest|latest|full|<ms>] [--columns a,b]`: the table's log (its
 * changelog, for a primary-key table) as JSON lines with `_change_type`, `_log_offset` and
 * `_commit_timestamp`, until stopped (or `--limit` records). When the server goes away (a restart),
 * it waits for it and resumes from the last record printed: nothing twice, nothing skipped.
 */
export function registerTail(program: Command): void {
  clientCommand(program, 'tail <table>', 'print the log / changelog of a table as JSON lines until stopped')
    .option('--from <where>', 'earliest, latest, full (current rows, then changes) or an epoch-ms timestamp', 'latest')
    .option('--columns <names>', 'comma-separated columns to print')
    .option('--limit <n>', 'exit after printing this many records', (v) => Number(v))
    .action(async (table: string, opts: TailOptions) => {
      if (opts.limit !== undefined && (!Number.isInteger(opts.limit) || opts.limit < 1)) throw new LakestreamError('INVALID_PARAMETER', '--limit must be a positive integer');
      exitOnClosedStdout();
      const conn = openConnection(opts);
      const t = await openTable(conn, table);
      if (process.stderr.isTTY) process.stderr.write(`tailing ${table} at ${conn.url} from ${opts.from}; waiting for records (Ctrl-C to stop)\n`);
      try {
        await tailUntilStopped(conn, t, opts);
      } finally {
        await conn.close();
      }
    });
}

async function tailUntilStopped(conn: Connection, t: Table, opts: TailOptions): Promise<void> {
  const columns = opts.columns ? opts.columns.split(',').map((s) => s.trim()).filter((s) => s !== '') : undefined;
  const cols = columns ? t.description.columns.filter((c) => columns.includes(c.name)) : t.description.columns;
  const stopping = new AbortController();
  let scanner: LogScanner | undefined;
  const off = onStopSignal(() => {
    stopping.abort();
    scanner?.stop();
  });
  let from: StartPosition = parseFrom(opts.from, ['earliest', 'latest', 'full', '<ms>']);
  let printed = 0;
  try {
    for (;;) {
      scanner = t.scanner({ from, ...(columns ? { columns } : {}) });
      try {
        for await (const rec of scanner) {
          const extra = { _change_type: rec.changeType, _log_offset: rec.offset >= 0n ? Number(rec.offset) : null, _commit_timestamp: rec.timestamp >= 0 ? rec.timestamp : null };
          await writeOut(jsonLine(cols, rec.row, extra));
          printed++;
          if (opts.limit !== undefined && printed >= opts.limit) return;
        }
        return;
      } catch (e) {
        const positions = scanner.positions();
        // Mid-snapshot (`full`) there is no offset to resume from without printing rows twice.
        if (!(e instanceof LakestreamError && e.retriable) || stopping.signal.aborted || Object.keys(positions).length < scanner.buckets.length) throw e;
        process.stderr.write(`lakestream: lost the server at ${conn.url} (${e.message}); reconnecting, the tail resumes where it stopped\n`);
        from = { offsets: positions };
        await waitForServer(conn, stopping.signal);
        if (stopping.signal.aborted) return;
        process.stderr.write(`lakestream: reconnected to ${conn.url}\n`);
      } finally {
        scanner.stop();
      }
    }
  } finally {
    off();
  }
}

/** Returns once the server answers /v1/health again (or on stop); the client retries inside each call. */
async function waitForServer(conn: Connection, signal: AbortSignal): Promise<void> {
  while (!signal.aborted) {
    try {
      await conn.health();
      return;
    } catch (e) {
      if (!(e instanceof LakestreamError && e.retriable)) throw e;
      await sleep(RECONNECT_PAUSE_MS, signal);
    }
  }
}
