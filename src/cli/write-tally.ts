import type { WriteResult } from '../client/index.js';

/** What a line asked of the table: an append, an upsert or a delete of its key. */
export type LineAction = 'append' | 'upsert' | 'delete';

/**
 * The account of one `lakestream append|upsert` run, kept from what the server acknowledged (not
 * from what was sent): rows per action, the keys deletes actually removed (the reply's bucket `rows`),
 * the bad lines, and the first line whose row the server did not acknowledge. Pure: the command
 * feeds it, then prints `summary()` and `stopAdvice()`.
 *
 * Rows are numbered in the order they are sent (which is line order); one bit per row says whether
 * it was acknowledged, so after a failure the rows acknowledged beyond it (batches that were in
 * flight) can be counted whatever order the replies came in.
 */
export class WriteTally {
  /** Valid lines: sent, or in a dry run only checked. */
  valid = 0;
  /** `-U` lines (before-images), which an upsert skips. */
  beforeImages = 0;
  readonly bad: { readonly line: number; readonly message: string }[] = [];
  private readonly acked: Record<LineAction, number> = { append: 0, upsert: 0, delete: 0 };
  private deletedKeys = 0;
  private readonly counted = new WeakSet<WriteResult>();
  private failure: { line: number; row: number; message: string } | undefined;
  private ackBits = new Uint8Array(1024);

  /** `firstLine`: where reading started (`--from-line`). */
  constructor(readonly firstLine: number) {}

  /** A valid line's row goes to the writer: returns the row's number, for acknowledged() or failed(). */
  sent(): number {
    return this.valid++;
  }

  /** The server acknowledged the row; `result` is its batch's reply (upserts and deletes). */
  acknowledged(row: number, action: LineAction, result?: WriteResult): void {
    if (row >> 3 >= this.ackBits.length) {
      const grown = new Uint8Array(Math.max(this.ackBits.length * 2, (row >> 3) + 1));
      grown.set(this.ackBits);
      this.ackBits = grown;
    }
    this.ackBits[row >> 3]! |= 1 << (row & 7);
    this.acked[action]++;
    if (action === 'delete' && result && !this.counted.has(result)) {
      this.counted.add(result);
      this.deletedKeys += result.buckets.reduce((n, b) => n + b.rows, 0);
    }
  }

  /** The row (from `line`) was not acknowledged: the server refused its batch, or it could not be sent. */
  failed(row: number, line: number, error: unknown): void {
    if (this.failure && this.failure.row <= row) return;
    this.failure = { line, row, message: error instanceof Error ? error.message : String(error) };
  }

  badLine(line: number, message: string): void {
    this.bad.push({ line, message });
  }

  /** The first line whose row the server did not acknowledge, with why; undefined while all went well. */
  get firstFailure(): { readonly line: number; readonly message: string } | undefined {
    return this.failure;
  }

  /** Rows acknowledged, of every action. */
  get acknowledgedRows(): number {
    return this.acked.append + this.acked.upsert + this.acked.delete;
  }

  /** What the server acknowledged, e.g. `upserted 3 and deleted 1 rows in db.t (1 delete found no row)`. */
  summary(table: string, kind: 'append' | 'upsert'): string {
    if (kind === 'append') return `appended ${this.acked.append} rows to ${table}`;
    const notFound = this.acked.delete - this.deletedKeys;
    const notes = [
      ...(notFound > 0 ? [`${notFound} delete${notFound === 1 ? '' : 's'} found no row`] : []),
      ...(this.beforeImages > 0 ? [`${this.beforeImages} -U line${this.beforeImages === 1 ? '' : 's'} skipped`] : []),
    ];
    return `upserted ${this.acked.upsert} and deleted ${this.deletedKeys} rows in ${table}${notes.length > 0 ? ` (${notes.join(', ')})` : ''}`;
  }

  /**
   * After a stop at `line` of `source` (a bad line, or the first line the server did not
   * acknowledge): what was written (`summary`) and the `--from-line` to resume from.
   */
  stopAdvice(source: string, line: number, summary: string): string {
    const range = line > this.firstLine ? ` from lines ${this.firstLine}-${line - 1}` : '';
    const beyond = this.failure ? this.ackedBeyond(this.failure.row) : 0;
    const after = beyond > 0
      ? `; ${beyond} rows after line ${line} were acknowledged too (they were in flight): resuming writes them again`
      : `; nothing from line ${line} on was written`;
    return `stopped at ${source}:${line}: ${summary}${range}${after}. Fix line ${line}, then resume with --from-line ${line}`;
  }

  private ackedBeyond(row: number): number {
    let n = 0;
    for (let r = row + 1; r < this.valid; r++) if ((this.ackBits[r >> 3]! & (1 << (r & 7))) !== 0) n++;
    return n;
  }
}
