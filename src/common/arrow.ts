import * as A from 'apache-arrow';
import { verifyIpcStream } from './arrow-ipc-verify.js';
import { fail, LakestreamError } from './errors.js';
import type { Column, ColumnType } from './schema.js';
import { SYSTEM_COLUMNS } from './schema.js';
import type { ChangeType, Row, Value } from './values.js';
import { CHANGE_TYPES } from './values.js';

/** Arrow types of our column types. Timestamps are milliseconds in UTC. */
export function arrowType(type: ColumnType): A.DataType {
  switch (type) {
    case 'boolean': return new A.Bool();
    case 'int8': return new A.Int8();
    case 'int16': return new A.Int16();
    case 'int32': return new A.Int32();
    case 'int64': return new A.Int64();
    case 'float32': return new A.Float32();
    case 'float64': return new A.Float64();
    case 'string': return new A.Utf8();
    case 'binary': return new A.Binary();
    case 'date': return new A.DateDay();
    case 'timestamp': return new A.TimestampMillisecond('UTC');
  }
}

export function arrowField(col: Column): A.Field {
  return new A.Field(col.name, arrowType(col.type), col.nullable);
}

export const LOG_OFFSET_FIELD = new A.Field('_log_offset', new A.Int64(), false);
export const COMMIT_TIMESTAMP_FIELD = new A.Field('_commit_timestamp', new A.TimestampMillisecond('UTC'), false);
export const CHANGE_TYPE_FIELD = new A.Field('_change_type', new A.Utf8(), false);
/** Stored changelog batches carry the change type as an int8 code (index into CHANGE_TYPES). */
export const STORED_CHANGE_TYPE_FIELD = new A.Field('_change_type', new A.Int8(), false);

export function arrowSchema(columns: readonly Column[], extra: readonly A.Field[] = []): A.Schema {
  return new A.Schema([...columns.map(arrowField), ...extra]);
}

/** Builds one record batch with exactly the given schema from per-field data. */
export function batchFromData(schema: A.Schema, length: number, children: A.Data[]): A.RecordBatch {
  const struct = A.makeData({ type: new A.Struct(schema.fields), length, nullCount: 0, children });
  return new A.RecordBatch(schema, struct);
}

function buildColumn(col: Column | A.Field, values: Iterable<Value>): A.Data {
  const type = col instanceof A.Field ? col.type : arrowType(col.type);
  const builder = A.makeBuilder({ type, nullValues: [null, undefined] });
  for (const v of values) builder.append(v as never);
  return builder.finish().flush() as A.Data;
}

/** Rows in the in-memory representation -> one record batch of the columns (plus optional change types). */
export function rowsToBatch(columns: readonly Column[], rows: readonly Row[], changeTypes?: readonly ChangeType[]): A.RecordBatch {
  const children = columns.map((c) => buildColumn(c, rows.map((r) => r[c.name] ?? null)));
  const extra: A.Field[] = [];
  if (changeTypes) {
    extra.push(STORED_CHANGE_TYPE_FIELD);
    const codes = Int8Array.from(changeTypes, (t) => CHANGE_TYPES.indexOf(t));
    children.push(A.makeData({ type: new A.Int8(), length: codes.length, nullCount: 0, data: codes }));
  }
  return batchFromData(arrowSchema(columns, extra), rows.length, children);
}

export function batchToIpc(batches: A.RecordBatch | readonly A.RecordBatch[], schema?: A.Schema): Uint8Array {
  const list = Array.isArray(batches) ? batches : [batches as A.RecordBatch];
  const writer = new A.RecordBatchStreamWriter();
  writer.reset(undefined, schema ?? list[0]?.schema);
  for (const b of list) writer.write(b);
  writer.finish();
  return writer.toUint8Array(true);
}

/** Reads an Arrow IPC stream; any malformed byte becomes INVALID_ARROW, never a crash. */
export function ipcToBatches(bytes: Uint8Array): { schema: A.Schema; batches: A.RecordBatch[] } {
  try {
    // Arrow JS trusts the FlatBuffers metadata; a damaged length can make it allocate without bound.
    verifyIpcStream(bytes);
    const reader = A.RecordBatchReader.from(bytes);
    reader.open();
    // Read the schema before the batches: the reader drops it once it has been read to the end.
    const schema = reader.schema;
    if (!schema) throw new Error('no schema message');
    const batches = [...reader] as A.RecordBatch[];
    for (const b of batches) checkBatchShape(b);
    return { schema, batches };
  } catch (e) {
    if (e instanceof LakestreamError) throw e;
    return fail('INVALID_ARROW', `the body is not a readable Arrow IPC stream: ${(e as Error).message?.slice(0, 200)}`);
  }
}

/** Arrow JS trusts lengths in the message; check every child fits its buffers before we touch rows. */
function checkBatchShape(batch: A.RecordBatch): void {
  for (const child of batch.data.children) {
    if (child.length !== batch.numRows) throw new Error('a column length differs from the batch length');
    checkData(child);
  }
}

function checkData(d: A.Data): void {
  const t = d.type;
  const n = d.length;
  if (n < 0 || d.offset < 0) throw new Error('negative length');
  const end = d.offset + n;
  if (d.nullBitmap && d.nullBitmap.length > 0 && d.nullBitmap.length * 8 < end) throw new Error('validity bitmap too short');
  // Writers may leave the value buffers of an empty or all-null column empty; nothing is read from them.
  if (n === 0 || d.nullCount === n) return;
  if (A.DataType.isUtf8(t) || A.DataType.isBinary(t)) {
    const offsets = d.valueOffsets as Int32Array;
    if (!offsets || offsets.length < end + 1) throw new Error('offsets buffer too short');
    let prev = offsets[d.offset]!;
    if (prev < 0) throw new Error('negative offset');
    for (let i = d.offset + 1; i <= end; i++) {
      const o = offsets[i]!;
      if (o < prev) throw new Error('offsets decrease');
      prev = o;
    }
    if (prev > (d.values?.length ?? 0)) throw new Error('offsets point past the data buffer');
  } else if (A.DataType.isBool(t)) {
    if ((d.values?.length ?? 0) * 8 < end) throw new Error('boolean buffer too short');
  } else if (A.DataType.isDictionary(t)) {
    const dict = d.dictionary;
    if (!dict) throw new Error('dictionary missing');
    for (const part of dict.data) checkData(part);
    const idx = d.values as ArrayLike<number | bigint>;
    if (!idx || idx.length < end) throw new Error('dictionary indices too short');
    for (let i = d.offset; i < end; i++) {
      const k = Number(idx[i]);
      if ((k < 0 || k >= dict.length) && d.getValid(i - d.offset)) throw new Error('dictionary index out of range');
    }
  } else if (d.values) {
    if (d.values.length < end) throw new Error('data buffer too short');
  }
  for (const c of d.children ?? []) checkData(c);
}

/** The same buffers under the table's timestamp type (the incoming field may name another zone). */
function retype(data: A.Data, type: A.Timestamp): A.Data {
  return A.makeData({ type, offset: data.offset, length: data.length, nullCount: data.nullCount, nullBitmap: data.nullBitmap, data: data.values as BigInt64Array });
}

function sameType(expected: A.DataType, actual: A.DataType): boolean {
  if (expected.typeId !== actual.typeId) return false;
  if (A.DataType.isInt(expected)) return expected.bitWidth === (actual as A.Int).bitWidth && expected.isSigned === (actual as A.Int).isSigned;
  if (A.DataType.isFloat(expected)) return expected.precision === (actual as A.Float).precision;
  if (A.DataType.isTimestamp(expected)) return expected.unit === (actual as A.Timestamp).unit;
  if (A.DataType.isDate(expected)) return expected.unit === (actual as A.Date_).unit;
  return true;
}

/** Keeps a leading U+FEFF: apache-arrow's and hyparquet's decoders drop it, which changes the value. */
const UTF8 = new TextDecoder('utf-8', { ignoreBOM: true });

/** A stored string's bytes as text, exactly (a leading U+FEFF stays; invalid bytes become U+FFFD). */
export function decodeUtf8(bytes: Uint8Array): string {
  return UTF8.decode(bytes);
}

/**
 * first, first + 1, ... as int64s (`_log_offset` columns). Below 2^53 (every real offset) the
 * little-endian words are written from a number: a bigint per row would be an allocation per row.
 */
export function consecutiveInt64s(first: bigint, length: number): BigInt64Array {
  const out = new BigInt64Array(length);
  if (first < 0n || first + BigInt(length) > BigInt(Number.MAX_SAFE_INTEGER)) {
    for (let i = 0; i < length; i++) out[i] = first + BigInt(i);
    return out;
  }
  const words = new Uint32Array(out.buffer);
  const start = Number(first);
  for (let i = 0; i < length; i++) {
    const v = start + i;
    words[2 * i] = v >>> 0;
    words[2 * i + 1] = Math.floor(v / 0x1_0000_0000);
  }
  return out;
}

/** apache-arrow slices the offsets (and index) buffers with the data; `d.offset` is for the bitmap. */
function utf8At(d: A.Data, k: number): string {
  const offsets = d.valueOffsets as Int32Array;
  return UTF8.decode((d.values as Uint8Array).subarray(offsets[k], offsets[k + 1]));
}

function isStrings(type: A.DataType): boolean {
  return A.DataType.isUtf8(type) || (A.DataType.isDictionary(type) && A.DataType.isUtf8(type.dictionary));
}

/** Value `i` of a vector, as `vector.get(i)` but with strings decoded exactly (see UTF8). */
export function valueAt(vector: A.Vector, i: number): unknown {
  if (!isStrings(vector.type)) return vector.get(i);
  let k = i;
  for (const d of vector.data) {
    if (k >= d.length) {
      k -= d.length;
      continue;
    }
    if (!d.getValid(k)) return null;
    if (!A.DataType.isDictionary(d.type)) return utf8At(d, k);
    return valueAt(d.dictionary!, Number((d.values as ArrayLike<number | bigint>)[k]));
  }
  return null;
}

/** Dictionary-encoded strings arrive from pandas/polars; store them plain. */
function decodeDictionary(vector: A.Vector): A.Data {
  const builder = A.makeBuilder({ type: new A.Utf8(), nullValues: [null] });
  for (let i = 0; i < vector.length; i++) builder.append(valueAt(vector, i) as string | null);
  return builder.finish().flush() as A.Data;
}

/**
 * Conforms an incoming batch to the table: columns matched by name, missing nullable columns filled
 * with nulls, dictionary strings decoded, nullable-flagged fields accepted when they hold no nulls.
 * System columns are dropped. Anything else that does not match is a 400 naming the column.
 */
export function conformBatch(columns: readonly Column[], batch: A.RecordBatch): A.RecordBatch {
  const incoming = new Map<string, number>();
  batch.schema.fields.forEach((f, i) => {
    if ((SYSTEM_COLUMNS as readonly string[]).includes(f.name)) return;
    if (!columns.some((c) => c.name === f.name)) fail('UNKNOWN_COLUMN', `Arrow field '${f.name.slice(0, 100)}' is not a column of the table; columns: ${columns.map((c) => c.name).join(', ')}`);
    if (incoming.has(f.name)) fail('SCHEMA_MISMATCH', `Arrow field '${f.name}' appears twice`);
    incoming.set(f.name, i);
  });
  const n = batch.numRows;
  const children = columns.map((col) => {
    const idx = incoming.get(col.name);
    const expected = arrowType(col.type);
    if (idx === undefined) {
      if (!col.nullable) fail('NULL_IN_NON_NULLABLE', `column '${col.name}' is not nullable but the Arrow batch does not carry it`);
      return buildColumn(col, new Array<Value>(n).fill(null));
    }
    const field = batch.schema.fields[idx]!;
    const vector = batch.getChildAt(idx)!;
    let data: A.Data;
    if (A.DataType.isDictionary(field.type) && A.DataType.isUtf8(expected) && A.DataType.isUtf8(field.type.dictionary)) {
      data = decodeDictionary(vector);
    } else if (sameType(expected, field.type)) {
      data = vector.data.length === 1 ? vector.data[0]! : buildColumn(col, vector.toArray() as Iterable<Value>);
      if (A.DataType.isTimestamp(field.type)) data = retype(data, expected as A.Timestamp);
    } else {
      return fail('SCHEMA_MISMATCH', `column '${col.name}' must be ${col.type} (Arrow ${expected}), the batch has ${field.type}`);
    }
    if (!col.nullable && data.nullCount > 0) fail('NULL_IN_NON_NULLABLE', `column '${col.name}' is not nullable but the Arrow batch has ${data.nullCount} nulls in it`);
    if (col.type === 'timestamp' || col.type === 'date') checkTimeRange(col, data);
    return data;
  });
  return batchFromData(arrowSchema(columns), n, children);
}

/** Timestamps are epoch ms held as safe integers, dates days that a JS Date can show (as the JSON path takes them). */
const TIMESTAMP_MS_MAX = BigInt(Number.MAX_SAFE_INTEGER);
export const DATE_DAYS_MAX = 100_000_000;

/**
 * Arrow carries timestamps as int64 and dates as int32 days; values outside what the rest of the
 * server represents (a number of ms, a Date) would throw when a row is read, a 500 for a client's
 * bytes and a poisoned bucket for every later reader. Refused here instead, like the JSON path does.
 */
function checkTimeRange(col: Column, data: A.Data): void {
  const values = data.values as BigInt64Array | Int32Array;
  for (let i = 0; i < data.length; i++) {
    if (data.nullCount > 0 && !data.getValid(i)) continue;
    const v = values[data.offset + i]!;
    const ok = typeof v === 'bigint' ? v <= TIMESTAMP_MS_MAX && v >= -TIMESTAMP_MS_MAX : v <= DATE_DAYS_MAX && v >= -DATE_DAYS_MAX;
    if (!ok) fail('INVALID_VALUE', `column '${col.name}' (${col.type}) row ${i}: ${v} is out of range (${typeof v === 'bigint' ? 'epoch ms must be a safe integer' : `at most ${DATE_DAYS_MAX} days from 1970-01-01`})`);
  }
}

/** Rows of a batch in the in-memory representation (int64 as bigint, dates/timestamps as ms). */
export function batchRows(batch: A.RecordBatch, names?: readonly string[]): Row[] {
  const fields = batch.schema.fields.filter((f) => !names || names.includes(f.name));
  const vectors = fields.map((f) => batch.getChild(f.name)!);
  const rows: Row[] = new Array(batch.numRows);
  for (let i = 0; i < batch.numRows; i++) {
    const row: Row = {};
    for (let j = 0; j < fields.length; j++) row[fields[j]!.name] = normalizeValue(valueAt(vectors[j]!, i));
    rows[i] = row;
  }
  return rows;
}

function normalizeValue(v: unknown): Value {
  if (v === undefined) return null;
  if (v instanceof Date) return v.getTime();
  return v as Value;
}
