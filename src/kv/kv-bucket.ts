import type { Database, RootDatabase, Transaction } from 'lmdb';
import { batchRows, batchToIpc, ipcToBatches, rowsToBatch } from '../common/arrow.js';
import { fail } from '../common/errors.js';
import { encodeKey, prefixUpperBound } from '../common/key-encoding.js';
import type { Column } from '../common/schema.js';
import { CHANGE_TYPES, type ChangeType, type Row } from '../common/values.js';
import type { AppendResult, BucketLog } from '../log/bucket-log.js';
import { applyBatch, keyId, type AppliedBatch, type ChangelogImage, type KvOp } from './changelog.js';
import type { RowMerger } from './merge-engine.js';
import { decodeRow, encodeRow } from './row-codec.js';

export interface KvTableShape {
  readonly columns: readonly Column[];
  /** Key columns in encoding order: bucket key first. */
  readonly keyColumns: readonly Column[];
  readonly engine: RowMerger;
  readonly image: ChangelogImage;
}

/** What a write did in this bucket: the changelog offsets, or nothing when no row changed. */
export interface KvWriteResult {
  readonly baseOffset: bigint | null;
  readonly changes: number;
}

const REPLAY_BYTES = 8 * 1024 * 1024;

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * One bucket of a primary-key table: its log (the truth) and its LMDB index (derived from it).
 *
 * A write is planned synchronously against the index plus the prewrite buffer (writes whose changelog
 * is appended but not yet in LMDB, as Fluss's KvPreWriteBuffer), appended to the log in the same
 * turn so changelog order is merge order, and only once the log is durable written to LMDB together
 * with the applied offset. Lookups read LMDB alone, so they never see an unacknowledged row; the
 * writer is acknowledged after the LMDB commit, so it reads its own writes. On open, the log is
 * replayed from the applied offset: after a kill -9 the index equals the replay of the changelog.
 */
export class KvBucket {
  private readonly prewrite = new Map<string, { row: Row | undefined; version: number }>();
  private version = 0;
  /** The first offset whose change is not yet in LMDB: readers of the changelog stop here. */
  private visible = 0n;
  private readonly visibleWaiters = new Set<{ offset: bigint; wake: () => void }>();

  private constructor(
    readonly bucket: number,
    readonly log: BucketLog,
    private readonly env: RootDatabase,
    private readonly db: Database<Buffer, Buffer>,
    private readonly meta: Database<string, string>,
    private readonly shape: KvTableShape,
  ) {}

  static async open(bucket: number, log: BucketLog, env: RootDatabase, shape: KvTableShape): Promise<KvBucket> {
    const db = env.openDB<Buffer, Buffer>({ name: `bucket-${bucket}`, keyEncoding: 'binary', encoding: 'binary' });
    const meta = env.openDB<string, string>({ name: 'meta', encoding: 'string' });
    const kv = new KvBucket(bucket, log, env, db, meta, shape);
    await kv.replay();
    kv.visible = log.highWatermark;
    return kv;
  }

  private get appliedKey(): string {
    return `applied-${this.bucket}`;
  }

  /** The first log offset not yet reflected in the index. */
  appliedOffset(txn?: Transaction): bigint {
    const v = this.meta.get(this.appliedKey, txn ? { transaction: txn } : undefined);
    return v === undefined ? 0n : BigInt(v);
  }

  private async replay(): Promise<void> {
    let offset = this.appliedOffset();
    if (offset < this.log.logStartOffset) offset = this.log.logStartOffset;
    while (offset < this.log.highWatermark) {
      const batches = await this.log.read(offset, { maxBytes: REPLAY_BYTES });
      const writes = new Map<string, { key: Uint8Array; row: Row | undefined }>();
      for (const sb of batches) {
        let at = sb.baseOffset;
        for (const batch of ipcToBatches(sb.arrowIpc).batches) {
          const codes = batch.getChild('_change_type')?.toArray() as Int8Array | undefined;
          batchRows(batch, this.shape.columns.map((c) => c.name)).forEach((row, i) => {
            if (at + BigInt(i) < offset) return;
            const type = CHANGE_TYPES[codes?.[i] ?? 1];
            if (type === '-U') return;
            const key = this.keyOf(row);
            writes.set(keyId(key), { key, row: type === '-D' ? undefined : row });
          });
          at += BigInt(batch.numRows);
        }
        offset = sb.lastOffset + 1n;
      }
      await this.commitIndex(writes.values(), offset);
    }
  }

  keyOf(row: Row): Uint8Array {
    return encodeKey(this.shape.keyColumns, this.shape.keyColumns.map((c) => row[c.name] ?? null));
  }

  private stored(key: Uint8Array): Row | undefined {
    const bytes = this.readBorrowed(key);
    return bytes === undefined ? undefined : decodeRow(this.shape.columns, bytes);
  }

  /**
   * The stored row bytes of `key`, without a copy: lmdb-js's shared read buffer, valid only until
   * the next read on this thread, so use or copy them at once (decodeRow and the lookup writers copy
   * what they keep). Reads within one synchronous pass share lmdb-js's read transaction: one snapshot.
   */
  readBorrowed(key: Uint8Array): Uint8Array | undefined {
    // lmdb-js copies a binary key into its key buffer with Uint8Array#set: no Buffer wrapper needed.
    return this.db.getBinaryFast(key as Buffer);
  }

  /** Synchronous: merges the ops against the prewrite buffer and the index; throws before anything changes. */
  plan(ops: readonly KvOp[]): AppliedBatch {
    return applyBatch(this.shape.engine, this.shape.image, (key) => {
      const pending = this.prewrite.get(keyId(key));
      return pending ? pending.row : this.stored(key);
    }, ops);
  }

  /**
   * Appends the planned changelog (in this turn, so it follows the plan's order), then after it is
   * durable applies it to LMDB. Resolves once both are done.
   */
  async commit(plan: AppliedBatch, writer?: { writerId: bigint; sequence: number }): Promise<KvWriteResult> {
    if (plan.changes.length === 0) return { baseOffset: null, changes: 0 };
    const version = ++this.version;
    for (const [id, w] of plan.writes) this.prewrite.set(id, { row: w.row, version });
    const types: ChangeType[] = plan.changes.map((c) => c.type);
    const ipc = batchToIpc(rowsToBatch(this.shape.columns, plan.changes.map((c) => c.row), types));
    let result: AppendResult;
    try {
      result = await this.log.append({
        arrowIpc: ipc, recordCount: plan.changes.length, hasChangeType: true,
        ...(writer ? { writerId: writer.writerId, batchSequence: writer.sequence } : {}),
      });
    } catch (err) {
      this.dropPrewrites(plan, version);
      throw err;
    }
    await this.commitIndex(plan.writes.values(), result.lastOffset + 1n);
    this.dropPrewrites(plan, version);
    this.advanceVisible(result.lastOffset + 1n);
    return { baseOffset: result.baseOffset, changes: plan.changes.length };
  }

  /**
   * The changelog is readable up to here. A change becomes visible only once the index holds it,
   * so a consumer that reads a change and then looks the key up (the delta join) sees that change.
   */
  get visibleOffset(): bigint {
    return this.visible;
  }

  private advanceVisible(to: bigint): void {
    if (to <= this.visible) return;
    this.visible = to;
    for (const w of this.visibleWaiters) if (w.offset < to) w.wake();
  }

  /** Resolves when a change at `offset` is visible, or after the timeout or abort. */
  waitVisible(offset: bigint, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    if (offset < this.visible || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const waiter = { offset, wake: () => done() };
      const timer = setTimeout(() => done(), timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.visibleWaiters.delete(waiter);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      this.visibleWaiters.add(waiter);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  private dropPrewrites(plan: AppliedBatch, version: number): void {
    for (const id of plan.writes.keys()) if (this.prewrite.get(id)?.version === version) this.prewrite.delete(id);
  }

  /**
   * Applies final key states and the applied offset in one LMDB transaction. The puts are queued in
   * one synchronous pass (lmdb-js batches them for its write thread); row values are Buffers from
   * encodeRow and keys are wrapped, not copied.
   */
  private commitIndex(writes: Iterable<{ key: Uint8Array; row: Row | undefined }>, appliedOffset: bigint): Promise<unknown> {
    const list = [...writes];
    return this.env.transaction(() => {
      for (const w of list) {
        const key = asBuffer(w.key);
        if (w.row === undefined) void this.db.remove(key);
        else void this.db.put(key, asBuffer(encodeRow(this.shape.columns, w.row)));
      }
      void this.meta.put(this.appliedKey, appliedOffset.toString());
    });
  }

  prefixLookup(prefix: Uint8Array, limit: number): Row[] {
    const end = prefixUpperBound(prefix);
    const rows: Row[] = [];
    for (const { value } of this.db.getRange({ start: Buffer.from(prefix), ...(end ? { end: Buffer.from(end) } : {}), limit: limit + 1 })) {
      rows.push(decodeRow(this.shape.columns, value));
    }
    if (rows.length > limit) fail('TOO_MANY_KEYS', `a prefix matched more than ${limit} rows; narrow it or page through GET .../buckets/{b}/rows`);
    return rows;
  }

  /** Rows after `after` (exclusive) in key order, read in `txn`, at most `limit`. */
  scan(txn: Transaction, after: Uint8Array | undefined, limit: number): { rows: Row[]; lastKey: Uint8Array | undefined } {
    const rows: Row[] = [];
    let lastKey: Uint8Array | undefined;
    const range = this.db.getRange({ transaction: txn, limit, ...(after ? { start: Buffer.from(after), exclusiveStart: true } : {}) });
    for (const { key, value } of range) {
      rows.push(decodeRow(this.shape.columns, value));
      lastKey = new Uint8Array(key);
    }
    return { rows, lastKey };
  }

  readTransaction(): Transaction {
    return this.env.useReadTransaction();
  }
}
