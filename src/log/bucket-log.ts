/**
 * The log of one bucket (Fluss's LogTablet + LocalLog): an ordered list of segments in one directory,
 * the last of them active. Appends are written synchronously, in call order, then wait for a group
 * commit: every append that arrives while an fdatasync is in flight shares the next one, and the high
 * watermark (what readers may see) advances only after the fdatasync that covers the bytes.
 *
 * Recovery at open: segments before the last are trusted when their persisted indexes are current
 * and consistent, else rebuilt by a CRC-checked scan; the last segment is always scanned; the first
 * bad byte truncates the log there (later segments, which could only hold unacknowledged data after a
 * gap, are deleted). Idempotent-writer state comes from the newest snapshot plus a header scan after it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fail, isDiskFull, LakestreamError } from '../common/errors.js';
import { failpoint } from '../common/failpoints.js';
import { decodeBatchBody, decodeBatchHeader, encodeBatch, type BatchHeader } from './batch-format.js';
import { ColumnReadPlan, readProjectedBatches, readWholeBatches, type ColumnBatch } from './column-read.js';
import { mkdirDurably, nodeIo, type StorageIo, writeFileUnsynced } from '../common/storage-io.js';
import { LOG_SUFFIX, parseOffsetFileName, Segment, SEGMENT_RELATIVE_OFFSET_MAX, type BatchVisitor } from './segment.js';
import { NO_TIMESTAMP } from './time-index.js';
import { loadWriterSnapshot, type SequenceCheck, WriterState, writeWriterSnapshot } from './writer-state.js';

export interface BucketLogOptions {
  dir: string;
  segmentBytes: number;
  indexIntervalBytes: number;
  compression: 'none' | 'lz4' | 'zstd';
  ttlMs: number;
  /** Roll the active segment once its first batch is this old (default Infinity: by size only). */
  rollIntervalMs?: number;
  now?: () => number;
  /** Every change to the bucket's files goes through it; tests pass a counting, fault-injecting or power-losing one. */
  io?: StorageIo;
  /** Called after each successful group commit with its duration in seconds (for metrics). */
  onSync?: (seconds: number) => void;
}

export interface AppendInput {
  arrowIpc: Uint8Array;
  recordCount: number;
  hasChangeType?: boolean;
  writerId?: bigint;
  batchSequence?: number;
}

export interface AppendResult {
  baseOffset: bigint;
  lastOffset: bigint;
  duplicate: boolean;
}

export interface StoredBatch {
  baseOffset: bigint;
  lastOffset: bigint;
  recordCount: number;
  commitTimestamp: number;
  hasChangeType: boolean;
  arrowIpc: Uint8Array /* decompressed */;
  storedBytes: number;
}

export interface ReadOptions {
  maxBytes: number;
  maxRecords?: number;
}

export interface LogStats {
  localLogStartOffset: bigint;
  highWatermark: bigint;
  segments: number;
  bytes: number;
}

/** What retention may judge a closed segment by. */
export interface SegmentInfo {
  baseOffset: bigint;
  nextOffset: bigint;
  maxTimestamp: number;
  bytes: number;
}

export const SEGMENT_BYTES_MAX = 1024 * 1024 * 1024;
/** One append call (all its batches) is written with one write and must fit a segment's uint32 positions. */
export const APPEND_BYTES_MAX = 512 * 1024 * 1024;
const CLEAN_SHUTDOWN_FILE = 'clean-shutdown';
const READ_CHUNK_BYTES_MIN = 64 * 1024;
const READ_CHUNK_BYTES_MAX = 8 * 1024 * 1024;
const INT32_MAX = 0x7fffffff;
const INT64_MAX = (1n << 63n) - 1n;

interface SyncWaiter {
  endOffset: bigint;
  resolve: () => void;
  reject: (err: Error) => void;
}

function fileError(code: 'STORAGE_ERROR' | 'INSUFFICIENT_STORAGE', what: string, err: unknown, hint: string): LakestreamError {
  const e = err as NodeJS.ErrnoException;
  return new LakestreamError(code, `${`${what}: ${e.code ?? ''} ${e.message}`.trim()}${hint}`, { cause: e.code ?? e.message });
}

/** A failed file operation: INSUFFICIENT_STORAGE when the disk is full (nothing was written), else STORAGE_ERROR. */
function storageError(what: string, err: unknown): LakestreamError {
  if (err instanceof LakestreamError) return err;
  if (isDiskFull(err)) return fileError('INSUFFICIENT_STORAGE', what, err, '; the disk is full: free space (drop a table, grow the volume) and retry');
  return fileError('STORAGE_ERROR', what, err, '');
}

/** A fault after which the log's bytes on disk are in doubt: the log refuses appends until a restart recovers it. */
function poisonError(what: string, err: unknown): LakestreamError {
  return fileError('STORAGE_ERROR', what, err, '; this bucket refuses appends until a restart recovers its log from the durable bytes');
}

function validateOptions(o: BucketLogOptions): void {
  const bad = (msg: string): never => fail('INVALID_PROPERTY', `bucket log ${o.dir}: ${msg}`);
  if (typeof o.dir !== 'string' || o.dir === '') bad('dir is required');
  if (!Number.isInteger(o.segmentBytes) || o.segmentBytes < 1 || o.segmentBytes > SEGMENT_BYTES_MAX) bad(`segmentBytes ${o.segmentBytes} not in [1, ${SEGMENT_BYTES_MAX}]`);
  if (!Number.isInteger(o.indexIntervalBytes) || o.indexIntervalBytes < 0) bad(`indexIntervalBytes ${o.indexIntervalBytes}`);
  if (!['none', 'lz4', 'zstd'].includes(o.compression)) bad(`compression ${String(o.compression)}`);
  if (typeof o.ttlMs !== 'number' || !(o.ttlMs > 0)) bad(`ttlMs ${o.ttlMs} must be > 0 (Infinity: keep forever)`);
  if (o.rollIntervalMs !== undefined && !(o.rollIntervalMs > 0)) bad(`rollIntervalMs ${o.rollIntervalMs} must be > 0 (Infinity: roll by size only)`);
}

export class BucketLog {
  private segments: Segment[];
  private hw: bigint;
  private nextOffset: bigint;
  private lastTimestamp: number;
  private readonly now: () => number;
  private readonly io: StorageIo;
  private readonly dirtySegments = new Set<Segment>();
  /** The directory is fsynced with the first group commit too: open may have created the active segment. */
  private dirDirty = true;
  private syncWaiters: SyncWaiter[] = [];
  private syncScheduled = false;
  private syncing = false;
  private failure: LakestreamError | undefined;
  private closing = false;
  private closed = false;
  private readonly dataWaiters = new Set<{ offset: bigint; wake: () => void }>();

  private constructor(
    private readonly opts: BucketLogOptions,
    segments: Segment[],
    private readonly writers: WriterState,
    /** Whether the previous run ended with close(); recovery is the same either way. */
    readonly wasCleanShutdown: boolean,
  ) {
    this.segments = segments;
    this.now = opts.now ?? Date.now;
    this.io = opts.io ?? nodeIo;
    this.nextOffset = this.active.nextOffset;
    this.hw = this.nextOffset;
    this.lastTimestamp = Math.max(NO_TIMESTAMP, ...segments.map((s) => s.maxTimestamp));
  }

  static async open(opts: BucketLogOptions): Promise<BucketLog> {
    validateOptions(opts);
    const io = opts.io ?? nodeIo;
    try {
      // Durably: an fsync of the bucket directory alone does not keep its own entry in its parent.
      await mkdirDurably(io, opts.dir);
      const marker = path.join(opts.dir, CLEAN_SHUTDOWN_FILE);
      const wasClean = fs.existsSync(marker);
      io.unlink(marker);
      removeStrayFiles(io, opts.dir);
      const { segments, tailHeaders } = recoverSegments(opts, io);
      const writers = restoreWriters(io, opts.dir, segments, tailHeaders);
      return new BucketLog(opts, segments, writers, wasClean);
    } catch (err) {
      throw storageError(`cannot open bucket log ${opts.dir}`, err);
    }
  }

  /** Why this log refuses appends until a restart (a failed fdatasync, a batch it could not cut back), if it does. */
  get poisonedBy(): LakestreamError | undefined {
    return this.failure;
  }

  get highWatermark(): bigint {
    return this.hw;
  }

  get logStartOffset(): bigint {
    return this.segments[0]!.baseOffset;
  }

  private get active(): Segment {
    return this.segments[this.segments.length - 1]!;
  }

  /** Lets a caller answer an idempotent retry before doing work the retry must not repeat. */
  checkWriter(writerId: bigint, sequence: number): SequenceCheck {
    return this.writers.check(writerId, sequence);
  }

  append(input: AppendInput): Promise<AppendResult> {
    return this.appendMany([input]).then((results) => results[0]!);
  }

  /**
   * Writes all new batches with one write into one segment (rolling first if they would overflow it),
   * so a call is all-or-nothing, then resolves after the group commit that makes them durable.
   * Retried batches of idempotent writers resolve with their original offsets, once those are durable.
   */
  appendMany(inputs: readonly AppendInput[]): Promise<AppendResult[]> {
    try {
      return this.waitDurable(this.writeBatches(inputs));
    } catch (err) {
      return Promise.reject(err instanceof LakestreamError ? err : storageError('append', err));
    }
  }

  private writeBatches(inputs: readonly AppendInput[]): AppendResult[] {
    if (this.failure) throw this.failure;
    if (this.closing) fail('SHUTTING_DOWN', `bucket log ${this.opts.dir} is closing`);
    const results = this.planDuplicates(inputs);
    const fresh = inputs.map((input, i) => ({ input, i })).filter(({ i }) => results[i] === undefined);
    if (fresh.length === 0) return results as AppendResult[];
    const commitTimestamp = Math.max(this.now(), this.lastTimestamp);
    const encoded: { bytes: Uint8Array; header: BatchHeader; i: number }[] = [];
    let offset = this.nextOffset;
    let totalBytes = 0;
    for (const { input, i } of fresh) {
      const bytes = encodeBatch({
        baseOffset: offset, commitTimestamp, recordCount: input.recordCount, compression: this.opts.compression,
        hasChangeType: input.hasChangeType ?? false, writerId: input.writerId ?? -1n, batchSequence: input.batchSequence ?? -1,
      }, input.arrowIpc);
      encoded.push({ bytes, header: decodeBatchHeader(bytes, 0), i });
      offset += BigInt(input.recordCount);
      totalBytes += bytes.length;
    }
    if (totalBytes > APPEND_BYTES_MAX) fail('REQUEST_TOO_LARGE', `append of ${totalBytes} bytes exceeds ${APPEND_BYTES_MAX}`);
    this.maybeRoll(totalBytes, offset, commitTimestamp);
    const segment = this.active;
    const position = this.writeAll(segment, encoded.map((e) => e.bytes), totalBytes);
    failpoint('log.after-write');
    let at = position;
    for (const { header, i } of encoded) {
      segment.indexBatch(header, at);
      at += header.sizeBytes;
      results[i] = { baseOffset: header.baseOffset, lastOffset: header.lastOffset, duplicate: false };
      if (header.writerId >= 0n) this.writers.record(header.writerId, header.batchSequence, header.baseOffset, header.lastOffset);
    }
    this.nextOffset = offset;
    this.lastTimestamp = commitTimestamp;
    this.dirtySegments.add(segment);
    return this.resolveIntraCallDuplicates(inputs, results);
  }

  /** Validates inputs and answers retries of idempotent writers from the writer state. */
  private planDuplicates(inputs: readonly AppendInput[]): (AppendResult | undefined)[] {
    const results: (AppendResult | undefined)[] = [];
    const seen = new Set<string>();
    for (const input of inputs) {
      validateInput(input);
      results.push(undefined);
      if (input.writerId === undefined) continue;
      const key = `${input.writerId}:${input.batchSequence}`;
      const check = this.writers.check(input.writerId, input.batchSequence!);
      if (check.kind === 'out-of-order') {
        fail('OUT_OF_ORDER_SEQUENCE', `writer ${input.writerId}: sequence ${input.batchSequence} is older than the retained window (oldest ${check.oldestSequence})`);
      }
      if (check.kind === 'duplicate') {
        results[results.length - 1] = { baseOffset: check.baseOffset, lastOffset: check.lastOffset, duplicate: true };
      } else if (seen.has(key)) {
        results[results.length - 1] = { baseOffset: -1n, lastOffset: -1n, duplicate: true }; // filled after the write
      }
      seen.add(key);
    }
    return results;
  }

  /** The same writer+sequence twice in one call: the second gets the offsets just assigned to the first. */
  private resolveIntraCallDuplicates(inputs: readonly AppendInput[], results: (AppendResult | undefined)[]): AppendResult[] {
    inputs.forEach((input, i) => {
      if (results[i]!.baseOffset >= 0n || input.writerId === undefined) return;
      const check = this.writers.check(input.writerId, input.batchSequence!);
      if (check.kind !== 'duplicate') throw new LakestreamError('INTERNAL', 'duplicate in call lost its original');
      results[i] = { baseOffset: check.baseOffset, lastOffset: check.lastOffset, duplicate: true };
    });
    return results as AppendResult[];
  }

  /** Rolls to a new segment when the active one has data and the append would overflow it or it is old enough. */
  private maybeRoll(appendBytes: number, endOffset: bigint, now: number): void {
    const seg = this.active;
    const overflowsBytes = seg.size + appendBytes > this.opts.segmentBytes;
    const overflowsOffsets = endOffset - 1n - seg.baseOffset > BigInt(SEGMENT_RELATIVE_OFFSET_MAX);
    if (overflowsBytes || overflowsOffsets || this.isAged(seg, now)) this.roll();
  }

  /**
   * A small table's only segment would never close by size, so retention and tiering could never
   * drop it: it also closes once its first batch is rollIntervalMs old. An empty segment never rolls
   * (it would roll again at every check).
   */
  private isAged(seg: Segment, now: number): boolean {
    return !seg.isEmpty && this.opts.rollIntervalMs !== undefined && now - seg.firstTimestamp >= this.opts.rollIntervalMs;
  }

  /** Closes the active segment (when it has data) and starts the next one at the log end. */
  private roll(): void {
    const seg = this.active;
    if (seg.isEmpty) return;
    const next = Segment.create(this.opts.dir, this.nextOffset, this.opts.indexIntervalBytes, this.io);
    this.segments.push(next);
    this.dirDirty = true;
    // Both are rebuildable, so a failure to persist them must not fail the append.
    try {
      seg.persistIndexes();
      writeWriterSnapshot(this.io, this.opts.dir, this.nextOffset, this.writers);
    } catch {
      /* rebuilt by scan at the next open */
    }
  }

  private writeAll(segment: Segment, parts: Uint8Array[], totalBytes: number): number {
    const bytes = parts.length === 1 ? parts[0]! : Buffer.concat(parts, totalBytes);
    try {
      return segment.append(bytes);
    } catch (err) {
      if (!segment.damaged) throw storageError(`append to ${segment.logPath}`, err);
      this.failure = poisonError(`append to ${segment.logPath} failed and its partial batch could not be cut back`, err);
      throw this.failure;
    }
  }

  private waitDurable(results: AppendResult[]): Promise<AppendResult[]> {
    let endOffset = -1n;
    for (const r of results) if (r.lastOffset + 1n > endOffset) endOffset = r.lastOffset + 1n;
    if (endOffset <= this.hw) return Promise.resolve(results);
    return new Promise<void>((resolve, reject) => {
      this.syncWaiters.push({ endOffset, resolve, reject });
      this.scheduleSync();
    }).then(() => results);
  }

  /** Starts a group commit on the next turn, so appends made in this turn share it. */
  private scheduleSync(): void {
    if (this.syncScheduled || this.syncing) return;
    this.syncScheduled = true;
    setImmediate(() => {
      this.syncScheduled = false;
      // runSyncs catches what the file system throws; anything else is a bug, and it still must
      // not leave writers waiting for a commit that will never come.
      this.runSyncs().catch((err: unknown) => {
        this.failure ??= poisonError(`group commit in ${this.opts.dir}`, err);
        this.rejectAllWaiters(this.failure);
      });
    });
  }

  /** One fdatasync round after another while anyone waits; each round covers what was written before it. */
  private async runSyncs(): Promise<void> {
    this.syncing = true;
    try {
      while (this.syncWaiters.length > 0 && !this.failure) {
        const target = this.nextOffset;
        const covered = [...this.dirtySegments].map((segment) => ({ segment, bytes: segment.size }));
        const syncDir = this.dirDirty;
        this.dirtySegments.clear();
        this.dirDirty = false;
        const started = this.opts.onSync ? performance.now() : 0;
        try {
          for (const { segment } of covered) await segment.fdatasync(); // oldest first: a rolled segment before its successor
          if (syncDir) await this.io.fsyncDirectory(this.opts.dir);
        } catch (err) {
          this.failure = poisonError(`fdatasync in ${this.opts.dir}`, err);
          break;
        }
        this.opts.onSync?.((performance.now() - started) / 1000);
        for (const { segment, bytes } of covered) segment.syncedBytes = Math.max(segment.syncedBytes, bytes);
        this.advanceHighWatermark(target);
      }
    } finally {
      this.syncing = false;
    }
    if (this.failure) this.rejectAllWaiters(this.failure);
  }

  private advanceHighWatermark(target: bigint): void {
    if (target > this.hw) this.hw = target;
    const waiting: SyncWaiter[] = [];
    for (const w of this.syncWaiters) (w.endOffset <= this.hw ? w.resolve() : waiting.push(w));
    this.syncWaiters = waiting;
    for (const w of this.dataWaiters) if (this.hw > w.offset) w.wake();
  }

  private rejectAllWaiters(err: LakestreamError): void {
    const waiters = this.syncWaiters;
    this.syncWaiters = [];
    for (const w of waiters) w.reject(err);
  }

  /**
   * Whole batches from the one containing `offset`, below the high watermark, within maxBytes /
   * maxRecords except that the first batch is always returned so a consumer makes progress.
   */
  async read(offset: bigint, opts: ReadOptions): Promise<StoredBatch[]> {
    const { maxBytes, maxRecords } = this.readBounds(offset, opts);
    const hw = this.hw; // a stable bound for this read, whatever commits meanwhile
    const out: StoredBatch[] = [];
    let bytes = 0;
    let records = 0;
    let done = offset >= hw;
    const stop = (): boolean => {
      done = true;
      return false;
    };
    /** Takes a batch unless it is before `offset`; false once the read is complete. */
    const take: BatchVisitor = (buf, p, h) => {
      if (h.baseOffset >= hw) return stop();
      if (h.lastOffset < offset) return true;
      if (out.length > 0 && (bytes + h.sizeBytes > maxBytes || records + h.recordCount > maxRecords)) return stop();
      out.push({
        baseOffset: h.baseOffset, lastOffset: h.lastOffset, recordCount: h.recordCount, commitTimestamp: h.commitTimestamp,
        hasChangeType: h.hasChangeType, arrowIpc: decodeBatchBody(buf, p, h), storedBytes: h.sizeBytes,
      });
      bytes += h.sizeBytes;
      records += h.recordCount;
      done = bytes >= maxBytes || records >= maxRecords;
      return !done;
    };
    const chunkBytes = this.chunkBytes(maxBytes);
    await this.eachSegmentFrom(offset, () => done, () => out.length === 0, (s, start) => s.readBatches(start, chunkBytes, take));
    return out;
  }

  /**
   * Like `read`, but each batch reduced to the Arrow buffers of the named fields, and `maxBytes`
   * counting those buffers. `projected`: fetch only those fields' byte ranges of uncompressed batches
   * (no CRC over bytes not read); else read whole batches, CRC-checked.
   */
  async readColumns(offset: bigint, opts: ReadOptions, names: readonly string[], projected: boolean): Promise<ColumnBatch[]> {
    const { maxBytes, maxRecords } = this.readBounds(offset, opts);
    const plan = new ColumnReadPlan(offset, this.hw, maxBytes, maxRecords);
    const chunkBytes = this.chunkBytes(maxBytes);
    await this.eachSegmentFrom(offset, () => plan.done, () => plan.batches.length === 0, (s, start) =>
      projected ? readProjectedBatches(s, start, names, plan) : readWholeBatches(s, start, chunkBytes, names, plan));
    return plan.batches;
  }

  private readBounds(offset: bigint, opts: ReadOptions): { maxBytes: number; maxRecords: number } {
    if (this.closed) fail('SHUTTING_DOWN', `bucket log ${this.opts.dir} is closed`);
    this.checkReadable(offset);
    const maxBytes = opts.maxBytes;
    const maxRecords = opts.maxRecords ?? INT32_MAX;
    if (!Number.isInteger(maxBytes) || maxBytes < 1) fail('INVALID_PARAMETER', `maxBytes ${maxBytes} must be a positive integer`);
    if (!Number.isInteger(maxRecords) || maxRecords < 1) fail('INVALID_PARAMETER', `maxRecords ${maxRecords} must be a positive integer`);
    return { maxBytes, maxRecords };
  }

  private chunkBytes(maxBytes: number): number {
    return Math.min(READ_CHUNK_BYTES_MAX, Math.max(READ_CHUNK_BYTES_MIN, maxBytes + this.opts.indexIntervalBytes));
  }

  /**
   * Runs `read` over the segment holding `offset` (from its index position) and the ones after it
   * until `done()`. A segment deleted by retention meanwhile ends the read if something was read
   * (still a valid answer), else it is OFFSET_OUT_OF_RANGE.
   */
  private async eachSegmentFrom(offset: bigint, done: () => boolean, empty: () => boolean, read: (s: Segment, start: number) => Promise<void>): Promise<void> {
    for (const segment of this.segmentsFrom(offset)) {
      if (done()) break;
      const start = empty() ? segment.positionFloor(offset) : 0;
      if (!(await this.withSegment(segment, (s) => read(s, start)))) {
        if (!empty()) break;
        this.checkReadable(offset);
        fail('OFFSET_OUT_OF_RANGE', `offset ${offset} was deleted by retention`);
      }
    }
  }

  private checkReadable(offset: bigint): void {
    if (typeof offset !== 'bigint' || offset < this.logStartOffset || offset > this.hw) {
      fail('OFFSET_OUT_OF_RANGE', `offset ${String(offset)} is outside the valid range [${this.logStartOffset}, ${this.hw}]`, {
        earliest: this.logStartOffset.toString(), latest: this.hw.toString(),
      });
    }
  }

  /** The segment containing `offset` and all after it, as of now (retention or a roll may change the list). */
  private segmentsFrom(offset: bigint): Segment[] {
    let lo = 0;
    let hi = this.segments.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.segments[mid]!.baseOffset <= offset) lo = mid;
      else hi = mid - 1;
    }
    return this.segments.slice(lo);
  }

  /** Runs `fn` with the segment's fd pinned; false if retention deleted the segment first. */
  private async withSegment(segment: Segment, fn: (s: Segment) => Promise<void>): Promise<boolean> {
    if (!segment.acquire()) return false;
    try {
      await fn(segment);
      return true;
    } finally {
      segment.release();
    }
  }

  /** First offset whose batch was committed at or after `timestamp`; the high watermark if none. */
  async offsetForTimestamp(timestamp: number): Promise<bigint> {
    const hw = this.hw;
    for (const segment of this.segmentsFrom(this.logStartOffset)) {
      if (segment.maxTimestamp < timestamp || segment.baseOffset >= hw) continue;
      let found: bigint | undefined;
      await this.withSegment(segment, (s) => s.readBatches(s.timestampFloor(timestamp), READ_CHUNK_BYTES_MIN, (_buf, _p, h) => {
        if (h.baseOffset >= hw) return false;
        if (h.commitTimestamp >= timestamp) found = h.baseOffset;
        return found === undefined;
      }));
      if (found !== undefined) return found;
    }
    return hw;
  }

  /** Resolves once the high watermark passes `offset`, or on timeout, abort or close. */
  waitForData(offset: bigint, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    if (this.hw > offset || this.closing || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const waiter = { offset, wake: () => {} };
      const onAbort = (): void => waiter.wake();
      const timer = setTimeout(() => waiter.wake(), Math.max(0, timeoutMs));
      waiter.wake = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.dataWaiters.delete(waiter);
        resolve();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.dataWaiters.add(waiter);
    });
  }

  stats(): LogStats {
    return {
      localLogStartOffset: this.logStartOffset,
      highWatermark: this.hw,
      segments: this.segments.length,
      bytes: this.segments.reduce((sum, s) => sum + s.size, 0),
    };
  }

  /**
   * Deletes the oldest closed, fully durable segments while `pred` holds, so the log stays dense;
   * the active segment is never deleted. Returns how many were deleted.
   */
  deleteSegmentsBefore(pred: (info: SegmentInfo) => boolean): number {
    let deleted = 0;
    while (this.segments.length > 1) {
      const s = this.segments[0]!;
      const info = { baseOffset: s.baseOffset, nextOffset: s.nextOffset, maxTimestamp: s.maxTimestamp, bytes: s.size };
      if (s.nextOffset > this.hw || !pred(info)) break;
      this.segments.shift();
      s.deleteFiles();
      deleted++;
    }
    return deleted;
  }

  /**
   * TTL retention: closed segments whose newest batch is older than ttlMs (and below limitOffset if
   * given). First the active segment rolls if it is rollIntervalMs old, so an idle table closes it too.
   */
  async enforceRetention(now: number, limitOffset?: bigint): Promise<number> {
    if (!this.failure && !this.closing && this.isAged(this.active, now)) this.roll();
    return this.deleteSegmentsBefore((s) =>
      now - s.maxTimestamp > this.opts.ttlMs && (limitOffset === undefined || s.nextOffset <= limitOffset));
  }

  /** Resolves when everything appended so far is durable. */
  flush(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    return this.waitDurable([{ baseOffset: this.nextOffset - 1n, lastOffset: this.nextOffset - 1n, duplicate: false }]).then(() => {});
  }

  /** Refuses new appends, waits for in-flight ones, persists indexes and writer state, marks clean. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    let clean = false;
    try {
      await this.flush();
      this.active.persistIndexes();
      writeWriterSnapshot(this.io, this.opts.dir, this.nextOffset, this.writers);
      writeFileUnsynced(this.io, path.join(this.opts.dir, CLEAN_SHUTDOWN_FILE), Buffer.from(`${this.nextOffset}\n`));
      clean = true;
    } finally {
      this.closed = true;
      for (const s of this.segments) s.retire();
      for (const w of this.dataWaiters) w.wake();
      if (!clean && this.failure) this.rejectAllWaiters(this.failure);
    }
  }
}

function validateInput(input: AppendInput): void {
  if (!(input.arrowIpc instanceof Uint8Array) || input.arrowIpc.length === 0) fail('INVALID_ARROW', 'a batch needs Arrow IPC bytes');
  if (!Number.isInteger(input.recordCount) || input.recordCount < 1 || input.recordCount > INT32_MAX) {
    fail('BAD_REQUEST', `record count ${input.recordCount} must be in [1, ${INT32_MAX}]`);
  }
  if ((input.writerId === undefined) !== (input.batchSequence === undefined)) {
    fail('BAD_REQUEST', 'writerId and batchSequence go together');
  }
  if (input.writerId === undefined) return;
  if (typeof input.writerId !== 'bigint' || input.writerId < 0n || input.writerId > INT64_MAX) fail('BAD_REQUEST', `writer id ${String(input.writerId)}`);
  const seq = input.batchSequence!;
  if (!Number.isInteger(seq) || seq < 0 || seq > INT32_MAX) fail('BAD_REQUEST', `batch sequence ${seq}`);
}

/** Leftovers of an interrupted write-then-rename. */
function removeStrayFiles(io: StorageIo, dir: string): void {
  for (const name of fs.readdirSync(dir)) if (name.endsWith('.tmp')) io.unlink(path.join(dir, name));
}

function listSegmentBases(dir: string): bigint[] {
  const bases: bigint[] = [];
  for (const name of fs.readdirSync(dir)) {
    const base = parseOffsetFileName(name, LOG_SUFFIX);
    if (base !== undefined) bases.push(base);
  }
  return bases.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Establishes every segment's end. Returns the headers of idempotent batches in the last segment,
 * met during its scan, so writer state need not read it again.
 */
function recoverSegments(opts: BucketLogOptions, io: StorageIo): { segments: Segment[]; tailHeaders: BatchHeader[] } {
  const bases = listSegmentBases(opts.dir);
  const segments: Segment[] = [];
  const tailHeaders: BatchHeader[] = [];
  let lastScanned = false;
  for (let i = 0; i < bases.length; i++) {
    const prev = segments[segments.length - 1];
    if (prev && bases[i] !== prev.nextOffset) {
      // A gap: everything from here on lies beyond data that was never made durable.
      for (const base of bases.slice(i)) Segment.existing(opts.dir, base, opts.indexIntervalBytes, io).deleteFiles();
      break;
    }
    const segment = Segment.existing(opts.dir, bases[i]!, opts.indexIntervalBytes, io);
    segments.push(segment);
    if (i === bases.length - 1) {
      segment.recoverByScan((h) => h.writerId >= 0n && tailHeaders.push(h));
      lastScanned = true;
      continue;
    }
    const problem = segment.loadIndexes() ?? (segment.nextOffset !== bases[i + 1] ? 'segment end does not meet the next segment' : undefined);
    if (problem !== undefined) {
      segment.recoverByScan();
      segment.persistIndexes();
    }
  }
  const last = segments[segments.length - 1];
  if (!last || !lastScanned) {
    // No segments, or the last was cut off: start a fresh active segment where the trusted data ends.
    segments.push(Segment.create(opts.dir, last?.nextOffset ?? 0n, opts.indexIntervalBytes, io));
  }
  return { segments, tailHeaders };
}

/** Newest snapshot at or below the log end, then the idempotent batches after it, in order. */
function restoreWriters(io: StorageIo, dir: string, segments: Segment[], tailHeaders: BatchHeader[]): WriterState {
  const end = segments[segments.length - 1]!.nextOffset;
  const snapshot = loadWriterSnapshot(io, dir, end);
  const writers = snapshot?.state ?? new WriterState();
  const from = snapshot?.offset ?? 0n;
  const record = (h: BatchHeader): void => {
    if (h.baseOffset >= from && h.writerId >= 0n) writers.record(h.writerId, h.batchSequence, h.baseOffset, h.lastOffset);
  };
  const last = segments[segments.length - 1]!;
  for (const segment of segments) {
    if (segment === last || segment.nextOffset <= from) continue;
    segment.walkHeadersSync(record);
  }
  tailHeaders.forEach(record);
  return writers;
}
