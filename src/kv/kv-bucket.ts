import type { Database, Transaction } from 'lmdb';
import { batchRows, batchToIpc, ipcToBatches, rowsToBatch } from '../common/arrow.js';
import { fail, LakestreamError } from '../common/errors.js';
import { compareBytes, encodeKey, keyPrefixLength, prefixUpperBound } from '../common/key-encoding.js';
import type { Column } from '../common/schema.js';
import { CHANGE_TYPES, type ChangeType, type Row } from '../common/values.js';
import type { AppendResult, BucketLog } from '../log/bucket-log.js';
import { applyBatch, keyId, type ChangelogImage, type KvOp } from './changelog.js';
import type { IndexEnv } from './index-writer.js';
import { KeyFilter } from './key-filter.js';
import { Memtable, type MemEntry } from './memtable.js';
import type { BudgetedMemtables, MemtableBudget } from './memtable-budget.js';
import type { RowMerger } from './merge-engine.js';
import { StoredRowBatchBuilder } from './row-arrow.js';
import type { RowCache } from './row-cache.js';
import { decodeRow, encodeRow } from './row-codec.js';

export interface KvTableShape {
  readonly columns: readonly Column[];
  /** Key columns in encoding order: bucket key first. */
  readonly keyColumns: readonly Column[];
  readonly engine: RowMerger;
  readonly image: ChangelogImage;
  /** How many leading key columns form the bucket key when prefix lookups are served (else 0). */
  readonly prefixColumns: number;
  /** The table's name, for messages ("shop.orders"). */
  readonly tableName?: string;
}

/** A bucket's planned write, whichever planner made it: what `commit` appends and applies. */
export interface KvPlan {
  readonly changeCount: number;
  /** The final state of each key the plan changes, by `keyId`: stored row bytes, undefined when deleted. */
  readonly writes: ReadonlyMap<string, MemEntry>;
  /** The changelog records as an Arrow IPC stream with `_change_type`, built when the plan commits. */
  changelogIpc(): Uint8Array;
}

/** When acknowledged rows move from the memtable into LMDB. */
export interface KvIndexOptions {
  /** Flush at least this often while the memtable holds anything (bounds replay after a crash). */
  readonly flushIntervalMs: number;
  /** Flush once the memtable holds this many bytes; writers wait above twice this. */
  readonly memtableBytes: number;
  /** Rows read from or written to LMDB, shared by every bucket of the server. */
  readonly rowCache: RowCache;
  /** The fewest keys a bucket's key filter is sized for (it is rebuilt larger as the bucket grows). */
  readonly keyFilterMinKeys?: number;
  /** The cap on every bucket's memtables together (--index-memtable-total-size). */
  readonly memtableBudget?: MemtableBudget;
}

/** What a write did in this bucket: the changelog offsets, or nothing when no row changed. */
export interface KvWriteResult {
  readonly baseOffset: bigint | null;
  readonly changes: number;
}

const REPLAY_BYTES = 8 * 1024 * 1024;
const KEY_FILTER_MIN_KEYS = 65_536;
const dbName = (bucket: number) => `bucket-${bucket}`;
const INSERT = CHANGE_TYPES.indexOf('+I');
const UPDATE_BEFORE = CHANGE_TYPES.indexOf('-U');
const UPDATE_AFTER = CHANGE_TYPES.indexOf('+U');

/**
 * One bucket of a primary-key table: its log (the truth) and its index (derived from it).
 *
 * A write is planned synchronously against the plans in flight (writes whose changelog is appended
 * but not yet durable, as Fluss's KvPreWriteBuffer), the memtable and LMDB, and appended to the log
 * in the same turn, so changelog order is merge order. Once the log is durable the key states move
 * to the memtable and the writer is acknowledged; lookups read the memtable before LMDB, so they
 * see every acknowledged row and never an unacknowledged one. The memtable reaches LMDB in large
 * sorted transactions on the index writer thread (see IndexWriter), together with the applied offset, so the index may
 * lag the log; on open the log is replayed from the applied offset, and after a kill -9 the index
 * equals the replay of the changelog.
 */
export class KvBucket implements BudgetedMemtables {
  /**
   * Committed plans whose changelog is not yet durable, oldest first: the prewrite buffer. Kept as
   * the plans' own maps (a few at a time) rather than merged into one, which would cost two more
   * map writes per row on the way in and out.
   */
  private readonly inFlight: KvPlan[] = [];
  /** Takes acknowledged writes; a flush freezes it and starts a new one. */
  private memtable = new Memtable();
  /** The memtable a running flush is writing to LMDB: still read until that commit lands. */
  private frozen: Memtable | undefined;
  /** The first offset whose change is not in the memtable or LMDB: readers of the changelog stop here. */
  private visible = 0n;
  private readonly visibleWaiters = new Set<{ offset: bigint; wake: () => void }>();
  /** Memtable applies run in log order, whatever order the appends' promises settle in. */
  private applyTail: Promise<unknown> = Promise.resolve();
  private flushing: Promise<void> | undefined;
  /** Set for good by a failed flush: the frozen memtable's rows never reached LMDB. */
  private flushFailure: LakestreamError | undefined;
  private readonly flushTimer: NodeJS.Timeout;
  private closed = false;
  /** This bucket's namespace in the row cache. */
  private readonly cachePartition: number;
  /** Every key LMDB or the memtables may hold, once built: an absent answer skips LMDB. */
  private keyFilter: KeyFilter | undefined;
  /** A filter being filled by a scan of LMDB; it takes new keys too, and replaces `keyFilter` when done. */
  private nextKeyFilter: KeyFilter | undefined;
  private keyFilterBuild: Promise<void> = Promise.resolve();

  private constructor(
    readonly bucket: number,
    readonly log: BucketLog,
    private readonly env: IndexEnv,
    private readonly db: Database<Buffer, Buffer>,
    private readonly meta: Database<string, string>,
    private readonly shape: KvTableShape,
    private readonly options: KvIndexOptions,
  ) {
    this.cachePartition = options.rowCache.newPartition();
    this.flushTimer = setInterval(() => void this.flush().catch(() => undefined), options.flushIntervalMs);
    this.flushTimer.unref();
  }

  static async open(bucket: number, log: BucketLog, env: IndexEnv, shape: KvTableShape, options: KvIndexOptions): Promise<KvBucket> {
    const db = env.root.openDB<Buffer, Buffer>({ name: dbName(bucket), keyEncoding: 'binary', encoding: 'binary' });
    const meta = env.root.openDB<string, string>({ name: 'meta', encoding: 'string' });
    const kv = new KvBucket(bucket, log, env, db, meta, shape, options);
    try {
      await kv.replay();
    } catch (err) {
      clearInterval(kv.flushTimer);
      throw err;
    }
    kv.visible = log.highWatermark;
    kv.buildKeyFilter();
    return kv;
  }

  private get appliedKey(): string {
    return `applied-${this.bucket}`;
  }

  /** The first log offset not yet reflected in LMDB (the memtable may hold later ones). */
  appliedOffset(txn?: Transaction): bigint {
    const v = this.meta.get(this.appliedKey, txn ? { transaction: txn } : undefined);
    return v === undefined ? 0n : BigInt(v);
  }

  private async replay(): Promise<void> {
    let offset = this.appliedOffset();
    if (offset < this.log.logStartOffset) offset = this.log.logStartOffset;
    while (offset < this.log.highWatermark) {
      const batches = await this.log.read(offset, { maxBytes: REPLAY_BYTES });
      const writes = new Memtable();
      for (const sb of batches) {
        let at = sb.baseOffset;
        for (const batch of ipcToBatches(sb.arrowIpc).batches) {
          const codes = batch.getChild('_change_type')?.toArray() as Int8Array | undefined;
          batchRows(batch, this.shape.columns.map((c) => c.name)).forEach((row, i) => {
            if (at + BigInt(i) < offset) return;
            const type = CHANGE_TYPES[codes?.[i] ?? 1];
            if (type === '-U') return;
            const key = this.keyOf(row);
            writes.set(key, type === '-D' ? undefined : encodeRow(this.shape.columns, row));
          });
          at += BigInt(batch.numRows);
        }
        offset = sb.lastOffset + 1n;
      }
      await this.writeIndex(writes.toIndexBatch(), offset);
    }
  }

  keyOf(row: Row): Uint8Array {
    return encodeKey(this.shape.keyColumns, this.shape.keyColumns.map((c) => row[c.name] ?? null));
  }

  /**
   * The current row bytes of `key` (memtable, row cache, then LMDB), without a copy: the memtable's
   * bytes, a view into the row cache or lmdb-js's shared read buffer, valid only until the next
   * read on this thread, so use or copy them at once (decodeRow and the lookup writers copy what
   * they keep). Reads within one synchronous pass see one state: the memtable changes and lmdb-js
   * renews its read transaction between turns. What LMDB answers goes into the row cache.
   */
  readBorrowed(key: Uint8Array): Uint8Array | undefined {
    const acknowledged = this.acknowledged(key);
    return acknowledged !== undefined ? acknowledged ?? undefined : this.beneathMemtables(key, true);
  }

  /**
   * The row cache's answer for a key, else LMDB's (borrowed either way). `fill` keeps LMDB's answer
   * in the cache: lookups do; the write planner does not, as a flush is about to change the key.
   */
  private beneathMemtables(key: Uint8Array, fill: boolean): Uint8Array | undefined {
    const cache = this.options.rowCache;
    const cached = cache.get(this.cachePartition, key);
    if (cached !== undefined) return cached ?? undefined;
    if (this.keyFilter?.mightContain(key) === false) return undefined;
    const stored = this.indexed(key);
    if (fill) cache.put(this.cachePartition, key, stored ?? null);
    return stored;
  }

  /** LMDB's row bytes for a key: a view of lmdb-js's shared read buffer. */
  private indexed(key: Uint8Array): Uint8Array | undefined {
    // lmdb-js copies a binary key into its key buffer with Uint8Array#set: no Buffer wrapper needed.
    const bytes = this.db.getBinaryFast(key as Buffer);
    // The shared buffer's `length` is overridden with the value's size; its real extent is larger,
    // and Uint8Array#set would copy all of it.
    return bytes?.subarray(0, bytes.length);
  }

  /** The memtables' state of a key (null: deleted; undefined: neither has it): the newer memtable wins. */
  private acknowledged(key: Uint8Array): Uint8Array | null | undefined {
    if (this.memtable.size === 0 && this.frozen === undefined) return undefined;
    const hash = Memtable.hash(key);
    const state = this.memtable.get(key, hash);
    return state !== undefined ? state : this.frozen?.get(key, hash);
  }

  /** The stored bytes of a key as the next plan must see them: planned, acknowledged, or in LMDB (copied). */
  private current(id: string, key: Uint8Array): Uint8Array | undefined {
    for (let i = this.inFlight.length - 1; i >= 0; i--) {
      const pending = this.inFlight[i]!.writes.get(id);
      if (pending) return pending.value;
    }
    const acknowledged = this.acknowledged(key);
    if (acknowledged !== undefined) return acknowledged ?? undefined;
    // A copy: the answer is borrowed (the next read reuses it), and a plan keeps old rows.
    // Buffer.from copies into Buffer's pool (Buffer#slice would be a view; a typed-array slice
    // allocates an ArrayBuffer per row).
    const borrowed = this.beneathMemtables(key, false);
    return borrowed ? Buffer.from(borrowed) : undefined;
  }

  /** Synchronous: merges the ops against the plans in flight and the index; throws before anything changes. */
  plan(ops: readonly KvOp[]): KvPlan {
    const columns = this.shape.columns;
    const applied = applyBatch(this.shape.engine, this.shape.image, (key) => {
      const bytes = this.current(keyId(key), key);
      return bytes === undefined ? undefined : decodeRow(columns, bytes);
    }, ops);
    const writes = new Map<string, MemEntry>();
    for (const [id, w] of applied.writes) writes.set(id, { key: w.key, value: w.row === undefined ? undefined : encodeRow(columns, w.row) });
    const types: ChangeType[] = applied.changes.map((c) => c.type);
    return { changeCount: applied.changes.length, writes, changelogIpc: () => batchToIpc(rowsToBatch(columns, applied.changes.map((c) => c.row), types)) };
  }

  /**
   * The plan of whole-row upserts under last_row, the common write, from stored row bytes alone:
   * the incoming row replaces whatever is there, so no row is decoded, merged or re-encoded.
   */
  planReplacements(keys: readonly Uint8Array[], values: readonly Uint8Array[]): KvPlan {
    const full = this.shape.image === 'FULL';
    const writes = new Map<string, MemEntry>();
    const codes: number[] = [];
    const rows: Uint8Array[] = [];
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      const value = values[i]!;
      const id = keyId(key);
      // A key written earlier in the batch: its row here is the old one (a replacement never deletes).
      const old = writes.get(id)?.value ?? this.current(id, key);
      if (old === undefined) {
        codes.push(INSERT);
      } else {
        if (full) {
          codes.push(UPDATE_BEFORE);
          rows.push(old);
        }
        codes.push(UPDATE_AFTER);
      }
      rows.push(value);
      writes.set(id, { key, value });
    }
    return {
      changeCount: codes.length,
      writes,
      changelogIpc: () => {
        const builder = new StoredRowBatchBuilder(this.shape.columns, rows.length);
        for (const row of rows) builder.add(row);
        return builder.finishChangelogIpc(Int8Array.from(codes));
      },
    };
  }

  /**
   * Appends the planned changelog (in this turn, so it follows the plan's order) and, once it is
   * durable, moves the key states into the memtable. Resolves then; above the memtable's limit it
   * first waits for a flush, which holds writers back to LMDB's pace.
   */
  async commit(plan: KvPlan, writer?: { writerId: bigint; sequence: number }): Promise<KvWriteResult> {
    if (plan.changeCount === 0) {
      // Planned against the writes in flight: "nothing to change" is true only once they are durable
      // (a delete of a key whose in-flight delete a power loss then takes must not be acknowledged).
      if (this.inFlight.length > 0) await this.log.flush();
      return { baseOffset: null, changes: 0 };
    }
    if (this.flushFailure !== undefined) throw this.flushFailure;
    const appended = this.log.append({
      arrowIpc: plan.changelogIpc(), recordCount: plan.changeCount, hasChangeType: true,
      ...(writer ? { writerId: writer.writerId, batchSequence: writer.sequence } : {}),
    });
    this.inFlight.push(plan);
    const applied = this.applyTail.then(() => appended).then((result) => {
      this.toMemtable(plan, result.lastOffset + 1n);
      return result;
    });
    this.applyTail = applied.catch(() => undefined);
    let result: AppendResult;
    try {
      result = await applied;
    } finally {
      this.inFlight.splice(this.inFlight.indexOf(plan), 1);
    }
    if (this.memtable.bytes >= this.options.memtableBytes) {
      // This write is durable and in the memtable whatever the flush does: a failure is kept in
      // flushFailure and refuses the next write, so it is handled here, never left unobserved.
      const flushed = this.flush().catch(() => undefined);
      if (this.memtableBytes >= 2 * this.options.memtableBytes) await flushed;
    }
    await this.options.memtableBudget?.relieve();
    return { baseOffset: result.baseOffset, changes: plan.changeCount };
  }

  private toMemtable(plan: KvPlan, end: bigint): void {
    const prefixed = this.shape.prefixColumns > 0;
    for (const w of plan.writes.values()) {
      this.memtable.set(w.key, w.value, prefixed ? this.prefixIdOf(w.key) : undefined);
      if (w.value !== undefined) this.filterKey(w.key);
    }
    this.options.memtableBudget?.update(this);
    this.advanceVisible(end);
    if (this.keyFilter?.full && this.nextKeyFilter === undefined) this.buildKeyFilter();
  }

  /** A key about to reach LMDB (deleted keys need not: an absent answer is right for them). */
  private filterKey(key: Uint8Array): void {
    this.keyFilter?.add(key);
    this.nextKeyFilter?.add(key);
  }

  /**
   * Builds a key filter for twice the keys the bucket holds and puts it in use when done; LMDB's
   * keys are read on the index writer thread (a scan of a million keys would stall the main thread
   * for half a second). Keys that reach LMDB after that read's snapshot passed the memtable first,
   * where they were added to the new filter: none is missed. Until the first build ends, LMDB
   * answers; a failed build leaves the current filter in use and is retried when it next fills.
   */
  private buildKeyFilter(): void {
    const held = (this.db.getStats() as { entryCount: number }).entryCount + this.memtable.size + (this.frozen?.size ?? 0);
    const filter = new KeyFilter(Math.max(this.options.keyFilterMinKeys ?? KEY_FILTER_MIN_KEYS, 2 * held));
    this.nextKeyFilter = filter;
    for (const m of [this.memtable, this.frozen]) m?.forEach((key, value) => value !== undefined && filter.add(key));
    this.keyFilterBuild = this.env.filterKeys(dbName(this.bucket), filter.capacity).then(
      ({ bits, keys }) => {
        if (this.nextKeyFilter !== filter) return;
        filter.absorb(bits, keys);
        this.keyFilter = filter;
        this.nextKeyFilter = undefined;
      },
      () => {
        if (this.nextKeyFilter === filter) this.nextKeyFilter = undefined;
      },
    );
  }

  /** Settles when the latest key filter build ends (in use, or failed). */
  get keyFilterBuilt(): Promise<void> {
    return this.keyFilterBuild;
  }

  /** The `keyId` of the key's leading bucket-key bytes (the encoding is self-delimiting). */
  private prefixIdOf(key: Uint8Array): string {
    return keyId(key.subarray(0, keyPrefixLength(this.shape.keyColumns, key, this.shape.prefixColumns)));
  }

  /**
   * Freezes the memtable and writes it to LMDB with the offset it reflects, in one transaction on
   * the index writer thread; a new memtable takes the writes meanwhile, and reads see both until the
   * commit lands and the frozen one is dropped whole. Only one runs at a time; a call while one
   * runs waits for it and flushes what came after. After a failed flush every call fails: the
   * frozen memtable must stay readable, and a later flush must not record an applied offset past
   * rows that never reached LMDB.
   */
  flush(): Promise<void> {
    if (this.flushFailure !== undefined) return Promise.reject(this.flushFailure);
    if (this.flushing) return this.flushing.then(() => this.flush());
    if (this.memtable.size === 0) return Promise.resolve();
    const frozen = this.memtable;
    this.frozen = frozen;
    this.memtable = new Memtable();
    this.options.memtableBudget?.update(this);
    this.flushing = this.writeIndex(frozen.toIndexBatch(), this.visible).then(
      () => {
        // The cache learns the new states of the keys it holds before reads stop finding them in
        // the frozen memtable. It takes no new keys here: filling it costs a write-heavy table
        // more than its reads would gain, so reads fill it.
        const cache = this.options.rowCache;
        if (cache.holdsAny(this.cachePartition)) frozen.forEach((key, value) => cache.refresh(this.cachePartition, key, value ?? null));
        this.frozen = undefined;
        this.options.memtableBudget?.update(this);
      },
      (err: unknown) => {
        // Writes stop, as for a log that cannot fsync: acknowledging more rows that cannot reach
        // the index would only grow the memtable. A restart replays them from the log.
        const table = this.shape.tableName === undefined ? '' : `table ${this.shape.tableName} `;
        this.flushFailure = new LakestreamError('STORAGE_ERROR', `${table}bucket ${this.bucket}: the index could not be written (${(err as Error).message}); `
          + 'its writes are refused (reads still work) until a restart replays the changelog into the index; if the disk is full, free space first');
        throw this.flushFailure;
      },
    ).finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  /** An index batch and the applied offset, in one transaction on the index writer thread. */
  private writeIndex(batch: Uint8Array, appliedOffset: bigint): Promise<void> {
    return this.env.write(dbName(this.bucket), this.appliedKey, batch, appliedOffset);
  }

  /** Stops the flush timer and writes what the memtable holds, so a restart replays nothing. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.flushTimer);
    await this.applyTail;
    if (this.flushFailure === undefined) await this.flush();
    this.options.memtableBudget?.remove(this);
  }

  /** Why this bucket refuses writes until a restart (a failed flush), if it does. */
  get failure(): LakestreamError | undefined {
    return this.flushFailure;
  }

  /** What the memtables hold in memory, the frozen one included (what back-pressure measures). */
  get memtableBytes(): number {
    return this.memtable.bytes + (this.frozen?.bytes ?? 0);
  }

  /** What a flush started now would write out: nothing when the memtable is empty or the index cannot be written. */
  get flushableBytes(): number {
    return this.flushFailure === undefined && this.memtable.size > 0 ? this.memtable.bytes : 0;
  }

  /**
   * The changelog is readable up to here. A change becomes visible once lookups see it (the
   * memtable holds it), so a consumer that reads a change and then looks the key up (the delta
   * join) sees that change.
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

  /** The rows whose key starts with `prefix` (the encoded bucket key), in key order: LMDB's range merged with the memtable's. */
  prefixLookup(prefix: Uint8Array, limit: number): Row[] {
    const end = prefixUpperBound(prefix);
    const prefixId = keyId(prefix);
    const pending = this.frozen ? this.frozen.withPrefix(prefixId) : new Map<string, MemEntry>();
    for (const [id, e] of this.memtable.withPrefix(prefixId)) pending.set(id, e);
    const found: { key: Uint8Array; row: Row }[] = [];
    const range = this.db.getRange({ start: Buffer.from(prefix), ...(end ? { end: Buffer.from(end) } : {}), limit: limit + 1 + pending.size });
    for (const { key, value } of range) {
      if (!pending.has(keyId(key))) found.push({ key, row: decodeRow(this.shape.columns, value) });
    }
    for (const e of pending.values()) if (e.value !== undefined) found.push({ key: e.key, row: decodeRow(this.shape.columns, e.value) });
    if (found.length > limit) fail('TOO_MANY_KEYS', `a prefix matched more than ${limit} rows; narrow it or page through GET .../buckets/{b}/rows`);
    if (pending.size > 0) found.sort((a, b) => compareBytes(a.key, b.key));
    return found.map((f) => f.row);
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
    return this.env.root.useReadTransaction();
  }
}
