/**
 * Cutting chosen rows out of Arrow columns without making a value of them: what a bucket takes from
 * a request's record batches, copied buffer by buffer (fixed-width values, string offsets and bytes,
 * validity and boolean bits). A bucket that takes one run of rows of one batch gets views of that
 * batch's buffers instead (`sliceColumn`): nothing is copied but an unaligned bitmap and the rebased
 * offsets.
 *
 * Every input column must fit its rows (`columnProblem` finds nothing), and every picked row index
 * must be one of its rows: the callers pick rows they have counted themselves.
 */
import { BYTE_WIDTH, isVariable, sliceColumn, type ColumnBuffers } from './arrow-columns.js';
import type { ColumnType } from './schema.js';

/** Rows taken from one column, in output order: the listed indexes, or the run [from, to). */
export type RowPick = { readonly indexes: Uint32Array } | { readonly from: number; readonly to: number };

/** One input column and the rows taken from it; a gather joins the parts in order. */
export interface GatherPart {
  readonly column: ColumnBuffers;
  readonly rows: RowPick;
}

/**
 * Values up to this many bytes are copied four bytes at a time through DataViews; longer ones with
 * one `set`, which costs a view object per value (a byte loop takes three times as long as either).
 */
const COPY_LOOP_BYTES_MAX = 256;
const EMPTY = new Uint8Array(0);

export function pickLength(rows: RowPick): number {
  return 'indexes' in rows ? rows.indexes.length : rows.to - rows.from;
}

/** The pick of ascending `indexes`: a run when they are consecutive, so the rows can be sliced. */
export function pickOf(indexes: Uint32Array): RowPick {
  const n = indexes.length;
  if (n === 0) return { from: 0, to: 0 };
  return indexes[n - 1]! - indexes[0]! === n - 1 ? { from: indexes[0]!, to: indexes[0]! + n } : { indexes };
}

/** The picked rows of the parts, one after the other, as one column of `type`. */
export function gatherColumn(type: ColumnType, parts: readonly GatherPart[]): ColumnBuffers {
  const only = parts.length === 1 ? parts[0]!.rows : undefined;
  if (only !== undefined && !('indexes' in only)) return sliceColumn(type, parts[0]!.column, only.from, only.to);
  let length = 0;
  for (const p of parts) length += pickLength(p.rows);
  const { validity, nullCount } = gatherValidity(parts, length);
  if (type === 'boolean') return { nullCount, buffers: [validity, gatherBits(parts, length, (c) => c.buffers[1]!)] };
  if (!isVariable(type)) return { nullCount, buffers: [validity, gatherFixed(parts, length, BYTE_WIDTH[type]!)] };
  const { offsets, data } = gatherVariable(parts, length);
  return { nullCount, buffers: [validity, new Uint8Array(offsets.buffer), data] };
}

/** The validity bits of the picked rows; empty when none of them is null. */
function gatherValidity(parts: readonly GatherPart[], length: number): { validity: Uint8Array; nullCount: number } {
  if (parts.every((p) => p.column.nullCount === 0)) return { validity: EMPTY, nullCount: 0 };
  const validity = gatherBits(parts, length, (c) => (c.nullCount === 0 ? undefined : c.buffers[0]!));
  let valid = 0;
  for (let i = 0; i < length; i++) valid += (validity[i >>> 3]! >>> (i & 7)) & 1;
  return valid === length ? { validity: EMPTY, nullCount: 0 } : { validity, nullCount: length - valid };
}

/** Bits of the picked rows from each part's bitmap (`undefined`: every bit set). */
function gatherBits(parts: readonly GatherPart[], length: number, bitsOf: (c: ColumnBuffers) => Uint8Array | undefined): Uint8Array {
  const out = new Uint8Array((length + 7) >>> 3);
  let k = 0;
  for (const { column, rows } of parts) {
    const bits = bitsOf(column);
    const n = pickLength(rows);
    if (bits === undefined) {
      for (let j = 0; j < n; j++, k++) out[k >>> 3]! |= 1 << (k & 7);
    } else if ('indexes' in rows) {
      const ix = rows.indexes;
      for (let j = 0; j < n; j++, k++) {
        const i = ix[j]!;
        out[k >>> 3]! |= ((bits[i >>> 3]! >>> (i & 7)) & 1) << (k & 7);
      }
    } else {
      for (let i = rows.from; i < rows.to; i++, k++) out[k >>> 3]! |= ((bits[i >>> 3]! >>> (i & 7)) & 1) << (k & 7);
    }
  }
  return out;
}

/** Words of `width` bytes, as a typed array when `bytes` is aligned for one; else undefined. */
function wordsOf(bytes: Uint8Array, width: number): Uint8Array | Uint16Array | Uint32Array | undefined {
  const word = width >= 4 ? 4 : width;
  if (bytes.byteOffset % word !== 0) return undefined;
  const count = Math.floor(bytes.byteLength / word);
  return word === 4 ? new Uint32Array(bytes.buffer, bytes.byteOffset, count) : word === 2 ? new Uint16Array(bytes.buffer, bytes.byteOffset, count) : bytes;
}

/**
 * Fixed-width values, moved as 8-, 16- or 32-bit words (never as floats: a float load may change a
 * NaN's payload, and the bytes must stay as sent).
 */
function gatherFixed(parts: readonly GatherPart[], length: number, width: number): Uint8Array {
  const out = new Uint8Array(length * width);
  const perValue = width >= 4 ? width >>> 2 : 1;
  const outWords = wordsOf(out, width)!;
  let k = 0;
  for (const { column, rows } of parts) {
    const data = column.buffers[1]!;
    if (!('indexes' in rows)) {
      out.set(data.subarray(rows.from * width, rows.to * width), k * width);
      k += rows.to - rows.from;
      continue;
    }
    const ix = rows.indexes;
    const words = wordsOf(data, width);
    if (words === undefined) {
      for (let j = 0; j < ix.length; j++, k++) {
        const from = ix[j]! * width;
        for (let b = 0; b < width; b++) out[k * width + b] = data[from + b]!;
      }
    } else if (perValue === 1) {
      for (let j = 0; j < ix.length; j++, k++) outWords[k] = words[ix[j]!]!;
    } else {
      for (let j = 0; j < ix.length; j++, k++) {
        const from = ix[j]! * perValue;
        const to = k * perValue;
        for (let w = 0; w < perValue; w++) outWords[to + w] = words[from + w]!;
      }
    }
  }
  return out;
}

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function offsetsView(column: ColumnBuffers): DataView {
  return viewOf(column.buffers[1]!);
}

function copyBytes(src: DataView, from: number, length: number, dst: DataView, to: number): void {
  let b = 0;
  for (; b + 4 <= length; b += 4) dst.setInt32(to + b, src.getInt32(from + b, true), true);
  for (; b < length; b++) dst.setUint8(to + b, src.getUint8(from + b));
}

/** Strings or binary: offsets from 0 over the picked values' bytes, copied one after the other. */
function gatherVariable(parts: readonly GatherPart[], length: number): { offsets: Int32Array; data: Uint8Array } {
  const offsets = new Int32Array(length + 1);
  let k = 0;
  let at = 0;
  for (const { column, rows } of parts) {
    const view = offsetsView(column);
    const n = pickLength(rows);
    const ix = 'indexes' in rows ? rows.indexes : undefined;
    const from = 'indexes' in rows ? 0 : rows.from;
    for (let j = 0; j < n; j++) {
      const i = ix ? ix[j]! : from + j;
      at += view.getInt32(i * 4 + 4, true) - view.getInt32(i * 4, true);
      offsets[++k] = at;
    }
  }
  const data = new Uint8Array(at);
  const out = viewOf(data);
  k = 0;
  for (const { column, rows } of parts) {
    const view = offsetsView(column);
    const src = column.buffers[2]!;
    if (!('indexes' in rows)) {
      const start = view.getInt32(rows.from * 4, true);
      data.set(src.subarray(start, view.getInt32(rows.to * 4, true)), offsets[k]!);
      k += rows.to - rows.from;
      continue;
    }
    const ix = rows.indexes;
    const from = viewOf(src);
    for (let j = 0; j < ix.length; j++, k++) {
      const start = view.getInt32(ix[j]! * 4, true);
      const length = view.getInt32(ix[j]! * 4 + 4, true) - start;
      if (length > COPY_LOOP_BYTES_MAX) data.set(src.subarray(start, start + length), offsets[k]!);
      else copyBytes(from, start, length, out, offsets[k]!);
    }
  }
  return { offsets, data };
}
