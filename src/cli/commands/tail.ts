import type { Command } from 'commander';
import { LakestreamError } from '../../common/errors.js';
import type { ClientOptions } from '../common.js';
import { clientCommand, exitOnClosedStdout, jsonLine, onStopSignal, openConnection, openTable, parseFrom, writeOut } from '../common.js';

/**
 * `lakestream tail db.t [--from earliest|latest|full|<ms>] [--columns a,b]`: the table's log (its
 * changelog, for a primary-key table) as JSON lines with `_change_type`, `_log_offset` and
 * `_commit_timestamp`, until stopped (or `--limit` records).
 */
export function registerTail(program: Command): void {
  clientCommand(program, 'tail <table>', 'print the log / changelog of a table as JSON lines until stopped')
    .option('--from <where>', 'earliest, latest, full (current rows, then changes) or an epoch-ms timestamp', 'latest')
    .option('--columns <names>', 'comma-separated columns to print')
    .option('--limit <n>', 'exit after printing this many records', (v) => Number(v))
    .action(async (table: string, opts: ClientOptions & { from: string; columns?: string; limit?: number }) => {
      if (opts.limit !== undefined && (!Number.isInteger(opts.limit) || opts.limit < 1)) throw new LakestreamError('INVALID_PARAMETER', '--limit must be a positive integer');
      exitOnClosedStdout();
      const conn = openConnection(opts);
      const t = await openTable(conn, table);
      const columns = opts.columns ? opts.columns.split(',').map((s) => s.trim()).filter((s) => s !== '') : undefined;
      const scanner = t.scanner({ from: parseFrom(opts.from, ['earliest', 'latest', 'full', '<ms>']), ...(columns ? { columns } : {}) });
      const cols = columns ? t.description.columns.filter((c) => columns.includes(c.name)) : t.description.columns;
      const off = onStopSignal(() => scanner.stop());
      let printed = 0;
      try {
        for await (const rec of scanner) {
          const extra = { _change_type: rec.changeType, _log_offset: rec.offset >= 0n ? Number(rec.offset) : null, _commit_timestamp: rec.timestamp >= 0 ? rec.timestamp : null };
          await writeOut(jsonLine(cols, rec.row, extra));
          printed++;
          if (opts.limit !== undefined && printed >= opts.limit) break;
        }
      } finally {
        off();
        scanner.stop();
        await conn.close();
      }
    });
}
