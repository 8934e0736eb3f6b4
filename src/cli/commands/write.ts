import fs from 'node:fs';
import { InvalidArgumentError, Option, type Command } from 'commander';
import type { AppendWriter, Table, UpsertWriter, WriteResult } from '../../client/index.js';
import { LakestreamError } from '../../common/errors.js';
import { upsertAction } from '../../common/upsert-change.js';
import type { ClientOptions } from '../common.js';
import { clientCommand, openConnection, openTable, ProgressBar } from '../common.js';
import { readJsonLines, type JsonLineSource } from '../json-lines.js';
import { WriteTally, type LineAction } from '../write-tally.js';

interface WriteOptions extends ClientOptions {
  readonly batchRows: number;
  readonly onError: 'stop' | 'skip';
  readonly rejects?: string;
  readonly fromLine: number;
  readonly dryRun: boolean;
}

/** Bad lines printed on stderr at most when they also go to --rejects. */
const REJECTS_SHOWN_MAX = 10;

function positiveInteger(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number from 1');
  return n;
}

/**
 * `lakestream append db.t [file.jsonl|-]` and `lakestream upsert db.t [file.jsonl|-]`: rows as JSON
 * objects, one a line, written in batches with back-pressure. For upsert, a line whose
 * `_change_type` is `-D` deletes its key and `-U` lines are skipped, so a `tail` of a primary-key
 * table replays into another; system columns are ignored, so a tail of a log table re-appends.
 *
 * Every line is checked against the table's schema before it is batched. A bad line stops the run
 * (`--on-error stop`): the rows before it are flushed, nothing after it is sent, and the message says
 * how many rows the server acknowledged and the `--from-line` to resume from. `--on-error skip`
 * writes the good lines and reports (or `--rejects` saves) the bad ones; `--dry-run` only checks.
 */
export function registerWrite(program: Command, kind: 'append' | 'upsert'): void {
  const what = kind === 'append' ? 'append JSON-lines rows to a log table' : 'upsert (and delete) JSON-lines rows in a primary-key table';
  clientCommand(program, `${kind} <table> [file]`, `${what}; file '-' or absent reads stdin`)
    .option('--batch-rows <n>', 'rows per request at most', (v) => Number(v), 10_000)
    .addOption(new Option('--on-error <mode>', 'a bad line: stop there (rows before it are written), or skip it and go on').choices(['stop', 'skip']).default('stop'))
    .option('--rejects <file>', 'with --on-error skip: write the bad lines, as they are, to this file')
    .option('--from-line <n>', 'skip the lines before line n (resume after a stop)', positiveInteger, 1)
    .option('--dry-run', 'check every line against the table, write nothing', false)
    .action(async (table: string, file: string | undefined, opts: WriteOptions) => {
      if (opts.rejects !== undefined && opts.onError !== 'skip') throw new LakestreamError('INVALID_PARAMETER', '--rejects needs --on-error skip (a stop writes nothing after the bad line)');
      const conn = openConnection(opts);
      const t = await openTable(conn, table);
      requireKind(t.description.kind, kind, table);
      const source = readJsonLines(file, opts.fromLine);
      const bar = source.name === 'stdin' ? undefined : new ProgressBar(`${opts.dryRun ? 'checking' : kind} ${table}`);
      const tally = await writeLines(t, kind, source, bar, opts);
      await conn.close();
      const lines = report(tally, table, kind, source.name, opts);
      if (bar) {
        const p = source.progress();
        bar.update(tally.valid, p.bytes, p.totalBytes, true);
        bar.done(lines);
      } else {
        process.stderr.write(`${lines}
`);
      }
      if (tally.firstFailure || tally.bad.length > 0) process.exitCode = 2;
    });
}

/** Reads, checks and writes every line; returns the account once the writer is closed. */
async function writeLines(t: Table, kind: 'append' | 'upsert', source: JsonLineSource, bar: ProgressBar | undefined, opts: WriteOptions): Promise<WriteTally> {
  const rejects = opts.rejects === undefined ? undefined : fs.createWriteStream(opts.rejects);
  const tally = new WriteTally(opts.fromLine);
  const writer = kind === 'append' ? t.appendWriter({ batchRows: opts.batchRows }) : t.upsertWriter({ batchRows: opts.batchRows });
  try {
    for await (const entry of source.lines) {
      // A row the server refused stops the reading too: nothing more is sent after it.
      if (tally.firstFailure) break;
      let sent: Sent;
      try {
        if ('problem' in entry) throw new Error(entry.problem);
        sent = opts.dryRun ? { action: check(writer, kind, entry.value) } : write(writer, kind, entry.value);
      } catch (e) {
        const message = (e as Error).message;
        tally.badLine(entry.line, message);
        if (opts.onError === 'stop') break;
        if (rejects) rejects.write(`${entry.text}\n`);
        if (!rejects || tally.bad.length <= REJECTS_SHOWN_MAX) process.stderr.write(`lakestream: ${source.name}:${entry.line}: ${message} (skipped)\n`);
        continue;
      }
      if (sent.action === 'skip') tally.beforeImages++;
      else track(tally, entry.line, sent.action, sent.ack);
      if (writer.pendingRows >= opts.batchRows * 4) await writer.ready();
      if (bar) {
        const p = source.progress();
        bar.update(tally.valid, p.bytes, p.totalBytes);
      }
    }
    await writer.close().catch(() => undefined); // each row's failure is in the tally already
  } finally {
    if (rejects) await new Promise((resolve) => rejects.end(resolve));
  }
  return tally;
}

/** What became of a valid line: its action, and (unless a dry run) the acknowledgement of its row. */
type Sent = { readonly action: 'skip' } | { readonly action: LineAction; readonly ack?: Promise<unknown> };

/** The line's action after checking it as the writer would convert it (throws what is wrong, naming the column). */
function check(writer: AppendWriter | UpsertWriter, kind: 'append' | 'upsert', value: Record<string, unknown>): LineAction | 'skip' {
  if (kind === 'append') {
    (writer as AppendWriter).validate(value);
    return 'append';
  }
  return (writer as UpsertWriter).validate(value);
}

/** Hands the line's row to the writer; a row that does not convert throws before anything is batched. */
function write(writer: AppendWriter | UpsertWriter, kind: 'append' | 'upsert', value: Record<string, unknown>): Sent {
  if (kind === 'append') return { action: 'append', ack: (writer as AppendWriter).tryAppend(value) };
  const action = upsertAction(value._change_type);
  const ack = (writer as UpsertWriter).tryChange(value);
  return ack ? { action: action === 'delete' ? 'delete' : 'upsert', ack } : { action: 'skip' };
}

function track(tally: WriteTally, line: number, action: LineAction, ack: Promise<unknown> | undefined): void {
  const row = tally.sent();
  ack?.then((result) => tally.acknowledged(row, action, result as WriteResult | undefined), (e: unknown) => tally.failed(row, line, e));
}

/** What the run did, for stderr: the stop (naming file:line and the column) or the summary of what the server acknowledged. */
function report(tally: WriteTally, table: string, kind: 'append' | 'upsert', source: string, opts: WriteOptions): string {
  const failure = tally.firstFailure;
  const stop = opts.onError === 'stop' ? tally.bad[0] : undefined;
  const plural = (n: number, what: string): string => `${n} ${what}${n === 1 ? '' : 's'}`;
  if (opts.dryRun) {
    const bad = tally.bad.length === 0 ? 'no bad lines' : `${plural(tally.bad.length, 'bad line')}${stop ? ` (stopped at the first: lakestream: ${source}:${stop.line}: ${stop.message})` : ''}`;
    return `dry run: ${plural(tally.valid, 'row')} valid for ${table}, ${bad}; nothing was written`;
  }
  if (failure || stop) {
    const why = failure ? `the server did not take the batch of this line: ${failure.message}` : stop!.message;
    const line = (failure ?? stop)!.line;
    return `lakestream: ${source}:${line}: ${why}\nlakestream: ${tally.stopAdvice(source, line, tally.summary(table, kind))}`;
  }
  const skipped = tally.bad.length === 0 ? '' : `; skipped ${plural(tally.bad.length, 'bad line')}${opts.rejects ? ` (written to ${opts.rejects})` : ''}`;
  return `${tally.summary(table, kind)}${skipped}`;
}

/** The advice in the CLI's own terms (the client's writers would name appendWriter()/upsertWriter()). */
function requireKind(tableKind: 'log' | 'primary-key', kind: 'append' | 'upsert', table: string): void {
  if (kind === 'append' && tableKind === 'primary-key') throw new LakestreamError('UNSUPPORTED_OPERATION', `${table} has a primary key: use lakestream upsert ${table} (a '-D' _change_type line deletes)`);
  if (kind === 'upsert' && tableKind === 'log') throw new LakestreamError('UNSUPPORTED_OPERATION', `${table} is a log table: use lakestream append ${table}`);
}
