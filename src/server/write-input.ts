import type * as A from 'apache-arrow';
import { batchRows, conformBatch, ipcToBatches } from '../common/arrow.js';
import { fail } from '../common/errors.js';
import type { RowParseOptions } from '../common/json-values.js';
import { rowFromJson } from '../common/json-values.js';
import type { Column } from '../common/schema.js';
import type { Row } from '../common/values.js';

/** A write request's body, validated against the table: either JSON rows or conformed Arrow batches. */
export type WriteInput =
  | { readonly kind: 'rows'; readonly rows: Row[]; readonly deletes?: readonly boolean[] }
  | { readonly kind: 'arrow'; readonly batches: A.RecordBatch[]; readonly rowCount: number };

export function writeInputRowCount(input: WriteInput): number {
  return input.kind === 'rows' ? input.rows.length : input.rowCount;
}

export function writeInputRows(input: WriteInput): Row[] {
  return input.kind === 'rows' ? input.rows : input.batches.flatMap((b) => batchRows(b));
}

/** Parses and validates the whole body before anything is written: a refused request writes nothing. */
export function parseWriteInput(
  body: unknown,
  columns: readonly Column[],
  maxRows: number,
  opts: RowParseOptions = {},
): WriteInput {
  if (body instanceof Uint8Array) return arrowWriteInput(ipcToBatches(body).batches, columns, maxRows, opts);
  return { kind: 'rows', rows: jsonRowObjects(body, maxRows).map((r, i) => rowFromJson(columns, r, i, opts)) };
}

/** The body as a JSON array of at most `maxRows` entries (each checked later, by rowFromJson). */
export function jsonRowObjects(body: unknown, maxRows: number): unknown[] {
  if (!Array.isArray(body)) fail('INVALID_VALUE', 'the body must be a JSON array of row objects, or an Arrow IPC stream with content-type application/vnd.apache.arrow.stream');
  checkRowCount(body.length, maxRows);
  return body;
}

/** Decoded Arrow batches conformed to the table (or to the `only` columns). */
export function arrowWriteInput(batches: A.RecordBatch[], columns: readonly Column[], maxRows: number, opts: RowParseOptions = {}): WriteInput {
  const rowCount = batches.reduce((n, b) => n + b.numRows, 0);
  checkRowCount(rowCount, maxRows);
  const scoped = opts.only ? columns.filter((c) => opts.only!.includes(c.name)) : columns;
  return { kind: 'arrow', batches: batches.map((b) => conformBatch(scoped, b)), rowCount };
}

export function checkRowCount(rows: number, maxRows: number): void {
  if (rows > maxRows) fail('TOO_MANY_ROWS', `the request carries ${rows} rows; at most ${maxRows} per request (--max-rows-per-request)`);
}
