import type { Command } from 'commander';
import { LakestreamError } from '../../common/errors.js';
import type { ClientOptions } from '../common.js';
import { clientCommand, openConnection, openTable, ProgressBar, readJsonLines } from '../common.js';

/**
 * `lakestream append db.t [file.jsonl|-]` and `lakestream upsert db.t [file.jsonl|-]`: rows as JSON
 * objects, one a line, written in batches with back-pressure. For upsert, a line whose
 * `_change_type` is `-D` deletes its key and `-U` lines are skipped, so a `tail` of a primary-key
 * table replays into another; system columns are ignored, so a tail of a log table re-appends.
 */
export function registerWrite(program: Command, kind: 'append' | 'upsert'): void {
  const what = kind === 'append' ? 'append JSON-lines rows to a log table' : 'upsert (and delete) JSON-lines rows in a primary-key table';
  clientCommand(program, `${kind} <table> [file]`, `${what}; file '-' or absent reads stdin`)
    .option('--batch-rows <n>', 'rows per request at most', (v) => Number(v), 10_000)
    .action(async (table: string, file: string | undefined, opts: ClientOptions & { batchRows: number }) => {
      const conn = openConnection(opts);
      const t = await openTable(conn, table);
      requireKind(t.description.kind, kind, table);
      const source = readJsonLines(file);
      const showBar = file !== undefined && file !== '-';
      const bar = new ProgressBar(`${kind} ${table}`);
      let rows = 0;
      let deletes = 0;
      const writer = kind === 'append' ? t.appendWriter({ batchRows: opts.batchRows }) : t.upsertWriter({ batchRows: opts.batchRows });
      for await (const { value } of source.lines) {
        if (kind === 'append') {
          void (writer as ReturnType<typeof t.appendWriter>).append(value);
        } else {
          const w = writer as ReturnType<typeof t.upsertWriter>;
          const type = value._change_type;
          if (type === '-U') continue;
          if (type === '-D') {
            deletes++;
            void w.delete(Object.fromEntries(t.description.primaryKey.map((k) => [k, value[k]])));
          } else {
            void w.upsert(value);
          }
        }
        rows++;
        if (writer.pendingRows >= opts.batchRows * 4) await writer.ready();
        if (showBar) {
          const p = source.progress();
          bar.update(rows, p.bytes, p.totalBytes);
        }
      }
      await writer.close();
      await conn.close();
      const done = kind === 'append' ? `appended ${rows} rows to ${table}` : `upserted ${rows - deletes} and deleted ${deletes} rows in ${table}`;
      if (showBar) {
        const p = source.progress();
        bar.update(rows, p.bytes, p.totalBytes, true);
        bar.done(done);
      } else {
        process.stderr.write(`${done}\n`);
      }
    });
}

/** The advice in the CLI's own terms (the client's writers would name appendWriter()/upsertWriter()). */
function requireKind(tableKind: 'log' | 'primary-key', kind: 'append' | 'upsert', table: string): void {
  if (kind === 'append' && tableKind === 'primary-key') throw new LakestreamError('UNSUPPORTED_OPERATION', `${table} has a primary key: use lakestream upsert ${table} (a '-D' _change_type line deletes)`);
  if (kind === 'upsert' && tableKind === 'log') throw new LakestreamError('UNSUPPORTED_OPERATION', `${table} is a log table: use lakestream append ${table}`);
}
