import type * as A from 'apache-arrow';
import { batchRows, conformBatch, ipcToBatches } from '../common/arrow.js';
import { fail } from '../common/errors.js';
import type { RowParseOptions } from '../common/json-values.js';
import { rowFromJson } from '../common/json-values.js';
import type { Column } from '../common/schema.js';
import type { Row } from '../common/values.js';

/** A write request's body, validated against the table: either JSON rows or conformed Arrow batches. */
export type WriteInput =
  | { readonly kind: 'rows'; readonly rows: Row[] }
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
  if (body instanceof Uint8Array) {
    const { batches } = ipcToBatches(body);
    const rowCount = batches.reduce((n, b) => n + b.numRows, 0);
    if (rowCount > maxRows) fail('TOO_MANY_ROWS', `the request carries ${rowCount} rows; at most ${maxRows} per request (--max-rows-per-request)`);
    const scoped = opts.only ? columns.filter((c) => opts.only!.includes(c.name)) : columns;
    return { kind: 'arrow', batches: batches.map((b) => conformBatch(scoped, b)), rowCount };
  }
  if (!Array.isArray(body)) fail('INVALID_VALUE', 'the body must be a JSON array of row objects, or an Arrow IPC stream with content-type application/vnd.apache.arrow.stream');
  if (body.length > maxRows) fail('TOO_MANY_ROWS', `the request carries ${body.length} rows; at most ${maxRows} per request (--max-rows-per-request)`);
  return { kind: 'rows', rows: body.map((r, i) => rowFromJson(columns, r, i, opts)) };
}
