import { Readable } from 'node:stream';
import { LakestreamError } from '../common/errors.js';
import type { Column } from '../common/schema.js';
import type { TableContext } from './context.js';
import { ARROW_STREAM, JSON_TYPE, parseJsonBody, RequestAbortedError } from './http.js';
import type { ScanRecord } from './records.js';
import { recordsFromArrow, recordsFromJson, snapshotPageFromJson } from './records.js';
import { pickColumns } from './rows.js';
import { sleep } from './retry.js';
import { parseOffsetReply } from './wire.js';

/**
 * Reads the log (changelog, for primary-key tables) of some buckets as one async iterator.
 *
 * Start positions: `earliest`, `latest`, `{timestamp}` (first offset committed at or after it),
 * `{offsets}` (e.g. saved `positions()`), or `full`: on a primary-key table each bucket's current
 * rows (as `+I`, paged through `/rows`) and then its changelog from the offset that snapshot
 * reflects; on a log table `full` is `earliest`.
 *
 * Up to `maxConcurrentFetches` buckets are fetched at once, round-robin. A bucket that is caught up
 * is long-polled (`waitMs`) when that cannot hold up other buckets; otherwise it is re-polled at most
 * every `idlePollMs`, so an idle tail never busy-loops. Records of one bucket stay in order; buckets
 * interleave. At most `maxBufferedRecords` records wait for the consumer (back-pressure).
 *
 * Without `to` a scanner tails: it follows new records until `stop()`. With `to: 'latest'` it is
 * bounded: each bucket's end is its high watermark when the scan starts, and the iterator ends once
 * every bucket has been read up to its end (records written later are not returned).
 */
export type StartPosition =
  | 'earliest'
  | 'latest'
  | 'full'
  | { readonly timestamp: number }
  | { readonly offsets: Readonly<Record<number, bigint | number | string>> | ReadonlyMap<number, bigint> };

export type EndPosition = 'latest';

export interface ScannerOptions {
  /** Column projection; default all columns. */
  readonly columns?: readonly string[];
  /** Default `full` (as Fluss): snapshot then changelog on PK tables, earliest on log tables. */
  readonly from?: StartPosition;
  /** `latest`: end at each bucket's high watermark as of the scan's start. Absent: tail forever. */
  readonly to?: EndPosition;
  /** Buckets to read; default all (or the buckets named in `from.offsets`). */
  readonly buckets?: readonly number[];
  /** Records per fetch (and rows per snapshot page) at most. */
  readonly maxRecords?: number;
  /** Bytes per fetch at most (server default when absent). */
  readonly maxBytes?: number;
  /** Long-poll wait of a caught-up fetch. */
  readonly waitMs?: number;
  readonly format?: 'arrow' | 'json';
  readonly maxConcurrentFetches?: number;
  readonly maxBufferedRecords?: number;
  /** Least time between two polls of a caught-up bucket that is not long-polled. */
  readonly idlePollMs?: number;
  /** When a saved offset is gone (retention) or ahead of the log: fail, or jump to earliest/latest. */
  readonly onOutOfRange?: 'error' | 'earliest' | 'latest';
}

export const SCANNER_DEFAULTS = Object.freeze({
  waitMs: 1000,
  format: 'arrow' as const,
  maxConcurrentFetches: 16,
  maxBufferedRecords: 10_000,
  idlePollMs: 100,
  snapshotPageRows: 1000,
  onOutOfRange: 'error' as const,
});

/** Longest long-poll we ask for: the server caps it anyway. */
export const WAIT_MS_MAX = 60_000;

interface BucketState {
  readonly bucket: number;
  phase: 'snapshot' | 'log';
  /** Next offset to fetch (log phase). */
  offset: bigint;
  /** Where a bounded scan of this bucket ends (exclusive); undefined when it tails. */
  end: bigint | undefined;
  cursor: string | null;
  /** Lowest log offset among the snapshot pages read: the changelog resumes from there. */
  snapshotLogOffset: bigint | undefined;
  caughtUp: boolean;
  lastPollMs: number;
  busy: boolean;
}

type QueueItem = { readonly record: ScanRecord } | { readonly bucket: number; readonly position: bigint };

function normalizeOffsets(o: Readonly<Record<number, bigint | number | string>> | ReadonlyMap<number, bigint>): Map<number, bigint> {
  const entries: [unknown, unknown][] = o instanceof Map ? [...o.entries()] : Object.entries(o);
  const out = new Map<number, bigint>();
  for (const [k, v] of entries) {
    const bucket = Number(k);
    if (!Number.isInteger(bucket) || bucket < 0) throw new LakestreamError('INVALID_PARAMETER', `from.offsets: '${String(k)}' is not a bucket number`);
    let offset: bigint;
    try {
      offset = BigInt(v as bigint | number | string);
    } catch {
      throw new LakestreamError('INVALID_PARAMETER', `from.offsets[${bucket}]: ${String(v)} is not an offset`);
    }
    if (offset < 0n) throw new LakestreamError('INVALID_PARAMETER', `from.offsets[${bucket}] must be >= 0`);
    out.set(bucket, offset);
  }
  return out;
}

export class LogScanner implements AsyncIterable<ScanRecord> {
  private readonly ctx: TableContext;
  private readonly from: StartPosition;
  private readonly to: EndPosition | undefined;
  private readonly columns: readonly Column[];
  private readonly projection: string | undefined;
  private readonly bucketIds: readonly number[];
  private readonly opts: Required<Omit<ScannerOptions, 'columns' | 'from' | 'to' | 'buckets' | 'maxRecords' | 'maxBytes'>> & Pick<ScannerOptions, 'maxRecords' | 'maxBytes'>;
  private readonly states = new Map<number, BucketState>();
  private readonly rotation: BucketState[] = [];
  private readonly positionsByBucket = new Map<number, bigint>();
  /** Items for the consumer from `queueHead` on (an index, not shift(): shift is O(n) per call). */
  private queue: QueueItem[] = [];
  private queueHead = 0;
  private bufferedRecords = 0;
  private readonly abort = new AbortController();
  private started: Promise<void> | undefined;
  private failure: unknown;
  private stopped = false;
  /** A bounded scan has read every bucket to its end: the consumer is done once the queue is. */
  private ended = false;
  private consumerWakes: (() => void)[] = [];
  private producerWakes: (() => void)[] = [];
  private readonly unregister: () => void;

  constructor(ctx: TableContext, opts: ScannerOptions = {}) {
    this.ctx = ctx;
    const d = ctx.description;
    this.from = opts.from ?? 'full';
    this.to = opts.to;
    this.columns = opts.columns ? pickColumns(d.columns, opts.columns, 'scanner columns') : d.columns;
    this.projection = opts.columns ? this.columns.map((c) => c.name).join(',') : undefined;
    this.opts = {
      waitMs: opts.waitMs ?? SCANNER_DEFAULTS.waitMs,
      format: opts.format ?? SCANNER_DEFAULTS.format,
      maxConcurrentFetches: opts.maxConcurrentFetches ?? SCANNER_DEFAULTS.maxConcurrentFetches,
      maxBufferedRecords: opts.maxBufferedRecords ?? SCANNER_DEFAULTS.maxBufferedRecords,
      idlePollMs: opts.idlePollMs ?? SCANNER_DEFAULTS.idlePollMs,
      onOutOfRange: opts.onOutOfRange ?? SCANNER_DEFAULTS.onOutOfRange,
      maxRecords: opts.maxRecords,
      maxBytes: opts.maxBytes,
    };
    const o = this.opts;
    const check = (ok: boolean, what: string): void => {
      if (!ok) throw new LakestreamError('INVALID_PARAMETER', what);
    };
    check(Number.isInteger(o.waitMs) && o.waitMs >= 0 && o.waitMs <= WAIT_MS_MAX, `waitMs must be an integer from 0 to ${WAIT_MS_MAX}`);
    check(o.format === 'arrow' || o.format === 'json', "format must be 'arrow' or 'json'");
    check(Number.isInteger(o.maxConcurrentFetches) && o.maxConcurrentFetches >= 1 && o.maxConcurrentFetches <= 256, 'maxConcurrentFetches must be an integer from 1 to 256');
    check(Number.isInteger(o.maxBufferedRecords) && o.maxBufferedRecords >= 1, 'maxBufferedRecords must be a positive integer');
    check(Number.isFinite(o.idlePollMs) && o.idlePollMs >= 0, 'idlePollMs must be >= 0');
    check(o.maxRecords === undefined || (Number.isInteger(o.maxRecords) && o.maxRecords >= 1), 'maxRecords must be a positive integer');
    check(this.to === undefined || this.to === 'latest', "to must be 'latest' (or absent, to tail)");
    check(o.maxBytes === undefined || (Number.isInteger(o.maxBytes) && o.maxBytes >= 1), 'maxBytes must be a positive integer');

    const given = typeof this.from === 'object' && 'offsets' in this.from ? normalizeOffsets(this.from.offsets) : undefined;
    const ids = opts.buckets ?? (given ? [...given.keys()] : Array.from({ length: d.buckets }, (_, i) => i));
    for (const b of ids) check(Number.isInteger(b) && b >= 0 && b < d.buckets, `bucket ${b} does not exist: ${ctx.database}.${ctx.table} has ${d.buckets} bucket(s)`);
    check(new Set(ids).size === ids.length, 'buckets names a bucket twice');
    check(ids.length > 0, 'no buckets to read');
    if (given) for (const b of ids) check(given.has(b), `from.offsets has no offset for bucket ${b}`);
    this.bucketIds = [...ids];
    this.unregister = ctx.register(this);
  }

  /** The buckets this scanner reads. */
  get buckets(): readonly number[] {
    return this.bucketIds;
  }

  /**
   * The offset to resume this bucket from: after the last record handed out (or the start offset).
   * Undefined before the scan started and while a `full` scan is still reading the bucket's snapshot.
   */
  position(bucket: number): bigint | undefined {
    return this.positionsByBucket.get(bucket);
  }

  /** Every known position; pass back as `from: { offsets: scanner.positions() }` to resume. */
  positions(): Record<number, bigint> {
    return Object.fromEntries(this.positionsByBucket) as Record<number, bigint>;
  }

  /** Stops fetching; the iterator ends after this (records already buffered are dropped). */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.unregister();
    this.abort.abort();
    this.wakeConsumer();
    this.wakeProducers();
  }

  /** Same as stop(); lets Connection.close() treat scanners like writers. */
  close(): void {
    this.stop();
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  [Symbol.asyncIterator](): AsyncIterator<ScanRecord> {
    return {
      next: () => this.next(),
      return: async () => {
        this.stop();
        return { done: true, value: undefined };
      },
    };
  }

  /** An object-mode Readable of ScanRecords; reads only as fast as the consumer, `destroy()` stops. */
  toReadable(highWaterMark = 256): Readable {
    return Readable.from(this, { objectMode: true, highWaterMark });
  }

  async next(): Promise<IteratorResult<ScanRecord>> {
    this.started ??= this.start();
    for (;;) {
      if (this.failure !== undefined) {
        const e = this.failure;
        this.failure = undefined;
        this.stop();
        throw e;
      }
      if (this.stopped) return { done: true, value: undefined };
      if (this.ended && this.queueHead >= this.queue.length) {
        this.stop();
        return { done: true, value: undefined };
      }
      const item = this.queueHead < this.queue.length ? this.queue[this.queueHead++] : undefined;
      if (this.queueHead >= 1024 && this.queueHead * 2 >= this.queue.length) {
        this.queue = this.queue.slice(this.queueHead);
        this.queueHead = 0;
      }
      if (item) {
        if ('record' in item) {
          this.bufferedRecords--;
          if (this.bufferedRecords < this.opts.maxBufferedRecords) this.wakeProducers();
          const r = item.record;
          if (r.offset >= 0n) this.positionsByBucket.set(r.bucket, r.offset + 1n);
          return { done: false, value: r };
        }
        this.positionsByBucket.set(item.bucket, item.position);
        continue;
      }
      await new Promise<void>((resolve) => this.consumerWakes.push(resolve));
    }
  }

  // ---- producer side ----

  private async start(): Promise<void> {
    try {
      await this.resolveStarts();
      const workers = Math.min(this.opts.maxConcurrentFetches, this.rotation.length);
      for (let i = 0; i < workers; i++) void this.worker();
    } catch (e) {
      this.fail(e);
    }
  }

  private async resolveStarts(): Promise<void> {
    const d = this.ctx.description;
    const from = this.from;
    const given = typeof from === 'object' && 'offsets' in from ? normalizeOffsets(from.offsets) : undefined;
    const snapshot = from === 'full' && d.kind === 'primary-key';
    const at = from === 'latest' ? 'latest' : typeof from === 'object' && 'timestamp' in from ? String(Math.trunc(from.timestamp)) : 'earliest';
    // Ends first: a `full` snapshot taken after them already holds everything below them.
    const ends = this.to === 'latest' ? await this.mapLimited(this.bucketIds, (b) => this.offsetAt(b, 'latest')) : undefined;
    const starts = await this.mapLimited(this.bucketIds, async (b) => {
      if (given) return given.get(b)!;
      if (snapshot) return -1n;
      return this.offsetAt(b, at);
    });
    this.bucketIds.forEach((bucket, i) => {
      const state: BucketState = {
        bucket,
        phase: snapshot ? 'snapshot' : 'log',
        offset: starts[i]!,
        end: ends?.[i],
        cursor: null,
        snapshotLogOffset: undefined,
        caughtUp: false,
        lastPollMs: 0,
        busy: false,
      };
      this.states.set(bucket, state);
      this.rotation.push(state);
      if (!snapshot) this.positionsByBucket.set(bucket, state.offset);
    });
  }

  private async mapLimited<T, R>(items: readonly T[], fn: (item: T) => Promise<R>): Promise<R[]> {
    const out: R[] = new Array(items.length);
    let next = 0;
    const run = async (): Promise<void> => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.opts.maxConcurrentFetches, items.length) }, run));
    return out;
  }

  private async offsetAt(bucket: number, at: string): Promise<bigint> {
    const body = await this.ctx.http.json({
      method: 'GET',
      path: this.ctx.path('buckets', bucket, 'offsets'),
      query: { at },
      idempotent: true,
      signal: this.abort.signal,
    });
    return parseOffsetReply(body);
  }

  private fail(e: unknown): void {
    if (this.stopped) return;
    if (e instanceof RequestAbortedError && this.abort.signal.aborted) return;
    this.failure ??= e;
    this.abort.abort();
    this.wakeConsumer();
    this.wakeProducers();
  }

  private wakeConsumer(): void {
    const ws = this.consumerWakes;
    this.consumerWakes = [];
    for (const w of ws) w();
  }

  private wakeProducers(): void {
    const ws = this.producerWakes;
    this.producerWakes = [];
    for (const w of ws) w();
  }

  private get halted(): boolean {
    return this.stopped || this.failure !== undefined || this.ended;
  }

  private static finished(s: BucketState): boolean {
    return s.phase === 'log' && s.end !== undefined && s.offset >= s.end;
  }

  private push(items: QueueItem[]): void {
    for (const it of items) {
      if ('record' in it) this.bufferedRecords++;
      this.queue.push(it);
    }
    if (items.length > 0) this.wakeConsumer();
  }

  /** Whether a caught-up bucket may long-poll without delaying the others. */
  private mayLongPoll(): boolean {
    if (this.opts.waitMs === 0) return false;
    if (this.opts.maxConcurrentFetches >= this.rotation.length) return true;
    return this.rotation.every((s) => s.caughtUp);
  }

  /** The next bucket due for a fetch, round-robin, or the time to wait for one. */
  private pick(nowMs: number): BucketState | number | 'finished' {
    if (this.rotation.every(LogScanner.finished)) return 'finished';
    const longPoll = this.mayLongPoll();
    let soonest = Infinity;
    for (let i = 0; i < this.rotation.length; i++) {
      const s = this.rotation.shift()!;
      this.rotation.push(s);
      if (s.busy || LogScanner.finished(s)) continue;
      if (s.phase === 'log' && s.caughtUp && !longPoll) {
        const due = s.lastPollMs + this.opts.idlePollMs;
        if (due > nowMs) {
          soonest = Math.min(soonest, due - nowMs);
          continue;
        }
      }
      return s;
    }
    return Number.isFinite(soonest) ? soonest : this.opts.idlePollMs;
  }

  private async worker(): Promise<void> {
    try {
      while (!this.halted) {
        if (this.bufferedRecords >= this.opts.maxBufferedRecords) {
          await new Promise<void>((resolve) => this.producerWakes.push(resolve));
          continue;
        }
        const picked = this.pick(Date.now());
        if (picked === 'finished') {
          this.ended = true;
          this.wakeConsumer();
          this.wakeProducers();
          return;
        }
        if (typeof picked === 'number') {
          await sleep(Math.max(1, picked), this.abort.signal);
          continue;
        }
        picked.busy = true;
        try {
          if (picked.phase === 'snapshot') await this.readSnapshotPage(picked);
          else await this.fetchLog(picked);
        } finally {
          picked.busy = false;
          picked.lastPollMs = Date.now();
        }
      }
    } catch (e) {
      this.fail(e);
    }
  }

  private async readSnapshotPage(s: BucketState): Promise<void> {
    const body = await this.ctx.http.json({
      method: 'GET',
      path: this.ctx.path('buckets', s.bucket, 'rows'),
      query: { limit: this.opts.maxRecords ?? SCANNER_DEFAULTS.snapshotPageRows, after: s.cursor ?? undefined },
      idempotent: true,
      signal: this.abort.signal,
    });
    if (this.halted) return;
    const page = snapshotPageFromJson(s.bucket, body, this.columns);
    s.snapshotLogOffset = s.snapshotLogOffset === undefined || page.logOffset < s.snapshotLogOffset ? page.logOffset : s.snapshotLogOffset;
    s.cursor = page.cursor;
    const items: QueueItem[] = page.records.map((record) => ({ record }));
    if (page.cursor === null) {
      s.phase = 'log';
      s.offset = s.snapshotLogOffset;
      items.push({ bucket: s.bucket, position: s.offset });
    }
    this.push(items);
  }

  private async fetchLog(s: BucketState): Promise<void> {
    const waitMs = s.caughtUp && this.mayLongPoll() ? this.opts.waitMs : 0;
    const arrow = this.opts.format === 'arrow';
    let fetched;
    try {
      const reply = await this.ctx.http.send({
        method: 'GET',
        path: this.ctx.path('buckets', s.bucket, 'records'),
        query: {
          offset: s.offset,
          maxRecords: this.opts.maxRecords,
          maxBytes: this.opts.maxBytes,
          columns: this.projection,
          waitMs: waitMs > 0 ? waitMs : undefined,
        },
        accept: arrow ? ARROW_STREAM : JSON_TYPE,
        idempotent: true,
        extraTimeoutMs: waitMs,
        signal: this.abort.signal,
      });
      if (this.halted) return;
      if (arrow) {
        fetched = recordsFromArrow(s.bucket, reply.bytes, reply.headers);
      } else {
        fetched = recordsFromJson(s.bucket, parseJsonBody(reply, 'fetch'), this.columns);
      }
    } catch (e) {
      if (e instanceof LakestreamError && e.code === 'OFFSET_OUT_OF_RANGE' && this.opts.onOutOfRange !== 'error') {
        s.offset = await this.resetOffset(s.bucket, e);
        s.caughtUp = false;
        this.push([{ bucket: s.bucket, position: s.offset }]);
        return;
      }
      throw e;
    }
    const end = s.end;
    const items: QueueItem[] = fetched.records.filter((r) => r.offset >= s.offset && (end === undefined || r.offset < end)).map((record) => ({ record }));
    if (fetched.nextOffset > s.offset) s.offset = end !== undefined && fetched.nextOffset > end ? end : fetched.nextOffset;
    s.caughtUp = items.length === 0 && s.offset >= fetched.highWatermark;
    items.push({ bucket: s.bucket, position: s.offset });
    this.push(items);
  }

  private async resetOffset(bucket: number, e: LakestreamError): Promise<bigint> {
    const to = this.opts.onOutOfRange === 'latest' ? 'latest' : 'earliest';
    const hint = e.details?.[to];
    if (typeof hint === 'string' || typeof hint === 'number') {
      try {
        return BigInt(hint);
      } catch {
        // fall through to asking the server
      }
    }
    return this.offsetAt(bucket, to);
  }
}
