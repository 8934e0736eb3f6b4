import type * as A from 'apache-arrow';
import { copyInto } from '../common/bytes.js';
import { fail } from '../common/errors.js';
import { bucketRouter } from '../common/bucket-router.js';
import { property } from '../common/properties.js';
import { batchKeys, type LookupKeys } from '../kv/arrow-keys.js';
import type { KvOp } from '../kv/changelog.js';
import type { KvBucket, KvPlan } from '../kv/kv-bucket.js';
import { storedRowsOf } from '../kv/row-columns.js';
import type { WriteReply, WriterIdentity } from './append.js';
import { requirePrimaryKey } from './primary-key.js';
import type { TableRuntime } from './table-store.js';
import { writeInputRows, type WriteInput } from './write-input.js';

/** What one bucket gets of a request: its row count and how to plan them against its index. */
type BucketWork = Map<number, { readonly rows: number; readonly plan: () => KvPlan }>;

/**
 * Applies upserts or deletes. Every bucket's rows are planned (merged, validated) before any bucket
 * appends, so a refused request writes nothing; each bucket then appends one changelog batch stamped
 * with the writer's id and sequence, and a retry is answered bucket by bucket from the writer state.
 */
export async function writePrimaryKeyTable(
  table: TableRuntime,
  kind: 'upsert' | 'delete',
  input: WriteInput,
  targetColumns: readonly string[] | undefined,
  writer?: WriterIdentity,
): Promise<WriteReply> {
  const kv = requirePrimaryKey(table, kind);
  const work = (kind === 'upsert' && !targetColumns && replacementWork(table, kv, input)) || opWork(table, kv, kind, input, targetColumns);
  const plans: { bucket: number; rows: number; plan: KvPlan | { duplicate: bigint } }[] = [];
  let rows = 0;
  for (const [b, w] of [...work.entries()].sort((x, y) => x[0] - y[0])) {
    rows += w.rows;
    const check = writer ? kv[b]!.log.checkWriter(writer.writerId, writer.sequence) : { kind: 'new' as const };
    if (check.kind === 'out-of-order') fail('OUT_OF_ORDER_SEQUENCE', `writer ${writer!.writerId}: sequence ${writer!.sequence} is older than the retained window; start a new writer`);
    plans.push({ bucket: b, rows: w.rows, plan: check.kind === 'duplicate' ? { duplicate: check.baseOffset } : w.plan() });
  }
  const results = await Promise.all(plans.map(async ({ bucket, rows: bucketRows, plan }) => {
    if ('duplicate' in plan) {
      await kv[bucket]!.log.flush();
      return { bucket, baseOffset: plan.duplicate.toString(), rows: bucketRows };
    }
    const r = await kv[bucket]!.commit(plan, writer);
    return { bucket, baseOffset: r.baseOffset === null ? null : r.baseOffset.toString(), rows: r.changes };
  }));
  return { rows, buckets: results as WriteReply['buckets'] };
}

/**
 * Any write, row by row through the table's merge engine, in request order per bucket. The rows an
 * upsert's `_change_type` marks as deletes (input.deletes) delete their key, whole.
 */
function opWork(table: TableRuntime, kv: readonly KvBucket[], kind: 'upsert' | 'delete', input: WriteInput, targetColumns: readonly string[] | undefined): BucketWork {
  const perBucket = new Map<number, KvOp[]>();
  const router = bucketRouter(table.definition);
  const deletes = input.kind === 'rows' ? input.deletes : undefined;
  writeInputRows(input).forEach((row, i) => {
    const b = router.ofRow(row);
    let ops = perBucket.get(b);
    if (!ops) perBucket.set(b, (ops = []));
    const key = kv[b]!.keyOf(row);
    ops.push(deletes?.[i] ? { kind: 'delete', key, row } : { kind, key, row, ...(targetColumns ? { targetColumns } : {}) });
  });
  return new Map([...perBucket].map(([b, ops]) => [b, { rows: ops.length, plan: () => kv[b]!.plan(ops) }]));
}

/**
 * Whole-row Arrow upserts under last_row: rows and keys go from the Arrow buffers to stored bytes
 * (see storedRowsOf and batchKeys) and replace what is there, with no Row object. Undefined when the
 * write is not of that kind or a batch is sliced; opWork takes it then.
 */
function replacementWork(table: TableRuntime, kv: readonly KvBucket[], input: WriteInput): BucketWork | undefined {
  if (input.kind !== 'arrow' || property(table.definition, 'table.merge-engine') !== 'last_row') return undefined;
  const perBucket = new Map<number, { keys: Uint8Array[]; values: Uint8Array[] }>();
  const stored = input.batches.map((batch: A.RecordBatch) => storedRowsOf(table.definition.columns, batch));
  const router = bucketRouter(table.definition);
  const keys = input.batches.map((batch) => batchKeys(router.keyColumns, batch));
  if (stored.some((s) => s === undefined) || keys.some((k) => k === undefined)) return undefined;
  keys.forEach((batchKeys, n) => {
    const copied = copiedKeys(batchKeys!);
    for (let i = 0; i < copied.length; i++) {
      const key = copied[i]!;
      const b = router.ofKey(key);
      let w = perBucket.get(b);
      if (!w) perBucket.set(b, (w = { keys: [], values: [] }));
      w.keys.push(key);
      w.values.push(stored[n]![i]!);
    }
  });
  return new Map([...perBucket].map(([b, w]) => [b, { rows: w.keys.length, plan: () => kv[b]!.planReplacements(w.keys, w.values) }]));
}

/**
 * Every key, copied out of the encoder's reused buffer (the plan keeps them) into shared buffers:
 * one allocation for many keys instead of an ArrayBuffer each.
 */
function copiedKeys(keys: LookupKeys): Uint8Array[] {
  const copied: Uint8Array[] = new Array(keys.count);
  let buffer = new Uint8Array(0);
  let used = 0;
  for (let i = 0; i < keys.count; i++) {
    const key = keys.encoded(i);
    if (used + key.length > buffer.length) {
      buffer = new Uint8Array(Math.max(64 * 1024, key.length));
      used = 0;
    }
    copyInto(buffer, used, key);
    copied[i] = buffer.subarray(used, used + key.length);
    used += key.length;
  }
  return copied;
}
