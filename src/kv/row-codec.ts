import { Buffer } from 'node:buffer';
import { fail } from '../common/errors.js';
import type { Column } from '../common/schema.js';
import type { Row, Value } from '../common/values.js';

/**
 * The LMDB value of a primary-key table: one full row (every column of the table, in schema order).
 *
 * ```
 * offset  size          field
 * 0       1             FORMAT_VERSION (1)
 * 1       1..5          column count, unsigned LEB128 varint (must equal the schema's)
 * ..      ceil(n/8)     null bitmap: bit i (LSB first) set = column i is null; unused bits are 0
 * ..      ...           the non-null values, in column order:
 *                         boolean 1 byte (0/1); int8 1; int16 2; int32 4; float32 4; float64 8;
 *                         int64 8 (bigint); date, timestamp 8 (int64 epoch ms);
 *                         string: varint byte length + UTF-8; binary: varint length + bytes
 * ```
 *
 * Fixed-width numbers are little-endian. The decoder checks every length against the bytes left,
 * the bitmap against nullability, and that nothing trails the last value: a corrupt value throws a
 * LakestreamError (INTERNAL) instead of decoding to a wrong row. A missing (`undefined`) field of
 * the row is written as null.
 */
export const ROW_FORMAT_VERSION = 1;

/** A string or binary value longer than this is refused (LMDB values are held in memory whole). */
export const ROW_VALUE_BYTES_MAX = 64 * 1024 * 1024;

const VARINT_BYTES_MAX = 5;
const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

const INT_RANGE = { int8: [-128, 127], int16: [-32768, 32767], int32: [-2147483648, 2147483647] } as const;
/** Payload bytes of the fixed-width types. */
export const FIXED_BYTES = {
  boolean: 1, int8: 1, int16: 2, int32: 4, float32: 4, float64: 8, int64: 8, date: 8, timestamp: 8,
} as const;

/** The length of `n` as an unsigned LEB128 varint. */
export function varintBytes(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

/** Writes `v` as an unsigned LEB128 varint at `pos`; returns the position after it. */
export function writeVarint(out: Uint8Array, pos: number, v: number): number {
  while (v >= 0x80) {
    out[pos++] = (v & 0x7f) | 0x80;
    v = Math.floor(v / 128);
  }
  out[pos++] = v;
  return pos;
}

function badValue(column: Column, value: Value, expected: string): never {
  const shown = typeof value === 'bigint' ? `${value}n` : value instanceof Uint8Array ? `<${value.length} bytes>` : JSON.stringify(value);
  fail('INVALID_VALUE', `column '${column.name}' (${column.type}) needs ${expected}, got ${String(shown).slice(0, 100)}`);
}

/** Checks one non-null value and returns its encoded payload (for variable-length types). */
function checkValue(column: Column, value: Value): Uint8Array | undefined {
  switch (column.type) {
    case 'boolean':
      if (typeof value !== 'boolean') badValue(column, value, 'true or false');
      return undefined;
    case 'int8':
    case 'int16':
    case 'int32': {
      const [min, max] = INT_RANGE[column.type];
      if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) badValue(column, value, `an integer from ${min} to ${max}`);
      return undefined;
    }
    case 'int64':
      if (typeof value !== 'bigint' || value < INT64_MIN || value > INT64_MAX) badValue(column, value, 'a 64-bit integer (bigint)');
      return undefined;
    case 'float32':
    case 'float64':
      if (typeof value !== 'number') badValue(column, value, 'a number');
      return undefined;
    case 'date':
    case 'timestamp':
      if (typeof value !== 'number' || !Number.isSafeInteger(value)) badValue(column, value, 'an integer number of epoch milliseconds');
      return undefined;
    case 'string': {
      // encodeRow sizes and writes strings itself, without a temporary copy.
      if (typeof value !== 'string') badValue(column, value, 'a string');
      return undefined;
    }
    case 'binary':
      if (!(value instanceof Uint8Array)) badValue(column, value, 'bytes');
      if (value.length > ROW_VALUE_BYTES_MAX) fail('INVALID_VALUE', `column '${column.name}': a value has at most ${ROW_VALUE_BYTES_MAX} bytes`);
      return value;
  }
}

/**
 * Encodes in two passes over the row: sizes (string byte lengths without encoding them), then one
 * Buffer written in place. Strings go straight from the JS string into the output (no temporary
 * Uint8Array per value); the result is a Buffer, so LMDB takes it without another copy.
 */
export function encodeRow(columns: readonly Column[], row: Row): Uint8Array {
  const n = columns.length;
  const bitmapBytes = Math.ceil(n / 8);
  let size = 1 + varintBytes(n) + bitmapBytes;
  for (let i = 0; i < n; i++) {
    const column = columns[i]!;
    const value = row[column.name] ?? null;
    if (value === null) {
      if (!column.nullable) fail('NULL_IN_NON_NULLABLE', `column '${column.name}' must not be null`);
      continue;
    }
    if (column.type === 'string') {
      if (typeof value !== 'string') badValue(column, value, 'a string');
      const length = Buffer.byteLength(value, 'utf8');
      if (length > ROW_VALUE_BYTES_MAX) fail('INVALID_VALUE', `column '${column.name}': a value has at most ${ROW_VALUE_BYTES_MAX} bytes`);
      size += varintBytes(length) + length;
      continue;
    }
    const payload = checkValue(column, value);
    size += payload === undefined ? FIXED_BYTES[column.type as keyof typeof FIXED_BYTES] : varintBytes(payload.length) + payload.length;
  }
  const out = Buffer.allocUnsafe(size);
  let pos = 0;
  out[pos++] = ROW_FORMAT_VERSION;
  pos = writeVarint(out, pos, n);
  const bitmapAt = pos;
  out.fill(0, bitmapAt, bitmapAt + bitmapBytes);
  pos += bitmapBytes;
  for (let i = 0; i < n; i++) {
    const column = columns[i]!;
    const value = row[column.name] ?? null;
    if (value === null) {
      out[bitmapAt + (i >> 3)] = out[bitmapAt + (i >> 3)]! | (1 << (i & 7));
      continue;
    }
    switch (column.type) {
      case 'boolean': out[pos] = value ? 1 : 0; break;
      case 'int8': out.writeInt8(value as number, pos); break;
      case 'int16': out.writeInt16LE(value as number, pos); break;
      case 'int32': out.writeInt32LE(value as number, pos); break;
      case 'float32': out.writeFloatLE(value as number, pos); break;
      case 'float64': out.writeDoubleLE(value as number, pos); break;
      case 'int64': out.writeBigInt64LE(value as bigint, pos); break;
      case 'date':
      case 'timestamp': out.writeBigInt64LE(BigInt(value as number), pos); break;
      case 'string': {
        const length = Buffer.byteLength(value as string, 'utf8');
        pos = writeVarint(out, pos, length);
        pos += out.write(value as string, pos, length, 'utf8');
        continue;
      }
      case 'binary': {
        const payload = value as Uint8Array;
        pos = writeVarint(out, pos, payload.length);
        out.set(payload, pos);
        pos += payload.length;
        continue;
      }
    }
    pos += FIXED_BYTES[column.type];
  }
  if (pos !== size) fail('INTERNAL', `row encoder wrote ${pos} bytes, planned ${size}`);
  return out;
}

function corrupt(why: string): never {
  fail('INTERNAL', `corrupt stored row: ${why}`);
}

function need(bytes: Uint8Array, pos: number, k: number, what: string): void {
  if (k > bytes.length - pos) corrupt(`${what} needs ${k} byte(s) at offset ${pos}, only ${bytes.length - pos} left`);
}

/** As `need`, naming the column only when it fails (no string is built per value). */
function needForColumn(bytes: Uint8Array, pos: number, k: number, column: Column): void {
  if (k > bytes.length - pos) need(bytes, pos, k, `column '${column.name}'`);
}

/** A canonical unsigned LEB128 varint at `pos` (its length is then `varintBytes(value)`). */
function readVarint(bytes: Uint8Array, pos: number, what: string): number {
  let v = 0;
  let scale = 1;
  for (let i = 0; i < VARINT_BYTES_MAX; i++) {
    need(bytes, pos, 1, what);
    const b = bytes[pos++]!;
    v += (b & 0x7f) * scale;
    scale *= 128;
    if ((b & 0x80) === 0) {
      if (i > 0 && b === 0) corrupt(`overlong varint for ${what}`);
      return v;
    }
  }
  return corrupt(`varint for ${what} is longer than ${VARINT_BYTES_MAX} bytes`);
}

/**
 * The little-endian int64 at `pos` as a number when it is a safe integer, else NaN: read as two
 * 32-bit halves, so no BigInt is made for the common case.
 */
export function readSafeInt64(bytes: Uint8Array, pos: number): number {
  const lo = (bytes[pos]! | (bytes[pos + 1]! << 8) | (bytes[pos + 2]! << 16) | (bytes[pos + 3]! << 24)) >>> 0;
  const hi = bytes[pos + 4]! | (bytes[pos + 5]! << 8) | (bytes[pos + 6]! << 16) | (bytes[pos + 7]! << 24);
  // |hi| < 2^21 keeps hi * 2^32 + lo exact; the one exact value outside the safe range is -2^53.
  if (hi < -0x200000 || hi >= 0x200000) return NaN;
  const v = hi * 0x100000000 + lo;
  return Number.isSafeInteger(v) ? v : NaN;
}

/** What `locateRowValues` checks per column, as numbers so the per-row loop does no string compares. */
const CHECK_NONE = 0;
const CHECK_BOOLEAN = 1;
const CHECK_TIME = 2;

export interface RowShape {
  readonly columns: readonly Column[];
  /** Per column: the payload size of a fixed-width type, 0 for string and binary (varint length). */
  readonly fixedBytes: Uint8Array;
  readonly check: Uint8Array;
}

const SHAPES = new WeakMap<readonly Column[], RowShape>();

/** The shape of a table's rows, built once per columns array (a table keeps its array). */
export function rowShape(columns: readonly Column[]): RowShape {
  let shape = SHAPES.get(columns);
  if (!shape) {
    const variable = (c: Column) => c.type === 'string' || c.type === 'binary';
    shape = {
      columns,
      fixedBytes: Uint8Array.from(columns, (c) => (variable(c) ? 0 : FIXED_BYTES[c.type as keyof typeof FIXED_BYTES])),
      check: Uint8Array.from(columns, (c) => (c.type === 'boolean' ? CHECK_BOOLEAN : c.type === 'date' || c.type === 'timestamp' ? CHECK_TIME : CHECK_NONE)),
    };
    SHAPES.set(columns, shape);
  }
  return shape;
}

/** A varint at `pos`, the one-byte case (nearly every length) inline. */
function varintAt(bytes: Uint8Array, pos: number, what: string): number {
  const b = bytes[pos];
  return b !== undefined && b < 0x80 ? b : readVarint(bytes, pos, what);
}

/**
 * Where each column's payload lies in a stored row, checked as strictly as `decodeRow` (version,
 * column count, null bitmap, nullability, every length, boolean bytes, date/timestamp range, nothing
 * trailing) but without building values, so a reader can copy payload bytes straight out of a
 * borrowed LMDB buffer. `at[i]` is the offset of column i's payload, or -1 when it is null; `len[i]`
 * its length (for strings and binary, after the varint). UTF-8 is not checked here: `decodeRow`
 * checks each string as it decodes it, and the lookup writers check all their strings in one pass.
 */
export function locateRowValues(shape: RowShape, bytes: Uint8Array, at: Int32Array, len: Int32Array): void {
  const columns = shape.columns;
  need(bytes, 0, 1, 'format version');
  if (bytes[0] !== ROW_FORMAT_VERSION) corrupt(`unknown format version ${bytes[0]}`);
  const n = varintAt(bytes, 1, 'column count');
  let pos = 1 + varintBytes(n);
  if (n !== columns.length) corrupt(`it has ${n} columns, the table has ${columns.length}`);
  const bitmapBytes = (n + 7) >> 3;
  need(bytes, pos, bitmapBytes, 'null bitmap');
  const bitmapAt = pos;
  pos += bitmapBytes;
  if (n % 8 !== 0 && (bytes[bitmapAt + bitmapBytes - 1]! >> (n % 8)) !== 0) corrupt('unused null-bitmap bits are set');
  for (let i = 0; i < n; i++) {
    if ((bytes[bitmapAt + (i >> 3)]! >> (i & 7)) & 1) {
      if (!columns[i]!.nullable) corrupt(`column '${columns[i]!.name}' is null but not nullable`);
      at[i] = -1;
      len[i] = 0;
      continue;
    }
    let size = shape.fixedBytes[i]!;
    if (size === 0) {
      size = varintAt(bytes, pos, `column '${columns[i]!.name}'`);
      pos += varintBytes(size);
    } else if (shape.check[i] !== CHECK_NONE) checkFixed(shape, i, bytes, pos);
    needForColumn(bytes, pos, size, columns[i]!);
    at[i] = pos;
    len[i] = size;
    pos += size;
  }
  if (pos !== bytes.length) corrupt(`${bytes.length - pos} trailing byte(s)`);
}

function checkFixed(shape: RowShape, i: number, bytes: Uint8Array, pos: number): void {
  const column = shape.columns[i]!;
  needForColumn(bytes, pos, shape.fixedBytes[i]!, column);
  if (shape.check[i] === CHECK_BOOLEAN && bytes[pos]! > 1) corrupt(`column '${column.name}': boolean byte ${bytes[pos]}`);
  if (shape.check[i] === CHECK_TIME && Number.isNaN(readSafeInt64(bytes, pos))) {
    corrupt(`column '${column.name}': ${Buffer.from(bytes.buffer, bytes.byteOffset + pos, 8).readBigInt64LE()} ms is out of range`);
  }
}

/** Per-column positions for `locateRowValues`, grown to the widest table seen; rows are decoded one at a time. */
let scratchAt = new Int32Array(64);
let scratchLen = new Int32Array(64);

export function decodeRow(columns: readonly Column[], bytes: Uint8Array): Row {
  if (scratchAt.length < columns.length) {
    scratchAt = new Int32Array(columns.length);
    scratchLen = new Int32Array(columns.length);
  }
  const at = scratchAt;
  const len = scratchLen;
  locateRowValues(rowShape(columns), bytes, at, len);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const row: Row = {};
  for (let i = 0; i < columns.length; i++) {
    const column = columns[i]!;
    row[column.name] = at[i]! < 0 ? null : valueAt(column, bytes, view, at[i]!, len[i]!);
  }
  return row;
}

function valueAt(column: Column, bytes: Uint8Array, view: DataView, pos: number, length: number): Value {
  switch (column.type) {
    case 'boolean': return bytes[pos] === 1;
    case 'int8': return view.getInt8(pos);
    case 'int16': return view.getInt16(pos, true);
    case 'int32': return view.getInt32(pos, true);
    case 'float32': return view.getFloat32(pos, true);
    case 'float64': return view.getFloat64(pos, true);
    case 'int64': return view.getBigInt64(pos, true);
    case 'date':
    case 'timestamp': return readSafeInt64(bytes, pos);
    // A copy as a plain Uint8Array: Buffer#slice would alias the (possibly borrowed) input.
    case 'binary': return new Uint8Array(bytes.subarray(pos, pos + length));
    case 'string':
      try {
        return utf8Decoder.decode(bytes.subarray(pos, pos + length));
      } catch {
        return corrupt(`column '${column.name}': invalid UTF-8`);
      }
  }
}
