import { Buffer } from 'node:buffer';
import type * as A from 'apache-arrow';
import { stringsAreUtf8 } from '../common/arrow-columns.js';
import { fail } from '../common/errors.js';
import type { Column, ColumnType } from '../common/schema.js';
import { FIXED_BYTES, ROW_FORMAT_VERSION, ROW_VALUE_BYTES_MAX, varintBytes, writeVarint } from './row-codec.js';

/**
 * The stored rows (row-codec.ts's format, byte for byte what `encodeRow` writes) of a batch
 * conformed to the table's columns, encoded column by column from the Arrow buffers: no Row object,
 * no JS string, no bigint per value. Strings and binary are copied as they are (strings checked to
 * be UTF-8 once per column); the rows are views into one Buffer. Undefined for a batch whose columns
 * are slices of larger buffers (an offset into them): `encodeRow` takes those.
 */
export function storedRowsOf(columns: readonly Column[], batch: A.RecordBatch): Uint8Array[] | undefined {
  const n = batch.numRows;
  const data = columns.map((c) => batch.getChild(c.name)?.data);
  if (data.some((d) => d === undefined || d.length !== 1 || d[0]!.offset !== 0)) return undefined;
  const cols = data.map((d) => d![0]!);
  const head = 1 + varintBytes(columns.length) + Math.ceil(columns.length / 8);
  const starts = new Float64Array(n + 1);
  const sizes = new Float64Array(n).fill(head);
  cols.forEach((d, j) => addSizes(columns[j]!, d, sizes));
  for (let i = 0; i < n; i++) starts[i + 1] = starts[i]! + sizes[i]!;
  const out = Buffer.alloc(starts[n]!);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const pos = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    out[starts[i]!] = ROW_FORMAT_VERSION;
    writeVarint(out, starts[i]! + 1, columns.length);
    pos[i] = starts[i]! + head;
  }
  const bitmapAt = head - Math.ceil(columns.length / 8);
  cols.forEach((d, j) => writeColumn(columns[j]!, j, d, out, view, starts, pos, bitmapAt));
  const rows: Uint8Array[] = new Array(n);
  // Plain Uint8Array views: a Buffer's subarray is a Buffer, whose constructor costs more.
  const plain = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  for (let i = 0; i < n; i++) rows[i] = plain.subarray(starts[i]!, starts[i + 1]!);
  return rows;
}

const FIXED: Partial<Record<ColumnType, number>> = FIXED_BYTES;
const DAY_MS = 86_400_000;
const TWO_32 = 2 ** 32;

function isNull(d: A.Data, i: number): boolean {
  return d.nullCount > 0 && (d.nullBitmap![i >> 3]! & (1 << (i & 7))) === 0;
}

function addSizes(column: Column, d: A.Data, sizes: Float64Array): void {
  const n = sizes.length;
  const fixed = FIXED[column.type];
  if (fixed !== undefined) {
    for (let i = 0; i < n; i++) if (!isNull(d, i)) sizes[i]! += fixed;
    return;
  }
  const offsets = d.valueOffsets as Int32Array;
  if (column.type === 'string' && !stringsAreUtf8(d.values as Uint8Array, new DataView(offsets.buffer, offsets.byteOffset, offsets.byteLength), n)) {
    fail('INVALID_VALUE', `column '${column.name}' has a string that is not valid UTF-8`);
  }
  for (let i = 0; i < n; i++) {
    if (isNull(d, i)) continue;
    const length = offsets[i + 1]! - offsets[i]!;
    if (length > ROW_VALUE_BYTES_MAX) fail('INVALID_VALUE', `column '${column.name}': a value has at most ${ROW_VALUE_BYTES_MAX} bytes`);
    sizes[i]! += varintBytes(length) + length;
  }
}

/** Writes column `j` of every row at `pos` (advancing it), or sets its null bit. */
function writeColumn(column: Column, j: number, d: A.Data, out: Buffer, view: DataView, starts: Float64Array, pos: Float64Array, bitmapAt: number): void {
  const n = pos.length;
  const values = d.values as ArrayBufferView;
  const src = new DataView(values.buffer, values.byteOffset, values.byteLength);
  for (let i = 0; i < n; i++) {
    if (isNull(d, i)) {
      const at = starts[i]! + bitmapAt + (j >> 3);
      out[at] = out[at]! | (1 << (j & 7));
      continue;
    }
    const p = pos[i]!;
    switch (column.type) {
      case 'boolean': out[p] = ((values as Uint8Array)[i >> 3]! >> (i & 7)) & 1; break;
      case 'int8': out[p] = src.getUint8(i); break;
      case 'int16': view.setInt16(p, src.getInt16(i * 2, true), true); break;
      case 'int32': view.setInt32(p, src.getInt32(i * 4, true), true); break;
      // Floats pass through a JS number, as encodeRow's do, so a NaN's payload is the same.
      case 'float32': view.setFloat32(p, src.getFloat32(i * 4, true), true); break;
      case 'float64': view.setFloat64(p, src.getFloat64(i * 8, true), true); break;
      case 'int64':
      case 'timestamp':
        view.setInt32(p, src.getInt32(i * 8, true), true);
        view.setInt32(p + 4, src.getInt32(i * 8 + 4, true), true);
        break;
      case 'date': {
        const ms = src.getInt32(i * 4, true) * DAY_MS;
        const high = Math.floor(ms / TWO_32);
        view.setUint32(p, ms - high * TWO_32, true);
        view.setInt32(p + 4, high, true);
        break;
      }
      default: {
        const offsets = d.valueOffsets as Int32Array;
        const start = offsets[i]!;
        const end = offsets[i + 1]!;
        const q = writeVarint(out, p, end - start);
        const bytes = values as Uint8Array;
        // A `set` makes a view object per value; short values copy faster byte by byte.
        if (end - start > 64) out.set(bytes.subarray(start, end), q);
        else for (let k = start; k < end; k++) out[q + k - start] = bytes[k]!;
        pos[i] = q + end - start;
        continue;
      }
    }
    pos[i] = p + FIXED[column.type]!;
  }
}
