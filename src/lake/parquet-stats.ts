/**
 * Row-group min/max statistics computed straight from the column data we hand to hyparquet-writer.
 *
 * Why not the writer's own: it walks every value through generic comparisons, and for an INT64
 * column held in a BigInt64Array each read allocates a bigint. Here an int64 column is compared as
 * (signed high word, unsigned low word) pairs through an Int32Array view, byte arrays are compared in
 * place, and only the two winning values are materialised. The result has the writer's own shape
 * (`min_value`/`max_value` as physical values, the Parquet 2 fields), so the footer is encoded by
 * the writer as before.
 *
 * Rules kept from the Parquet spec (and from the writer): nulls are counted, not compared; NaN is
 * skipped and counted in `nan_count` for floating columns; byte arrays order as unsigned bytes; a
 * zero minimum is written as -0 and a zero maximum as +0.
 */

import type { ByteArrayColumn } from './parquet-write.js';

/** Column data as the encoder holds it: typed arrays, byte-array buffers, or one JS value per row. */
export type ColumnData = unknown[] | Int32Array | Float32Array | Float64Array | BigInt64Array;

export interface ChunkStatistics {
  min_value?: unknown;
  max_value?: unknown;
  null_count: bigint;
  nan_count?: bigint;
}

/** Statistics of rows [start, end) of one column; `floating` for FLOAT and DOUBLE columns. */
export function columnStatistics(data: ColumnData | ByteArrayColumn, start: number, end: number, floating: boolean): ChunkStatistics {
  if ('offsets' in data) return byteArrayStatistics(data, start, end);
  if (data instanceof BigInt64Array) return int64Statistics(data, start, end);
  if (data instanceof Float64Array || data instanceof Float32Array) return floatStatistics(data, start, end);
  if (data instanceof Int32Array) return int32Statistics(data, start, end);
  return valueStatistics(data, start, end, floating);
}

function int64Statistics(data: BigInt64Array, start: number, end: number): ChunkStatistics {
  if (end <= start) return { null_count: 0n };
  // Little-endian words: [2i] is the low word (compared unsigned), [2i+1] the high word (signed).
  const words = new Int32Array(data.buffer, data.byteOffset, data.length * 2);
  let minAt = start;
  let maxAt = start;
  for (let i = start + 1; i < end; i++) {
    const hi = words[2 * i + 1]!;
    const lo = words[2 * i]! >>> 0;
    const minHi = words[2 * minAt + 1]!;
    if (hi < minHi || (hi === minHi && lo < words[2 * minAt]! >>> 0)) minAt = i;
    const maxHi = words[2 * maxAt + 1]!;
    if (hi > maxHi || (hi === maxHi && lo > words[2 * maxAt]! >>> 0)) maxAt = i;
  }
  return { min_value: data[minAt], max_value: data[maxAt], null_count: 0n };
}

function int32Statistics(data: Int32Array, start: number, end: number): ChunkStatistics {
  if (end <= start) return { null_count: 0n };
  let min = data[start]!;
  let max = min;
  for (let i = start + 1; i < end; i++) {
    const v = data[i]!;
    if (v < min) min = v;
    else if (v > max) max = v;
  }
  return { min_value: min, max_value: max, null_count: 0n };
}

function floatStatistics(data: Float64Array | Float32Array, start: number, end: number): ChunkStatistics {
  let min = Infinity;
  let max = -Infinity;
  let nan = 0;
  let seen = false;
  for (let i = start; i < end; i++) {
    const v = data[i]!;
    if (v !== v) { nan++; continue; }
    seen = true;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (!seen) return { null_count: 0n, nan_count: BigInt(nan) };
  return { min_value: min === 0 ? -0 : min, max_value: max === 0 ? 0 : max, null_count: 0n, nan_count: BigInt(nan) };
}

/** Unsigned lexicographic order of byte arrays, as Parquet orders BYTE_ARRAY. */
function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return a[i]! - b[i]!;
  }
  return a.length - b.length;
}

/** Byte-range order of values i and j of a byte-array column (unsigned bytes, then length). */
function compareRanges(col: ByteArrayColumn, i: number, j: number): number {
  const { offsets, bytes } = col;
  const a = offsets[i]!;
  const b = offsets[j]!;
  const lenA = offsets[i + 1]! - a;
  const lenB = offsets[j + 1]! - b;
  const n = Math.min(lenA, lenB);
  for (let k = 0; k < n; k++) {
    if (bytes[a + k] !== bytes[b + k]) return bytes[a + k]! - bytes[b + k]!;
  }
  return lenA - lenB;
}

function byteArrayStatistics(col: ByteArrayColumn, start: number, end: number): ChunkStatistics {
  let minAt = -1;
  let maxAt = -1;
  let nulls = 0;
  for (let i = start; i < end; i++) {
    if (col.valid && col.valid[i] === 0) { nulls++; continue; }
    if (minAt < 0 || compareRanges(col, i, minAt) < 0) minAt = i;
    if (maxAt < 0 || compareRanges(col, i, maxAt) > 0) maxAt = i;
  }
  if (minAt < 0) return { null_count: BigInt(nulls) };
  const value = (i: number) => col.bytes.slice(col.offsets[i]!, col.offsets[i + 1]!);
  return { min_value: value(minAt), max_value: value(maxAt), null_count: BigInt(nulls) };
}

function valueLess(a: unknown, b: unknown): boolean {
  if (a instanceof Uint8Array) return compareBytes(a, b as Uint8Array) < 0;
  return (a as number | bigint | boolean) < (b as number | bigint | boolean);
}

/** Arrays of byte arrays, booleans, or numbers/bigints with nulls. */
function valueStatistics(data: unknown[], start: number, end: number, floating: boolean): ChunkStatistics {
  let min: unknown;
  let max: unknown;
  let nulls = 0;
  let nan = 0;
  for (let i = start; i < end; i++) {
    const v = data[i];
    if (v === null || v === undefined) { nulls++; continue; }
    if (typeof v === 'number' && v !== v) { nan++; continue; }
    if (min === undefined || valueLess(v, min)) min = v;
    if (max === undefined || valueLess(max, v)) max = v;
  }
  if (min === 0) min = -0;
  if (max === 0) max = 0;
  const stats: ChunkStatistics = { min_value: min, max_value: max, null_count: BigInt(nulls) };
  if (floating) stats.nan_count = BigInt(nan);
  return stats;
}
