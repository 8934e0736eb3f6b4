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
const FIXED_BYTES = {
  boolean: 1, int8: 1, int16: 2, int32: 4, float32: 4, float64: 8, int64: 8, date: 8, timestamp: 8,
} as const;

function varintBytes(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
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
  const writeVarint = (v: number): void => {
    while (v >= 0x80) {
      out[pos++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    out[pos++] = v;
  };
  out[pos++] = ROW_FORMAT_VERSION;
  writeVarint(n);
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
        writeVarint(length);
        pos += out.write(value as string, pos, length, 'utf8');
        continue;
      }
      case 'binary': {
        const payload = value as Uint8Array;
        writeVarint(payload.length);
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

export function decodeRow(columns: readonly Column[], bytes: Uint8Array): Row {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 0;
  const need = (k: number, what: string): void => {
    if (k > bytes.length - pos) corrupt(`${what} needs ${k} byte(s) at offset ${pos}, only ${bytes.length - pos} left`);
  };
  const readVarint = (what: string): number => {
    let v = 0;
    let scale = 1;
    for (let i = 0; i < VARINT_BYTES_MAX; i++) {
      need(1, what);
      const b = bytes[pos++]!;
      v += (b & 0x7f) * scale;
      scale *= 128;
      if ((b & 0x80) === 0) {
        if (i > 0 && b === 0) corrupt(`overlong varint for ${what}`);
        return v;
      }
    }
    corrupt(`varint for ${what} is longer than ${VARINT_BYTES_MAX} bytes`);
  };
  need(1, 'format version');
  const version = bytes[pos++]!;
  if (version !== ROW_FORMAT_VERSION) corrupt(`unknown format version ${version}`);
  const n = readVarint('column count');
  if (n !== columns.length) corrupt(`it has ${n} columns, the table has ${columns.length}`);
  const bitmapBytes = Math.ceil(n / 8);
  need(bitmapBytes, 'null bitmap');
  const bitmapAt = pos;
  pos += bitmapBytes;
  if (n % 8 !== 0 && (bytes[bitmapAt + bitmapBytes - 1]! >> (n % 8)) !== 0) corrupt('unused null-bitmap bits are set');
  const row: Row = {};
  for (let i = 0; i < n; i++) {
    const column = columns[i]!;
    if ((bytes[bitmapAt + (i >> 3)]! >> (i & 7)) & 1) {
      if (!column.nullable) corrupt(`column '${column.name}' is null but not nullable`);
      row[column.name] = null;
      continue;
    }
    const what = `column '${column.name}'`;
    let value: Value;
    switch (column.type) {
      case 'boolean': {
        need(1, what);
        const b = bytes[pos]!;
        if (b > 1) corrupt(`${what}: boolean byte ${b}`);
        value = b === 1;
        break;
      }
      case 'int8': need(1, what); value = view.getInt8(pos); break;
      case 'int16': need(2, what); value = view.getInt16(pos, true); break;
      case 'int32': need(4, what); value = view.getInt32(pos, true); break;
      case 'float32': need(4, what); value = view.getFloat32(pos, true); break;
      case 'float64': need(8, what); value = view.getFloat64(pos, true); break;
      case 'int64': need(8, what); value = view.getBigInt64(pos, true); break;
      case 'date':
      case 'timestamp': {
        need(8, what);
        const ms = view.getBigInt64(pos, true);
        if (ms < BigInt(Number.MIN_SAFE_INTEGER) || ms > BigInt(Number.MAX_SAFE_INTEGER)) corrupt(`${what}: ${ms} ms is out of range`);
        value = Number(ms);
        break;
      }
      case 'string':
      case 'binary': {
        const length = readVarint(what);
        need(length, what);
        const raw = bytes.subarray(pos, pos + length);
        pos += length;
        // A copy as a plain Uint8Array: Buffer#slice would alias the (possibly borrowed) input.
        if (column.type === 'binary') row[column.name] = new Uint8Array(raw);
        else {
          try {
            row[column.name] = utf8Decoder.decode(raw);
          } catch {
            corrupt(`${what}: invalid UTF-8`);
          }
        }
        continue;
      }
    }
    row[column.name] = value;
    pos += FIXED_BYTES[column.type];
  }
  if (pos !== bytes.length) corrupt(`${bytes.length - pos} trailing byte(s)`);
  return row;
}
