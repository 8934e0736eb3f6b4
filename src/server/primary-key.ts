import type * as A from 'apache-arrow';
import { batchRows, conformBatch, DATE_DAYS_MAX, ipcToBatches } from '../common/arrow.js';
import { columnProblem } from '../common/arrow-columns.js';
import { readIpcBatchLayout, type IpcBatchLayout } from '../common/arrow-ipc-layout.js';
import { fail } from '../common/errors.js';
import { ArrowKeyEncoder, bucketOf, encodeKey, encodeKeyPrefix, keyPrefixLength } from '../common/key-encoding.js';
import { rowFromJson } from '../common/json-values.js';
import type { Column } from '../common/schema.js';
import { keyEncodingOrder, tableKind } from '../common/schema.js';
import type { Row, Value } from '../common/values.js';
import type { KvBucket } from '../kv/kv-bucket.js';
import { stringsAreUtf8 } from '../kv/row-arrow.js';
import type { TableRuntime } from './table-store.js';

/** Most keys (or prefixes) one lookup request may carry. */
export const LOOKUP_KEYS_MAX = 10_000;
/** Most rows one prefix of a prefix lookup may return. */
export const PREFIX_ROWS_MAX = 100_000;

export function requirePrimaryKey(table: TableRuntime, what: string): readonly KvBucket[] {
  if (tableKind(table.definition) !== 'primary-key' || !table.kv) {
    fail('UNSUPPORTED_OPERATION', `table ${table.qualifiedName} is a log table without a primary key; ${what} needs a primary-key table (use POST .../append and the records API)`);
  }
  return table.kv;
}

function columnsNamed(table: TableRuntime, names: readonly string[]): Column[] {
  return names.map((n) => table.definition.columns.find((c) => c.name === n)!);
}

const BUCKET_KEY_COLUMNS = new WeakMap<TableRuntime, Column[]>();

export function bucketForRow(table: TableRuntime, row: Row): number {
  const def = table.definition;
  if (def.buckets === 1) return 0;
  let cols = BUCKET_KEY_COLUMNS.get(table);
  if (!cols) BUCKET_KEY_COLUMNS.set(table, (cols = columnsNamed(table, def.bucketKey)));
  return bucketOf(encodeKey(cols, cols.map((c) => row[c.name] ?? null)), def.buckets);
}

function parseKeyObjects(table: TableRuntime, raw: unknown, field: string, names: readonly string[]): Row[] {
  if (!Array.isArray(raw)) fail('INVALID_VALUE', `the body must be {"${field}":[{...}, ...]}`);
  if (raw.length > LOOKUP_KEYS_MAX) fail('TOO_MANY_KEYS', `${raw.length} ${field} in one request; at most ${LOOKUP_KEYS_MAX}`);
  const cols = columnsNamed(table, names);
  return raw.map((k, i) => rowFromJson(cols, k, i, { required: names, only: names }));
}

/** Where looked-up rows go, in key order; the stored bytes are borrowed for the call only. */
export interface StoredRowSink {
  add(stored: Uint8Array | undefined): void;
}

/** The keys of one lookup, each encoded as `encodeKey` encodes the primary key (columns in key-encoding order). */
export interface LookupKeys {
  readonly count: number;
  /** Key i, in bytes that the next call may overwrite. */
  encoded(i: number): Uint8Array;
}

/** The keys of a lookup: `{"keys":[{...}, ...]}`, or an Arrow IPC stream of the primary-key columns. */
export function lookupKeys(table: TableRuntime, body: unknown): LookupKeys {
  requirePrimaryKey(table, 'lookup');
  if (body instanceof Uint8Array) return keysFromArrow(table, body);
  const pk = table.definition.primaryKey;
  return rowKeys(table, parseKeyObjects(table, (body as { keys?: unknown } | undefined)?.keys, 'keys', pk));
}

/** Key rows encoded one at a time, through the shared `encodeKey`. */
function rowKeys(table: TableRuntime, rows: readonly Row[]): LookupKeys {
  const cols = keyColumnsOf(table);
  const values: Value[] = new Array(cols.length);
  return {
    count: rows.length,
    encoded(i) {
      for (let j = 0; j < cols.length; j++) values[j] = rows[i]![cols[j]!.name] ?? null;
      return encodeKey(cols, values);
    },
  };
}

function keysFromArrow(table: TableRuntime, body: Uint8Array): LookupKeys {
  const fast = keysFromKnownSchema(table.definition, keyColumnsOf(table), body);
  if (fast) return fast;
  const { batches } = ipcToBatches(body);
  const count = batches.reduce((n, b) => n + b.numRows, 0);
  if (count > LOOKUP_KEYS_MAX) fail('TOO_MANY_KEYS', `${count} keys in one request; at most ${LOOKUP_KEYS_MAX}`);
  const cols = columnsNamed(table, table.definition.primaryKey);
  const rows = batches.flatMap((b) => keyRows(conformBatch(cols, b), cols));
  rememberKeySchema(table.definition, keyColumnsOf(table), body);
  return rowKeys(table, rows);
}

/*
 * The fast read of Arrow keys. A client sends the same schema message with every request, so once
 * a key stream has been read the generic way (ipcToBatches + conformBatch, which check field types,
 * names and nullability), its schema message bytes are remembered with where each key column is.
 * A later one-batch stream with the same schema bytes has its keys encoded straight from the body
 * buffers (ArrowKeyEncoder: no rows, no values); anything unusual there (nulls, a second batch, a
 * buffer that does not fit, a time value out of range, a string that is not UTF-8) goes the generic
 * way, so bad input gets the same 4xx as before.
 */

/** Schema message bytes (as latin1 text) -> the field index of each key column, per table definition. */
const KEY_SCHEMAS = new WeakMap<object, Map<string, number[]>>();
/** Distinct key schemas remembered per table; a client sends one, so a few cover every client. */
const KEY_SCHEMAS_MAX = 16;
const TIMESTAMP_MS_MAX = Number.MAX_SAFE_INTEGER;

/** The schema message of a stream (continuation marker, length, metadata) as a map key, or undefined. */
function schemaKey(body: Uint8Array): string | undefined {
  if (body.length < 8) return undefined;
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  if (view.getInt32(0, true) !== -1) return undefined;
  const end = 8 + view.getInt32(4, true);
  if (end <= 8 || end > body.length) return undefined;
  return Buffer.from(body.buffer, body.byteOffset, end).toString('latin1');
}

function layoutOf(body: Uint8Array): IpcBatchLayout | undefined {
  try {
    const read = readIpcBatchLayout(body, body.length);
    return read.kind === 'layout' ? read.layout : undefined;
  } catch {
    return undefined; // the generic read names the problem
  }
}

function rememberKeySchema(definition: object, cols: readonly Column[], body: Uint8Array): void {
  const key = schemaKey(body);
  const layout = key === undefined ? undefined : layoutOf(body);
  if (key === undefined || !layout) return;
  const fields = cols.map((c) => layout.fields.findIndex((f) => f.name === c.name));
  if (fields.some((f, j) => f < 0 || layout.fields.findLastIndex((x) => x.name === cols[j]!.name) !== f)) return;
  let known = KEY_SCHEMAS.get(definition);
  if (!known) KEY_SCHEMAS.set(definition, (known = new Map()));
  if (known.size >= KEY_SCHEMAS_MAX) known.delete(known.keys().next().value!);
  known.set(key, fields);
}

/** The bytes after the batch are nothing, or an end-of-stream marker (current or legacy). */
function endsAfterBatch(body: Uint8Array, layout: IpcBatchLayout): boolean {
  const end = layout.bodyStart + layout.bodyLength;
  const rest = body.length - end;
  if (rest === 0) return true;
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  if (rest === 8) return view.getInt32(end, true) === -1 && view.getInt32(end + 4, true) === 0;
  return rest === 4 && view.getInt32(end, true) === 0;
}

function keysFromKnownSchema(definition: object, cols: readonly Column[], body: Uint8Array): LookupKeys | undefined {
  const key = schemaKey(body);
  const fields = key === undefined ? undefined : KEY_SCHEMAS.get(definition)?.get(key);
  if (!fields) return undefined;
  const layout = layoutOf(body);
  if (!layout || layout.length > LOOKUP_KEYS_MAX || !endsAfterBatch(body, layout)) return undefined;
  const n = layout.length;
  const columns: Uint8Array[][] = [];
  for (let j = 0; j < cols.length; j++) {
    const field = layout.fields[fields[j]!]!;
    const nullCount = layout.nullCounts[fields[j]!]!;
    if (nullCount !== 0) return undefined; // key columns are not nullable: the generic read refuses it
    const buffers: Uint8Array[] = [];
    for (let b = 0; b < field.bufferCount; b++) {
      const region = layout.buffers[field.firstBuffer + b]!;
      buffers.push(body.subarray(layout.bodyStart + region.offset, layout.bodyStart + region.offset + region.length));
    }
    if (columnProblem(cols[j]!.type, { nullCount, buffers }, n) !== undefined || !keyValuesReadable(cols[j]!, buffers, n)) return undefined;
    columns.push(buffers);
  }
  return new ArrowKeyEncoder(cols, columns, n);
}

/** Whether the generic read accepts every value of key column `c` (whose buffers passed columnProblem) as it is. */
function keyValuesReadable(c: Column, buffers: readonly Uint8Array[], n: number): boolean {
  const data = buffers[buffers.length - 1]!;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  switch (c.type) {
    case 'date':
      for (let i = 0; i < n; i++) {
        const days = view.getInt32(i * 4, true);
        if (days > DATE_DAYS_MAX || days < -DATE_DAYS_MAX) return false;
      }
      return true;
    case 'timestamp':
      for (let i = 0; i < n; i++) {
        const ms = view.getInt32(i * 8 + 4, true) * 2 ** 32 + view.getUint32(i * 8, true);
        if (ms > TIMESTAMP_MS_MAX || ms < -TIMESTAMP_MS_MAX) return false;
      }
      return true;
    case 'string':
    case 'binary': {
      const o = buffers[1]!;
      const offsets = new DataView(o.buffer, o.byteOffset, o.byteLength);
      for (let i = 0; i < n; i++) {
        const start = offsets.getInt32(i * 4, true);
        const end = offsets.getInt32(i * 4 + 4, true);
        if (start < 0 || end < start || end > data.length) return false;
      }
      // The generic read decodes a string key, turning bytes that are not UTF-8 into U+FFFD.
      return c.type === 'binary' || stringsAreUtf8(data, offsets, n);
    }
    default:
      return true;
  }
}

/** Numeric columns whose Arrow typed array holds the in-memory values as they are. */
const TYPED_AS_VALUES = new Set(['int8', 'int16', 'int32', 'int64', 'float32', 'float64']);

/** The key rows of a conformed batch; numeric columns straight from their typed arrays (no per-value getter). */
function keyRows(batch: A.RecordBatch, cols: readonly Column[]): Row[] {
  const rows: Row[] = Array.from({ length: batch.numRows }, () => ({}));
  for (const c of cols) {
    const values: ArrayLike<Value> = TYPED_AS_VALUES.has(c.type) ? batch.getChild(c.name)!.toArray() : batchRows(batch, [c.name]).map((r) => r[c.name] ?? null);
    for (let i = 0; i < rows.length; i++) rows[i]![c.name] = values[i]!;
  }
  return rows;
}

const KEY_COLUMNS = new WeakMap<TableRuntime, Column[]>();

/** The primary-key columns in key-encoding order (bucket key first), found once per table. */
function keyColumnsOf(table: TableRuntime): Column[] {
  let cols = KEY_COLUMNS.get(table);
  if (!cols) KEY_COLUMNS.set(table, (cols = columnsNamed(table, keyEncodingOrder(table.definition))));
  return cols;
}

/** The bucket of an encoded primary key. */
export function bucketOfKey(table: TableRuntime, key: Uint8Array): number {
  const { buckets, bucketKey } = table.definition;
  if (buckets === 1) return 0;
  // The bucket key columns come first, so the encoded bucket key is a prefix of the key.
  const cols = keyColumnsOf(table);
  return bucketOf(bucketKey.length === cols.length ? key : key.subarray(0, keyPrefixLength(cols, key, bucketKey.length)), buckets);
}

/** Reads every key's current row into `sink`, in one synchronous pass (one LMDB snapshot). */
export function lookupInto(table: TableRuntime, keys: LookupKeys, sink: StoredRowSink): void {
  const kv = requirePrimaryKey(table, 'lookup');
  for (let i = 0; i < keys.count; i++) {
    const key = keys.encoded(i);
    sink.add(kv[bucketOfKey(table, key)]!.readBorrowed(key));
  }
}

/**
 * The primary keys of a write batch conformed to the table, encoded straight from its Arrow buffers
 * (ArrowKeyEncoder: no row, no bigint per key). Undefined when a key column is a slice, has nulls,
 * or holds a value the generic path must judge (see keyValuesReadable): that path takes the batch.
 */
export function batchKeys(table: TableRuntime, batch: A.RecordBatch): LookupKeys | undefined {
  const cols = keyColumnsOf(table);
  const columns: Uint8Array[][] = [];
  for (const c of cols) {
    const chunks = batch.getChild(c.name)?.data;
    const d = chunks?.length === 1 ? chunks[0]! : undefined;
    if (!d || d.offset !== 0 || d.nullCount !== 0) return undefined;
    const bytes = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    const buffers = c.type === 'string' || c.type === 'binary' ? [new Uint8Array(0), bytes(d.valueOffsets), bytes(d.values)] : [new Uint8Array(0), bytes(d.values)];
    if (!keyValuesReadable(c, buffers, batch.numRows)) return undefined;
    columns.push(buffers);
  }
  return new ArrowKeyEncoder(cols, columns, batch.numRows);
}

export function prefixLookupRows(table: TableRuntime, body: unknown): Row[][] {
  const kv = requirePrimaryKey(table, 'prefix lookup');
  const def = table.definition;
  if (def.bucketKey.length >= def.primaryKey.length) {
    fail('UNSUPPORTED_OPERATION', `prefix lookup needs a bucket key that is a proper prefix of the primary key; ${table.qualifiedName} has bucket key (${def.bucketKey.join(', ')}) and primary key (${def.primaryKey.join(', ')})`);
  }
  const prefixes = parseKeyObjects(table, (body as { prefixes?: unknown } | undefined)?.prefixes, 'prefixes', def.bucketKey);
  const cols = columnsNamed(table, def.bucketKey);
  return prefixes.map((p) => kv[bucketForRow(table, p)]!.prefixLookup(encodeKeyPrefix(cols, cols.map((c) => p[c.name] ?? null)), PREFIX_ROWS_MAX));
}
