import type * as A from 'apache-arrow';
import { batchRows, conformBatch, ipcToBatches } from '../common/arrow.js';
import { bucketRouter } from '../common/bucket-router.js';
import { fail } from '../common/errors.js';
import { encodeKey, encodeKeyPrefix } from '../common/key-encoding.js';
import { rowFromJson } from '../common/json-values.js';
import type { Column } from '../common/schema.js';
import { tableKind } from '../common/schema.js';
import type { Row, Value } from '../common/values.js';
import { keysFromKnownSchema, rememberKeySchema, type LookupKeys } from '../kv/arrow-keys.js';
import type { KvBucket } from '../kv/kv-bucket.js';
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

/** The keys of a lookup: `{"keys":[{...}, ...]}`, or an Arrow IPC stream of the primary-key columns. */
export function lookupKeys(table: TableRuntime, body: unknown): LookupKeys {
  requirePrimaryKey(table, 'lookup');
  if (body instanceof Uint8Array) return keysFromArrow(table, body);
  const pk = table.definition.primaryKey;
  return rowKeys(table, parseKeyObjects(table, (body as { keys?: unknown } | undefined)?.keys, 'keys', pk));
}

/** Key rows encoded one at a time, through the shared `encodeKey`. */
function rowKeys(table: TableRuntime, rows: readonly Row[]): LookupKeys {
  const cols = bucketRouter(table.definition).keyColumns;
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
  const keyColumns = bucketRouter(table.definition).keyColumns;
  const fast = keysFromKnownSchema(table.definition, keyColumns, body, LOOKUP_KEYS_MAX);
  if (fast) return fast;
  const { batches } = ipcToBatches(body);
  const count = batches.reduce((n, b) => n + b.numRows, 0);
  if (count > LOOKUP_KEYS_MAX) fail('TOO_MANY_KEYS', `${count} keys in one request; at most ${LOOKUP_KEYS_MAX}`);
  const cols = columnsNamed(table, table.definition.primaryKey);
  const rows = batches.flatMap((b) => keyRows(conformBatch(cols, b), cols));
  rememberKeySchema(table.definition, keyColumns, body);
  return rowKeys(table, rows);
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

/** Reads every key's current row into `sink`, in one synchronous pass (one LMDB snapshot). */
export function lookupInto(table: TableRuntime, keys: LookupKeys, sink: StoredRowSink): void {
  const kv = requirePrimaryKey(table, 'lookup');
  const router = bucketRouter(table.definition);
  for (let i = 0; i < keys.count; i++) {
    const key = keys.encoded(i);
    sink.add(kv[router.ofKey(key)]!.readBorrowed(key));
  }
}

export function prefixLookupRows(table: TableRuntime, body: unknown): Row[][] {
  const kv = requirePrimaryKey(table, 'prefix lookup');
  const def = table.definition;
  if (def.bucketKey.length >= def.primaryKey.length) {
    fail('UNSUPPORTED_OPERATION', `prefix lookup needs a bucket key that is a proper prefix of the primary key; ${table.qualifiedName} has bucket key (${def.bucketKey.join(', ')}) and primary key (${def.primaryKey.join(', ')})`);
  }
  const prefixes = parseKeyObjects(table, (body as { prefixes?: unknown } | undefined)?.prefixes, 'prefixes', def.bucketKey);
  const router = bucketRouter(def);
  const cols = router.bucketKeyColumns;
  return prefixes.map((p) => kv[router.ofRow(p)]!.prefixLookup(encodeKeyPrefix(cols, cols.map((c) => p[c.name] ?? null)), PREFIX_ROWS_MAX));
}
