import { Buffer } from 'node:buffer';
import type { ChangeType, Row } from '../common/values.js';
import type { RowMerger } from './merge-engine.js';

/**
 * Changelog production for primary-key tables, pure: given the stored row and the row to store,
 * which records go into the bucket's log.
 *
 * | old       | next      | FULL             | WAL      |
 * | --------- | --------- | ---------------- | -------- |
 * | missing   | row       | +I next          | +I next  |
 * | row       | row'      | -U old, +U next  | +U next  |
 * | row       | missing   | -D old           | -D old   |
 * | missing   | missing   | (nothing)        |          |
 * | row       | same row  | (nothing)        |          |  `next === old`: the engine said "no change"
 *
 * An update whose new row merely equals the old one (a different object with the same values) still
 * produces -U/+U, as Fluss does for last_row: the caller asked for a write, and a consumer may rely
 * on seeing it. Only the merge engine's "no change" (first_row, an older version, ignored delete)
 * produces nothing.
 */

export type ChangelogImage = 'FULL' | 'WAL';

export interface Change {
  readonly type: ChangeType;
  readonly row: Row;
}

export function changesFor(old: Row | undefined, next: Row | undefined, image: ChangelogImage): Change[] {
  if (next === old) return [];
  if (old === undefined) return [{ type: '+I', row: next! }];
  if (next === undefined) return [{ type: '-D', row: old }];
  return image === 'FULL' ? [{ type: '-U', row: old }, { type: '+U', row: next }] : [{ type: '+U', row: next }];
}

export interface KvOp {
  readonly kind: 'upsert' | 'delete';
  /** The encoded primary key (`encodeKey` over the key columns in `keyEncodingOrder`). */
  readonly key: Uint8Array;
  /** The incoming row (for a delete, at least the key columns; other fields are not used). */
  readonly row: Row;
  /** Partial update / partial delete: the columns to change (the primary key is always implied). */
  readonly targetColumns?: readonly string[];
}

/** The new state of one key after a batch: `row` undefined means delete the key. */
export interface KvWrite {
  readonly key: Uint8Array;
  readonly row: Row | undefined;
}

export interface AppliedBatch {
  /** The changelog records, in op order: what the log batch must contain. */
  readonly changes: Change[];
  /** The final state of every key the batch changed, by `keyId(key)`. */
  readonly writes: Map<string, KvWrite>;
}

/** A Map key for an encoded key: latin1 maps each byte to one char, so it is exact and cheap. */
export function keyId(key: Uint8Array): string {
  // For a short key, a char code per byte costs less than the Buffer object toString needs.
  if (key.length <= 64) return String.fromCharCode.apply(null, key as unknown as number[]);
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1');
}

/**
 * Applies a batch of upserts and deletes to one bucket, in order. Every op sees the result of the
 * earlier ops of the batch on its key (not the stored row), so two upserts of one key in one request
 * produce +I then -U/+U, and the writes hold only the final row. `lookupOld` is asked at most once per
 * key. All ops are validated against the engine first, so a refused batch throws before anything
 * is computed (and the caller writes nothing).
 */
export function applyBatch(
  engine: RowMerger,
  image: ChangelogImage,
  lookupOld: (encodedKey: Uint8Array) => Row | undefined,
  ops: readonly KvOp[],
): AppliedBatch {
  for (const op of ops) {
    if (op.kind === 'delete') engine.validateWrite('delete', op.targetColumns);
    else engine.validateWrite(op.targetColumns === undefined ? 'upsert' : 'partial', op.targetColumns);
  }
  const current = new Map<string, Row | undefined>();
  const writes = new Map<string, KvWrite>();
  const changes: Change[] = [];
  for (const op of ops) {
    const id = keyId(op.key);
    let old: Row | undefined;
    if (current.has(id)) old = current.get(id);
    else {
      old = lookupOld(op.key);
      current.set(id, old);
    }
    let next: Row | undefined;
    if (op.kind === 'upsert') next = engine.merge(old, op.row, op.targetColumns) ?? old;
    else {
      const removed = engine.remove(old, op.targetColumns);
      next = removed === undefined ? old : removed === null ? undefined : removed;
    }
    if (next === old) continue;
    changes.push(...changesFor(old, next, image));
    current.set(id, next);
    writes.set(id, { key: op.key, row: next });
  }
  return { changes, writes };
}
