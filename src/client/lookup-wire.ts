import { Buffer } from 'node:buffer';
import type * as A from 'apache-arrow';
import { batchRows, batchToIpc, ipcToBatches, rowsToBatch } from '../common/arrow.js';
import { LakestreamError } from '../common/errors.js';
import type { Column } from '../common/schema.js';
import type { Row, Value } from '../common/values.js';

/**
 * The Arrow wire of `POST .../lookup` (pure: rows in, bytes out, and back):
 *
 *   request   content-type application/vnd.apache.arrow.stream: one batch of the primary-key columns,
 *             one row per key
 *   reply     accept application/vnd.apache.arrow.stream: the table's columns (all nullable) plus
 *             `__found` (boolean, never null); row i answers key i, all null when `__found` is false
 */
export const FOUND_COLUMN = '__found';

export function lookupRequestIpc(keyColumns: readonly Column[], keys: readonly Row[]): Uint8Array {
  return batchToIpc(rowsToBatch(keyColumns, keys));
}

function badReply(why: string): never {
  throw new LakestreamError('INTERNAL', `the server sent an unexpected lookup reply: ${why}`);
}

/** Answers in key order: the row, or null for a key that has none. */
export function lookupReplyRows(columns: readonly Column[], bytes: Uint8Array): (Row | null)[] {
  const out: (Row | null)[] = [];
  for (const batch of ipcToBatches(bytes).batches) {
    const found = batch.getChild(FOUND_COLUMN);
    if (!found || found.nullCount > 0) badReply(`no non-null ${FOUND_COLUMN} column`);
    const values = columns.map((c) => columnValues(batch, c));
    for (let i = 0; i < batch.numRows; i++) {
      if (found.get(i) !== true) {
        out.push(null);
        continue;
      }
      const row: Row = {};
      for (let j = 0; j < columns.length; j++) row[columns[j]!.name] = values[j]![i]!;
      out.push(row);
    }
  }
  return out;
}

/** Columns whose Arrow typed array holds the in-memory values as they are. */
const TYPED_AS_VALUES = new Set(['int8', 'int16', 'int32', 'int64', 'float32', 'float64']);

/**
 * One column's values in the in-memory forms, read from the Arrow buffers where that is simple
 * (numbers from the typed array, strings from the UTF-8 bytes), through Arrow JS's getters otherwise.
 * Strings are decoded by Node, not by Arrow JS, whose decoder drops a leading U+FEFF of the value.
 */
function columnValues(batch: A.RecordBatch, column: Column): Value[] {
  const vector = batch.getChild(column.name);
  if (!vector) badReply(`no column '${column.name}'`);
  const data = vector.data[0];
  if (!data || (column.type !== 'string' && !TYPED_AS_VALUES.has(column.type))) return batchRows(batch, [column.name]).map((r) => r[column.name] ?? null);
  const values: Value[] = new Array(batch.numRows);
  const typed = column.type === 'string' ? undefined : (data.values as ArrayLike<number | bigint>);
  const text = column.type === 'string' ? Buffer.from(data.values.buffer, data.values.byteOffset, data.values.byteLength) : undefined;
  // Arrow JS computes nullCount on each read: read it once.
  const valid = data.nullCount > 0 ? data.nullBitmap : undefined;
  // Arrow JS slices the offsets and fixed-width values with the data; only the bitmap keeps `offset`.
  for (let i = 0; i < batch.numRows; i++) {
    const bit = data.offset + i;
    if (valid && !((valid[bit >> 3]! >> (bit & 7)) & 1)) values[i] = null;
    else if (text) values[i] = text.toString('utf8', data.valueOffsets[i]!, data.valueOffsets[i + 1]!);
    else values[i] = typed![i]!;
  }
  return values;
}
