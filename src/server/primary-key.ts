import type * as A from 'apache-arrow';
import { batchRows, conformBatch, ipcToBatches } from '../common/arrow.js';
import { fail } from '../common/errors.js';
import { bucketOf, encodeKey, encodeKeyPrefix } from '../common/key-encoding.js';
import { rowFromJson } from '../common/json-values.js';
import type { Column } from '../common/schema.js';
import { keyEncodingOrder, tableKind } from '../common/schema.js';
import type { Row, Value } from '../common/values.js';
import type { KvOp, AppliedBatch } from '../kv/changelog.js';
import type { KvBucket } from '../kv/kv-bucket.js';
import type { WriteReply, WriterIdentity } from './append.js';
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

/**
 * Applies upserts or deletes. Every bucket's ops are planned (merged, validated) before any bucket
 * appends, so a refused request writes nothing; each bucket then appends one changelog batch stamped
 * with the writer's id and sequence, and a retry is answered bucket by bucket from the writer state.
 */
export async function writePrimaryKeyTable(
  table: TableRuntime,
  kind: 'upsert' | 'delete',
  rows: readonly Row[],
  targetColumns: readonly string[] | undefined,
  writer?: WriterIdentity,
): Promise<WriteReply> {
  const kv = requirePrimaryKey(table, kind);
  const perBucket = new Map<number, KvOp[]>();
  for (const row of rows) {
    const b = bucketForRow(table, row);
    let ops = perBucket.get(b);
    if (!ops) perBucket.set(b, (ops = []));
    ops.push({ kind, key: kv[b]!.keyOf(row), row, ...(targetColumns ? { targetColumns } : {}) });
  }
  const plans: { bucket: number; plan: AppliedBatch | { duplicate: bigint } }[] = [];
  for (const [b, ops] of [...perBucket.entries()].sort((x, y) => x[0] - y[0])) {
    const check = writer ? kv[b]!.log.checkWriter(writer.writerId, writer.sequence) : { kind: 'new' as const };
    if (check.kind === 'out-of-order') fail('OUT_OF_ORDER_SEQUENCE', `writer ${writer!.writerId}: sequence ${writer!.sequence} is older than the retained window; start a new writer`);
    plans.push({ bucket: b, plan: check.kind === 'duplicate' ? { duplicate: check.baseOffset } : kv[b]!.plan(ops) });
  }
  const results = await Promise.all(plans.map(async ({ bucket, plan }) => {
    if ('duplicate' in plan) {
      await kv[bucket]!.log.flush();
      return { bucket, baseOffset: plan.duplicate.toString(), rows: perBucket.get(bucket)!.length };
    }
    const r = await kv[bucket]!.commit(plan, writer);
    return { bucket, baseOffset: r.baseOffset === null ? null : r.baseOffset.toString(), rows: r.changes };
  }));
  return { rows: rows.length, buckets: results as WriteReply['buckets'] };
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
export function lookupKeys(table: TableRuntime, body: unknown): Row[] {
  requirePrimaryKey(table, 'lookup');
  const pk = table.definition.primaryKey;
  if (body instanceof Uint8Array) return keysFromArrow(table, body, pk);
  return parseKeyObjects(table, (body as { keys?: unknown } | undefined)?.keys, 'keys', pk);
}

function keysFromArrow(table: TableRuntime, body: Uint8Array, names: readonly string[]): Row[] {
  const { batches } = ipcToBatches(body);
  const count = batches.reduce((n, b) => n + b.numRows, 0);
  if (count > LOOKUP_KEYS_MAX) fail('TOO_MANY_KEYS', `${count} keys in one request; at most ${LOOKUP_KEYS_MAX}`);
  const cols = columnsNamed(table, names);
  return batches.flatMap((b) => keyRows(conformBatch(cols, b), cols));
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

/** Reads every key's current row into `sink`, in one synchronous pass (one LMDB snapshot). */
export function lookupInto(table: TableRuntime, keys: readonly Row[], sink: StoredRowSink): void {
  const kv = requirePrimaryKey(table, 'lookup');
  const cols = keyColumnsOf(table);
  const values: Value[] = new Array(cols.length);
  for (const k of keys) {
    for (let j = 0; j < cols.length; j++) values[j] = k[cols[j]!.name] ?? null;
    sink.add(kv[bucketForRow(table, k)]!.readBorrowed(encodeKey(cols, values)));
  }
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
