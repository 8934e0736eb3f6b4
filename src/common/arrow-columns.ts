/**
 * One column of a record batch as raw Arrow buffers, the unit a projected read moves from a segment
 * file to a response, and an append from a request to its buckets, without building Arrow objects:
 * checked against the column type before use, and sliced when a fetch starts or stops inside a batch
 * (Arrow IPC has no slice offset, so a sliced bitmap is re-aligned and sliced string offsets are
 * rebased). `columnOfData` takes the buffers of an Arrow JS column.
 */
import { isUtf8 } from 'node:buffer';
import type * as A from 'apache-arrow';
import type { ColumnType } from './schema.js';

export interface ColumnBuffers {
  readonly nullCount: number;
  /** In Arrow body order: validity (empty when there are no nulls), then offsets for variable-width, then data. */
  readonly buffers: readonly Uint8Array[];
}

/** Bytes per value of the fixed-width types (boolean is bits, strings and binary are variable). */
export const BYTE_WIDTH: Partial<Record<ColumnType, number>> = {
  int8: 1, int16: 2, int32: 4, int64: 8, float32: 4, float64: 8, date: 4, timestamp: 8,
};

const EMPTY = new Uint8Array(0);
const CONTINUATION_MASK = 0xc0;
const CONTINUATION = 0x80;

export function isVariable(type: ColumnType): boolean {
  return type === 'string' || type === 'binary';
}

export function bufferCount(type: ColumnType): number {
  return isVariable(type) ? 3 : 2;
}

function int32s(bytes: Uint8Array): Int32Array {
  // Buffers read from a file land at any byte offset; Int32Array needs 4-byte alignment.
  return bytes.byteOffset % 4 === 0
    ? new Int32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >>> 2)
    : new Int32Array(Uint8Array.prototype.slice.call(bytes).buffer, 0, bytes.byteLength >>> 2); // a copy, also for a Buffer
}

/** Why `col` cannot be a `length`-row column of `type`, or undefined when its buffers fit. */
export function columnProblem(type: ColumnType, col: ColumnBuffers, length: number): string | undefined {
  if (col.buffers.length !== bufferCount(type)) return `${col.buffers.length} buffers for a ${type} column`;
  if (col.nullCount < 0 || col.nullCount > length) return `null count ${col.nullCount} for ${length} rows`;
  const bitmapBytes = Math.ceil(length / 8);
  if (col.nullCount > 0 && col.buffers[0]!.length < bitmapBytes) return `validity bitmap of ${col.buffers[0]!.length} bytes for ${length} rows`;
  const data = col.buffers[col.buffers.length - 1]!;
  if (type === 'boolean') return data.length < bitmapBytes ? `boolean data of ${data.length} bytes for ${length} rows` : undefined;
  if (!isVariable(type)) {
    const need = length * BYTE_WIDTH[type]!;
    return data.length < need ? `${type} data of ${data.length} bytes, need ${need}` : undefined;
  }
  if (col.buffers[1]!.length < (length + 1) * 4) return `offsets of ${col.buffers[1]!.length} bytes for ${length} rows`;
  const offsets = int32s(col.buffers[1]!);
  if (offsets[0]! < 0 || offsets[length]! < offsets[0]! || offsets[length]! > data.length) {
    return `offsets [${offsets[0]}, ${offsets[length]}] outside ${data.length} data bytes`;
  }
  return undefined;
}

/** Bits [from, to) of `bits` as a bitmap starting at bit 0 (a view when already byte-aligned). */
function sliceBits(bits: Uint8Array, from: number, to: number): Uint8Array {
  if (from % 8 === 0) return bits.subarray(from >>> 3, (to + 7) >>> 3);
  const out = new Uint8Array((to - from + 7) >>> 3);
  for (let i = from; i < to; i++) {
    if (bits[i >>> 3]! & (1 << (i & 7))) out[(i - from) >>> 3]! |= 1 << ((i - from) & 7);
  }
  return out;
}

function countNulls(validity: Uint8Array, length: number): number {
  let valid = 0;
  for (let i = 0; i < length; i++) if (validity[i >>> 3]! & (1 << (i & 7))) valid++;
  return length - valid;
}

/** Rows [from, to) of a column that passed `columnProblem`. */
export function sliceColumn(type: ColumnType, col: ColumnBuffers, from: number, to: number): ColumnBuffers {
  const n = to - from;
  const bits = col.nullCount === 0 ? EMPTY : sliceBits(col.buffers[0]!, from, to);
  const nullCount = col.nullCount === 0 ? 0 : countNulls(bits, n);
  const validity = nullCount === 0 ? EMPTY : bits;
  const data = col.buffers[col.buffers.length - 1]!;
  if (type === 'boolean') return { nullCount, buffers: [validity, sliceBits(data, from, to)] };
  if (!isVariable(type)) {
    const w = BYTE_WIDTH[type]!;
    return { nullCount, buffers: [validity, data.subarray(from * w, to * w)] };
  }
  const offsets = int32s(col.buffers[1]!);
  const start = offsets[from]!;
  if (start === 0) return { nullCount, buffers: [validity, col.buffers[1]!.subarray(from * 4, (to + 1) * 4), data.subarray(0, offsets[to]!)] };
  const rebased = new Int32Array(n + 1);
  for (let i = 0; i <= n; i++) rebased[i] = offsets[from + i]! - start;
  return { nullCount, buffers: [validity, new Uint8Array(rebased.buffer), data.subarray(start, offsets[to]!)] };
}

function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/**
 * The buffers of an Arrow JS column of `type` (one chunk, as `conformBatch` leaves it): views, but
 * for a bitmap that does not start on a byte (Arrow JS slices the values and offsets of a sliced
 * column, never its bitmaps). The buffers of an all-null column may be empty in Arrow; here they are
 * zeros of the full size, so every `ColumnBuffers` fits its rows (see `columnProblem`).
 */
export function columnOfData(type: ColumnType, d: A.Data): ColumnBuffers {
  const n = d.length;
  const nullCount = d.nullCount;
  const validity = nullCount > 0 ? sliceBits(d.nullBitmap!, d.offset, d.offset + n) : EMPTY;
  const allNull = n > 0 && nullCount === n;
  if (type === 'boolean') return { nullCount, buffers: [validity, allNull ? new Uint8Array((n + 7) >>> 3) : sliceBits(d.values as Uint8Array, d.offset, d.offset + n)] };
  if (!isVariable(type)) return { nullCount, buffers: [validity, allNull ? new Uint8Array(n * BYTE_WIDTH[type]!) : bytesOf(d.values as ArrayBufferView)] };
  if (allNull) return { nullCount, buffers: [validity, new Uint8Array((n + 1) * 4), EMPTY] };
  return { nullCount, buffers: [validity, bytesOf(d.valueOffsets as Int32Array), bytesOf(d.values as Uint8Array)] };
}

/**
 * Whether all the strings of a column are UTF-8, checked at once: together their bytes are UTF-8
 * and each one starts on a character boundary (not on a continuation byte), so each on its own is
 * UTF-8. String i is `data[offsets[i]..offsets[i+1])`, the offsets little-endian int32s, not decreasing.
 */
export function stringsAreUtf8(data: Uint8Array, offsets: DataView, rows: number): boolean {
  if (!isUtf8(data.subarray(offsets.getInt32(0, true), offsets.getInt32(rows * 4, true)))) return false;
  for (let i = 0; i < rows; i++) {
    const start = offsets.getInt32(i * 4, true);
    if (start < offsets.getInt32(i * 4 + 4, true) && (data[start]! & CONTINUATION_MASK) === CONTINUATION) return false;
  }
  return true;
}
