import { Buffer } from 'node:buffer';
import { writeUtf8 } from './bytes.js';
import { fail } from './errors.js';
import type { Column, ColumnType } from './schema.js';
import type { Row, Value } from './values.js';

/**
 * Order-preserving binary encoding of key tuples (in the spirit of lmdb-js `keys.js`): for two tuples
 * of the same columns, comparing the encoded bytes (unsigned, lexicographic, shorter-is-smaller)
 * gives the same order as comparing the values column by column. LMDB sorts keys by bytes, so a
 * primary-key range or a prefix lookup is one range scan. The same bytes (of the bucket-key columns)
 * are hashed to route a row to its bucket.
 *
 * Every component is self-delimiting, so a tuple is the plain concatenation of its components and a
 * prefix of the columns encodes to a byte prefix of the full key:
 *
 * ```
 * boolean     1 byte   0x00 false, 0x01 true
 * int8        1 byte   value XOR 0x80                      (sign flipped)
 * int16       2 bytes  big-endian, sign bit flipped
 * int32       4 bytes  big-endian, sign bit flipped
 * int64       8 bytes  big-endian, sign bit flipped        (bigint)
 * date        8 bytes  as int64 epoch ms                   (number, safe integer)
 * timestamp   8 bytes  as int64 epoch ms                   (number, safe integer)
 * float32     4 bytes  IEEE-754 big-endian; >= 0: flip the sign bit, < 0: flip all bits;
 * float64     8 bytes  -0 is written as +0; every NaN as the canonical quiet NaN, which sorts last
 * string      UTF-8 bytes, each 0x00 written 0x00 0xFF, then the terminator 0x00 0x01
 * binary      the bytes, each 0x00 written 0x00 0xFF, then the terminator 0x00 0x01
 * ```
 *
 * Order of strings is Unicode code point order (= UTF-8 byte order), not JavaScript's UTF-16 `<`.
 * The encoding is canonical: `decodeKey` refuses any byte string that `encodeKey` would not produce
 * (bad boolean byte, bad escape, missing terminator, trailing bytes, invalid UTF-8, -0, a non-canonical
 * NaN, an out-of-range date), with a LakestreamError, so corrupt input never decodes to a wrong key.
 */

/** lmdb-js's default maximum key size; an encoded primary key longer than this is refused. */
export const KEY_BYTES_MAX = 1978;

const ESCAPE = 0x00;
const ESCAPED_ZERO = 0xff;
const TERMINATOR = 0x01;

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;
const SIGN64 = 1n << 63n;
const FLOAT32_NAN_BITS = 0x7fc00000;
const FLOAT64_NAN_HI = 0x7ff80000;

const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const INT_RANGE: Record<'int8' | 'int16' | 'int32', readonly [number, number]> = {
  int8: [-128, 127],
  int16: [-32768, 32767],
  int32: [-2147483648, 2147483647],
};

/** A growable byte buffer; keys are small, so start small. */
class ByteWriter {
  private bytes = new Uint8Array(32);
  private view = new DataView(this.bytes.buffer);
  /** `bytes` as a Buffer, to encode strings straight into it. */
  private buffer = Buffer.from(this.bytes.buffer);
  /** `written()` views of `bytes`, by length: a lookup reads many keys of one length, each one a view to make. */
  private views: Uint8Array[] = [];
  length = 0;

  private ensure(extra: number): void {
    if (this.length + extra <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < this.length + extra) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.bytes.subarray(0, this.length));
    this.replace(next);
  }

  private replace(bytes: Uint8Array<ArrayBuffer>): void {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer);
    this.buffer = Buffer.from(bytes.buffer);
    this.views = [];
  }

  byte(b: number): void {
    this.ensure(1);
    this.bytes[this.length++] = b;
  }

  uint16(v: number): void {
    this.ensure(2);
    this.view.setUint16(this.length, v);
    this.length += 2;
  }

  uint32(v: number): void {
    this.ensure(4);
    this.view.setUint32(this.length, v);
    this.length += 4;
  }

  uint64(v: bigint): void {
    this.ensure(8);
    this.view.setBigUint64(this.length, v);
    this.length += 8;
  }

  /** A safe integer as an int64 component (sign bit flipped), from its 32-bit halves: no bigint made. */
  safeInt64(v: number): void {
    const high = Math.floor(v / 2 ** 32);
    this.uint32((high ^ 0x80000000) >>> 0);
    this.uint32(v - high * 2 ** 32);
  }

  /** The int64 held little-endian at `src[at..at+8)` (as Arrow holds it) as an int64 component: bytes reversed, sign bit flipped. */
  int64LE(src: Uint8Array, at: number): void {
    this.ensure(8);
    const out = this.bytes;
    const p = this.length;
    out[p] = src[at + 7]! ^ 0x80;
    for (let k = 1; k < 8; k++) out[p + k] = src[at + 7 - k]!;
    this.length += 8;
  }

  float32(v: number): void {
    this.ensure(4);
    this.view.setFloat32(this.length, v);
    this.length += 4;
  }

  float64(v: number): void {
    this.ensure(8);
    this.view.setFloat64(this.length, v);
    this.length += 8;
  }

  /**
   * Writes `src[start..end)` with 0x00 escaped, then the terminator. With `srcView` (a DataView of
   * `src`'s bytes) four bytes move at a time until one of them is 0x00, three times faster than a
   * byte at a time for the keys of an Arrow column.
   */
  escaped(src: Uint8Array, start = 0, end = src.length, srcView?: DataView): void {
    this.ensure((end - start) * 2 + 2);
    const out = this.bytes;
    let p = this.length;
    let k = start;
    if (srcView !== undefined) {
      const view = this.view;
      for (; k + 4 <= end; k += 4) {
        const word = srcView.getUint32(k, true);
        if (((word - 0x01010101) & ~word & 0x80808080) !== 0) break; // a zero byte among the four
        view.setUint32(p, word, true);
        p += 4;
      }
    }
    for (; k < end; k++) {
      const b = src[k]!;
      out[p++] = b;
      if (b === ESCAPE) out[p++] = ESCAPED_ZERO;
    }
    out[p++] = ESCAPE;
    out[p++] = TERMINATOR;
    this.length = p;
  }

  /**
   * Writes `s` as UTF-8 with 0x00 escaped, then the terminator: encoded straight into the buffer,
   * and its zero bytes (rare) escaped in place after. Returns whether the bytes hold U+FFFD (EF BF
   * BD), which is what a lone surrogate becomes: only then need the string be searched for one.
   */
  utf8Escaped(s: string): boolean {
    // 3 bytes a UTF-16 unit at most; a zero takes 1, escaped 2.
    this.ensure(s.length * 3 + 2);
    const out = this.bytes;
    const start = this.length;
    const end = start + writeUtf8(this.buffer, s, start, s.length * 3);
    let zeros = 0;
    let replacement = false;
    for (let k = start; k < end; k++) {
      const b = out[k]!;
      if (b === ESCAPE) zeros++;
      else if (b === 0xef && out[k + 1] === 0xbf && out[k + 2] === 0xbd) replacement = true;
    }
    this.length = end + zeros;
    // From the end, each byte moved right past the escapes before it; once they are all placed the rest is where it belongs.
    for (let k = end - 1, to = end + zeros; zeros > 0; k--) {
      const b = out[k]!;
      out[--to] = b === ESCAPE ? ESCAPED_ZERO : b;
      if (b === ESCAPE) {
        out[--to] = ESCAPE;
        zeros--;
      }
    }
    out[this.length++] = ESCAPE;
    out[this.length++] = TERMINATOR;
    return replacement;
  }

  /** Flips bits in place over the last `n` bytes written (used for negative floats). */
  invertLast(n: number): void {
    for (let i = this.length - n; i < this.length; i++) this.bytes[i] = ~this.bytes[i]! & 0xff;
  }

  xorAt(index: number, mask: number): void {
    this.bytes[index] = this.bytes[index]! ^ mask;
  }

  /** Drops a buffer grown by an unusually long key, so the shared writer does not keep it. */
  shrink(): void {
    if (this.bytes.length > 4096) this.replace(new Uint8Array(32));
  }

  finish(): Uint8Array {
    return this.bytes.slice(0, this.length);
  }

  /** The bytes written, not copied: valid until the next write. */
  written(): Uint8Array {
    let view = this.views[this.length];
    if (view === undefined) this.views[this.length] = view = this.bytes.subarray(0, this.length);
    return view;
  }
}

function badValue(column: Column, value: Value, expected: string): never {
  const shown = typeof value === 'bigint' ? `${value}n` : value instanceof Uint8Array ? `<${value.length} bytes>` : JSON.stringify(value);
  fail('INVALID_VALUE', `key column '${column.name}' (${column.type}) needs ${expected}, got ${String(shown).slice(0, 100)}`);
}

function epochMs(column: Column, value: Value): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) badValue(column, value, 'an integer number of epoch milliseconds');
  return value;
}

function writeComponent(w: ByteWriter, column: Column, value: Value): void {
  if (value === null || value === undefined) fail('INVALID_KEY', `key column '${column.name}' must not be null`);
  switch (column.type) {
    case 'boolean':
      if (typeof value !== 'boolean') badValue(column, value, 'true or false');
      w.byte(value ? 1 : 0);
      return;
    case 'int8':
    case 'int16':
    case 'int32': {
      const [min, max] = INT_RANGE[column.type];
      if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
        badValue(column, value, `an integer from ${min} to ${max}`);
      }
      if (column.type === 'int8') w.byte((value & 0xff) ^ 0x80);
      else if (column.type === 'int16') w.uint16((value & 0xffff) ^ 0x8000);
      else w.uint32(((value ^ 0x80000000) >>> 0));
      return;
    }
    case 'int64':
      if (typeof value !== 'bigint' || value < INT64_MIN || value > INT64_MAX) badValue(column, value, 'a 64-bit integer (bigint)');
      w.uint64(value + SIGN64);
      return;
    case 'date':
    case 'timestamp':
      w.safeInt64(epochMs(column, value));
      return;
    case 'float32':
    case 'float64': {
      if (typeof value !== 'number') badValue(column, value, 'a number');
      const size = column.type === 'float32' ? 4 : 8;
      // Round to the column's precision first, so that a float32 that rounds to -0 is stored as 0.
      let v = size === 4 ? Math.fround(value) : value;
      if (v === 0) v = 0;
      const start = w.length;
      if (Number.isNaN(v)) {
        if (size === 4) w.uint32(FLOAT32_NAN_BITS);
        else w.uint64(BigInt(FLOAT64_NAN_HI) << 32n);
      } else if (size === 4) w.float32(v);
      else w.float64(v);
      // Negative: flip every bit (larger magnitude sorts lower); else flip only the sign bit.
      if (v < 0) w.invertLast(size);
      else w.xorAt(start, 0x80);
      return;
    }
    case 'string':
      if (typeof value !== 'string') badValue(column, value, 'a string');
      // A lone surrogate is encoded as U+FFFD: only a string that holds one is searched for it.
      if (w.utf8Escaped(value) && LONE_SURROGATE.test(value)) badValue(column, value, 'a well-formed Unicode string (it has a lone surrogate)');
      return;
    case 'binary':
      if (!(value instanceof Uint8Array)) badValue(column, value, 'bytes');
      w.escaped(value);
      return;
  }
}

/** Encoding is synchronous and never re-entered, so one writer serves every key (no allocation per key). */
const SHARED_WRITER = new ByteWriter();

function checkLength(w: ByteWriter, what: string): void {
  if (w.length > KEY_BYTES_MAX) fail('INVALID_KEY', `the encoded ${what} is ${w.length} bytes, more than the maximum of ${KEY_BYTES_MAX}`);
}

function encodeColumns(columns: readonly Column[], values: readonly Value[], what: string): Uint8Array {
  const w = SHARED_WRITER;
  w.length = 0;
  w.shrink();
  for (let i = 0; i < values.length; i++) writeComponent(w, columns[i]!, values[i]!);
  checkLength(w, what);
  return w.finish();
}

/** Encodes a full key: `values[i]` belongs to `columns[i]` (columns in `keyEncodingOrder`). */
export function encodeKey(columns: readonly Column[], values: readonly Value[]): Uint8Array {
  if (values.length !== columns.length) {
    fail('INVALID_KEY', `a key has ${columns.length} column(s) (${columns.map((c) => c.name).join(', ')}), got ${values.length} value(s)`);
  }
  return encodeColumns(columns, values, 'key');
}

/**
 * The key of `columns` taken from `row` by name (absent is null): the bytes `encodeKey` gives the
 * same values, but in the shared buffer, which the next encoding overwrites. For hashing a row's
 * bucket key without making an array of its values or a copy of the key.
 */
export function encodedRowKey(columns: readonly Column[], row: Row): Uint8Array {
  const w = SHARED_WRITER;
  w.length = 0;
  w.shrink();
  for (const c of columns) writeComponent(w, c, row[c.name] ?? null);
  checkLength(w, 'key');
  return w.written();
}

/**
 * Encodes the first `values.length` key columns: the result is a byte prefix of the encoding of
 * every full key that starts with these values. Scan from it up to `prefixUpperBound(it)`.
 */
export function encodeKeyPrefix(columns: readonly Column[], values: readonly Value[]): Uint8Array {
  if (values.length > columns.length) {
    fail('INVALID_KEY', `a key prefix has at most ${columns.length} value(s), got ${values.length}`);
  }
  return encodeColumns(columns, values, 'key prefix');
}

const DAY_MS = 86_400_000;

/** Row i of a fixed-width Arrow column whose value is a boolean or a number (nothing allocated to read it). */
function arrowScalar(type: ColumnType, data: Uint8Array, view: DataView, i: number): boolean | number {
  switch (type) {
    case 'boolean': return (data[i >> 3]! & (1 << (i & 7))) !== 0;
    case 'int8': return view.getInt8(i);
    case 'int16': return view.getInt16(i * 2, true);
    case 'int32': return view.getInt32(i * 4, true);
    case 'float32': return view.getFloat32(i * 4, true);
    default: return view.getFloat64(i * 8, true);
  }
}

/**
 * Keys straight from the Arrow buffers of the key columns (in key-encoding order; each column's
 * buffers as Arrow lays them out, checked by `columnProblem`; nulls only where a bitmap is given), encoded one at a time into
 * one reused buffer. Key i is exactly `encodeKey` of the values in row i, but no value is made for
 * it: int64 and timestamp bytes are reordered, strings and binary escaped from the data buffer, dates
 * scaled without a bigint. It writes whatever bytes it is given, so values the generic Arrow read
 * refuses (a date or timestamp out of range, a string that is not UTF-8) must be refused first.
 */
export class ArrowKeyEncoder {
  private readonly writer = new ByteWriter();
  private readonly data: Uint8Array[];
  private readonly views: DataView[];
  /** String and binary columns only. */
  private readonly offsets: (DataView | undefined)[];
  /** The validity bitmap of each column that may hold nulls, else undefined. */
  private readonly validity: readonly (Uint8Array | undefined)[];

  /**
   * `validity[j]`, when given, is the bitmap of column j: a null there is refused as `encodeKey`
   * refuses it. Without it the column is taken to have no nulls.
   */
  constructor(private readonly columns: readonly Column[], buffers: readonly (readonly Uint8Array[])[], readonly count: number, validity: readonly (Uint8Array | undefined)[] = []) {
    const viewOf = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);
    this.validity = columns.map((_c, j) => validity[j]);
    this.data = buffers.map((b) => b[b.length - 1]!);
    this.views = this.data.map(viewOf);
    this.offsets = columns.map((c, j) => (c.type === 'string' || c.type === 'binary' ? viewOf(buffers[j]![1]!) : undefined));
  }

  /** Key i, in a buffer the next call overwrites. */
  encoded(i: number): Uint8Array {
    const w = this.writer;
    w.length = 0;
    for (let j = 0; j < this.columns.length; j++) {
      const column = this.columns[j]!;
      const data = this.data[j]!;
      const bits = this.validity[j];
      if (bits !== undefined && ((bits[i >>> 3]! >>> (i & 7)) & 1) === 0) writeComponent(w, column, null); // throws, as for a null in a row
      switch (column.type) {
        case 'int64':
        case 'timestamp': w.int64LE(data, i * 8); break;
        case 'date': w.safeInt64(this.views[j]!.getInt32(i * 4, true) * DAY_MS); break;
        case 'string':
        case 'binary': {
          const offsets = this.offsets[j]!;
          w.escaped(data, offsets.getInt32(i * 4, true), offsets.getInt32(i * 4 + 4, true), this.views[j]!);
          break;
        }
        default: writeComponent(w, column, arrowScalar(column.type, data, this.views[j]!, i));
      }
    }
    checkLength(w, 'key');
    return w.written();
  }
}

/**
 * The smallest byte string greater than every byte string that starts with `prefix` (exclusive end
 * of a prefix range scan): the prefix with trailing 0xFF bytes dropped and its last byte incremented.
 * `undefined` when there is none (empty prefix or all 0xFF): scan to the end.
 */
export function prefixUpperBound(prefix: Uint8Array): Uint8Array | undefined {
  let end = prefix.length;
  while (end > 0 && prefix[end - 1] === 0xff) end--;
  if (end === 0) return undefined;
  const out = prefix.slice(0, end);
  out[end - 1] = out[end - 1]! + 1;
  return out;
}

/** Unsigned lexicographic byte comparison, shorter-is-smaller: LMDB's default key order. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

function corrupt(column: Column, at: number, why: string): never {
  fail('INVALID_KEY', `cannot decode key column '${column.name}' (${column.type}) at byte ${at}: ${why}`);
}

/** Reads one component at `pos`; returns the value and the position after it. */
function readComponent(bytes: Uint8Array, view: DataView, pos: number, column: Column): [Value, number] {
  const need = (n: number): void => {
    if (pos + n > bytes.length) corrupt(column, pos, `needs ${n} byte(s), only ${bytes.length - pos} left`);
  };
  switch (column.type) {
    case 'boolean': {
      need(1);
      const b = bytes[pos]!;
      if (b > 1) corrupt(column, pos, `boolean byte must be 0 or 1, got ${b}`);
      return [b === 1, pos + 1];
    }
    case 'int8':
      need(1);
      return [(bytes[pos]! ^ 0x80) << 24 >> 24, pos + 1];
    case 'int16':
      need(2);
      return [(view.getUint16(pos) ^ 0x8000) << 16 >> 16, pos + 2];
    case 'int32':
      need(4);
      return [(view.getUint32(pos) ^ 0x80000000) | 0, pos + 4];
    case 'int64':
      need(8);
      return [view.getBigUint64(pos) - SIGN64, pos + 8];
    case 'date':
    case 'timestamp': {
      need(8);
      const ms = view.getBigUint64(pos) - SIGN64;
      if (ms < BigInt(Number.MIN_SAFE_INTEGER) || ms > BigInt(Number.MAX_SAFE_INTEGER)) corrupt(column, pos, `${ms} ms is outside the safe integer range`);
      return [Number(ms), pos + 8];
    }
    case 'float32':
    case 'float64': {
      const size = column.type === 'float32' ? 4 : 8;
      need(size);
      const raw = bytes.slice(pos, pos + size);
      if (raw[0]! & 0x80) raw[0] = raw[0]! ^ 0x80;
      else for (let i = 0; i < size; i++) raw[i] = ~raw[i]! & 0xff;
      const v = new DataView(raw.buffer);
      const value = size === 4 ? v.getFloat32(0) : v.getFloat64(0);
      if (Object.is(value, -0)) corrupt(column, pos, '-0 is never written (it is stored as 0)');
      if (Number.isNaN(value)) {
        const canonical = size === 4 ? v.getUint32(0) === FLOAT32_NAN_BITS : v.getUint32(0) === FLOAT64_NAN_HI && v.getUint32(4) === 0;
        if (!canonical) corrupt(column, pos, 'non-canonical NaN');
      }
      return [value, pos + size];
    }
    case 'string':
    case 'binary': {
      const out: number[] = [];
      let i = pos;
      for (;;) {
        if (i >= bytes.length) corrupt(column, i, 'missing terminator');
        const b = bytes[i]!;
        if (b !== ESCAPE) {
          out.push(b);
          i++;
          continue;
        }
        if (i + 1 >= bytes.length) corrupt(column, i, 'truncated escape');
        const next = bytes[i + 1]!;
        if (next === TERMINATOR) {
          i += 2;
          break;
        }
        if (next !== ESCAPED_ZERO) corrupt(column, i, `bad escape 0x00 0x${next.toString(16).padStart(2, '0')}`);
        out.push(0);
        i += 2;
      }
      const raw = Uint8Array.from(out);
      if (column.type === 'binary') return [raw, i];
      try {
        return [utf8Decoder.decode(raw), i];
      } catch {
        corrupt(column, pos, 'invalid UTF-8');
      }
    }
  }
}

/** Decodes a full key; throws INVALID_KEY if the bytes are not exactly one encoded key. */
export function decodeKey(columns: readonly Column[], bytes: Uint8Array): Value[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const values: Value[] = [];
  let pos = 0;
  for (const column of columns) {
    const [value, next] = readComponent(bytes, view, pos, column);
    values.push(value);
    pos = next;
  }
  if (pos !== bytes.length) fail('INVALID_KEY', `cannot decode key: ${bytes.length - pos} trailing byte(s) after the last column`);
  return values;
}

/**
 * The byte length of the first `count` components of an encoded key (they are self-delimiting): with
 * the bucket-key columns first, the key's first bytes are the encoded bucket key.
 */
export function keyPrefixLength(columns: readonly Column[], key: Uint8Array, count: number): number {
  const view = new DataView(key.buffer, key.byteOffset, key.byteLength);
  let pos = 0;
  for (let i = 0; i < count; i++) pos = readComponent(key, view, pos, columns[i]!)[1];
  return pos;
}

/**
 * MurmurHash3 x86 32-bit of `bytes` (little-endian blocks, as the reference implementation).
 * Returns an unsigned 32-bit integer.
 */
export function murmur3_32(bytes: Uint8Array, seed = 0): number {
  const c1 = 0xcc9e2d51;
  const c2 = 0x1b873593;
  let h = seed >>> 0;
  const blocks = bytes.length >>> 2;
  for (let i = 0; i < blocks; i++) {
    const o = i * 4;
    let k = bytes[o]! | (bytes[o + 1]! << 8) | (bytes[o + 2]! << 16) | (bytes[o + 3]! << 24);
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const tail = blocks * 4;
  const rest = bytes.length & 3;
  if (rest > 0) {
    let k = 0;
    if (rest === 3) k ^= bytes[tail + 2]! << 16;
    if (rest >= 2) k ^= bytes[tail + 1]! << 8;
    k ^= bytes[tail]!;
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
  }
  h ^= bytes.length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The bucket of a row: murmur3_32 (seed 0) of its encoded bucket key, modulo the bucket count. */
export function bucketOf(encodedBucketKey: Uint8Array, buckets: number): number {
  if (!Number.isInteger(buckets) || buckets < 1) fail('INVALID_BUCKETS', `bucket count must be a positive integer, got ${buckets}`);
  return murmur3_32(encodedBucketKey, 0) % buckets;
}

