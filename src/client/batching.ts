import { LakestreamError } from '../common/errors.js';
import type { Row } from '../common/values.js';
import { estimateRowBytes } from './rows.js';
import { idempotenceHeaders, WriterSequencer } from './sequence.js';
import type { WriteResult } from './wire.js';

/**
 * The pipeline under AppendWriter and UpsertWriter:
 *
 *   add(row) -> open batch (one kind) --full/linger/kind switch--> sealed: bytes + (writer id, seq)
 *            -> queue -> at most maxInFlight sends -> ack each row, or reject each row
 *
 * A batch is encoded once when sealed; retries (inside `transport`) re-send those bytes under the
 * same pair. Failures are also remembered and reported by the next `flush()`, so rows fired without
 * awaiting are never lost in silence.
 */
export interface BatchingOptions {
  /** Rows per request at most. */
  readonly batchRows?: number;
  /** Estimated bytes per request before it is sealed. */
  readonly batchBytes?: number;
  /** How long an open batch waits for more rows; 0 = until the current turn of the event loop ends. */
  readonly lingerMs?: number;
  /** Requests in flight at most; more sealed batches wait their turn. */
  readonly maxInFlight?: number;
  /** Request body encoding; Arrow IPC unless told otherwise. */
  readonly format?: 'arrow' | 'json';
}

export type ResolvedBatchingOptions = Required<BatchingOptions>;

/** Limits on what a caller may ask: the server refuses larger requests anyway. */
export const BATCH_ROWS_MAX = 1_000_000;
export const BATCH_BYTES_MAX = 256 * 1024 * 1024;
export const MAX_IN_FLIGHT_MAX = 64;
export const LINGER_MS_MAX = 60_000;

export function batchingOptions(opts: BatchingOptions = {}): ResolvedBatchingOptions {
  const o: ResolvedBatchingOptions = {
    batchRows: opts.batchRows ?? 10_000,
    batchBytes: opts.batchBytes ?? 4 * 1024 * 1024,
    lingerMs: opts.lingerMs ?? 20,
    maxInFlight: opts.maxInFlight ?? 4,
    format: opts.format ?? 'arrow',
  };
  const check = (ok: boolean, what: string): void => {
    if (!ok) throw new LakestreamError('INVALID_PARAMETER', what);
  };
  check(Number.isInteger(o.batchRows) && o.batchRows >= 1 && o.batchRows <= BATCH_ROWS_MAX, `batchRows must be an integer from 1 to ${BATCH_ROWS_MAX}`);
  check(Number.isInteger(o.batchBytes) && o.batchBytes >= 1 && o.batchBytes <= BATCH_BYTES_MAX, `batchBytes must be an integer from 1 to ${BATCH_BYTES_MAX}`);
  check(Number.isFinite(o.lingerMs) && o.lingerMs >= 0 && o.lingerMs <= LINGER_MS_MAX, `lingerMs must be from 0 to ${LINGER_MS_MAX}`);
  check(Number.isInteger(o.maxInFlight) && o.maxInFlight >= 1 && o.maxInFlight <= MAX_IN_FLIGHT_MAX, `maxInFlight must be an integer from 1 to ${MAX_IN_FLIGHT_MAX}`);
  check(o.format === 'arrow' || o.format === 'json', "format must be 'arrow' or 'json'");
  return Object.freeze(o);
}

export interface EncodedBatch {
  readonly body: Uint8Array | string;
  readonly contentType: string;
}

export interface SealedBatch<K extends string> extends EncodedBatch {
  readonly kind: K;
  readonly rowCount: number;
  readonly writerId: bigint;
  readonly sequence: number;
  /** `x-writer-id` and `x-batch-sequence`, fixed for every attempt of this batch. */
  readonly headers: Readonly<Record<string, string>>;
}

export interface BatchPipelineDeps<K extends string, A> {
  readonly options: ResolvedBatchingOptions;
  readonly encode: (kind: K, rows: readonly Row[]) => EncodedBatch;
  /** Sends one sealed batch, retrying as it sees fit with the same bytes and headers. */
  readonly transport: (batch: SealedBatch<K>) => Promise<WriteResult>;
  /** The value a row's promise resolves with, from the batch's reply and the row's place in it. */
  readonly ack: (result: WriteResult, index: number, rowCount: number) => A;
  readonly sequencer?: WriterSequencer;
}

interface Waiter<A> {
  resolve(value: A): void;
  reject(error: unknown): void;
}

interface OpenBatch<K extends string, A> {
  readonly kind: K;
  readonly rows: Row[];
  readonly waiters: Waiter<A>[];
  bytes: number;
}

interface QueuedBatch<K extends string, A> {
  readonly sealed: SealedBatch<K>;
  readonly waiters: Waiter<A>[];
  readonly done: () => void;
}

const noop = (): void => {};

export class BatchPipeline<K extends string, A> {
  private readonly deps: BatchPipelineDeps<K, A>;
  private readonly sequencer: WriterSequencer;
  private open: OpenBatch<K, A> | undefined;
  private timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  private readonly queue: QueuedBatch<K, A>[] = [];
  private inFlight = 0;
  private inFlightRows = 0;
  private readonly outstanding = new Set<Promise<void>>();
  private failures: unknown[] = [];
  private readyWaiters: (() => void)[] = [];
  private closed = false;

  constructor(deps: BatchPipelineDeps<K, A>) {
    this.deps = deps;
    this.sequencer = deps.sequencer ?? new WriterSequencer();
  }

  /** The writer id the next sealed batch carries. */
  get writerId(): bigint {
    return this.sequencer.writerId;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Rows buffered or in flight, not yet acknowledged. */
  get pendingRows(): number {
    let n = this.open?.rows.length ?? 0;
    for (const q of this.queue) n += q.sealed.rowCount;
    return n + this.inFlightRows;
  }

  /**
   * Adds a row (already converted) to the open batch of its kind; the promise settles when the
   * server acknowledges the row's batch. The promise is pre-handled, so callers may ignore it: a
   * failure is then reported by `flush()`.
   */
  add(kind: K, makeRow: () => Row): Promise<A> {
    let row: Row;
    try {
      if (this.closed) throw new LakestreamError('UNSUPPORTED_OPERATION', 'the writer is closed');
      row = makeRow();
    } catch (e) {
      this.failures.push(e);
      return handled(Promise.reject(e));
    }
    return this.addRow(kind, row);
  }

  /**
   * Adds a row the caller has converted already (and so could refuse before anything was batched);
   * otherwise as `add`.
   */
  addRow(kind: K, row: Row): Promise<A> {
    if (this.closed) throw new LakestreamError('UNSUPPORTED_OPERATION', 'the writer is closed');
    if (this.open && this.open.kind !== kind) this.seal();
    if (!this.open) this.open = { kind, rows: [], waiters: [], bytes: 0 };
    const batch = this.open;
    const promise = new Promise<A>((resolve, reject) => batch.waiters.push({ resolve, reject }));
    batch.rows.push(row);
    batch.bytes += estimateRowBytes(row);
    const { batchRows, batchBytes, lingerMs } = this.deps.options;
    if (batch.rows.length >= batchRows || batch.bytes >= batchBytes) this.seal();
    else if (this.timer === undefined) {
      this.timer = lingerMs === 0 ? setImmediate(() => this.onLinger()) : setTimeout(() => this.onLinger(), lingerMs);
    }
    return handled(promise);
  }

  /** Resolves when no sealed batch is waiting for a send slot: the moment to add more. */
  ready(): Promise<void> {
    if (this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.readyWaiters.push(resolve));
  }

  /**
   * Sends the open batch and waits for every batch sealed so far. Rejects with the first failure
   * since the previous flush (rows that were refused or could not be sent), if any.
   */
  async flush(): Promise<void> {
    this.seal();
    await Promise.all([...this.outstanding]);
    const failures = this.failures;
    this.failures = [];
    if (failures.length === 0) return;
    const first = failures[0];
    if (failures.length > 1 && first instanceof LakestreamError) {
      const more = `${failures.length - 1} more failure(s) since the last flush`;
      throw new LakestreamError(first.code, `${first.message} (and ${more})`, { ...(first.details ?? {}), failuresSinceFlush: failures.length });
    }
    throw first;
  }

  /** Flushes, then refuses further rows. */
  async close(): Promise<void> {
    if (this.closed) return this.flush();
    try {
      await this.flush();
    } finally {
      this.closed = true;
    }
  }

  private onLinger(): void {
    this.timer = undefined;
    this.seal();
  }

  private clearTimer(): void {
    if (this.timer === undefined) return;
    clearTimeout(this.timer as NodeJS.Timeout);
    clearImmediate(this.timer as NodeJS.Immediate);
    this.timer = undefined;
  }

  private seal(): void {
    this.clearTimer();
    const batch = this.open;
    this.open = undefined;
    if (!batch || batch.rows.length === 0) return;
    let encoded: EncodedBatch;
    try {
      encoded = this.deps.encode(batch.kind, batch.rows);
    } catch (e) {
      this.failures.push(e);
      for (const w of batch.waiters) w.reject(e);
      return;
    }
    const { writerId, sequence } = this.sequencer.next();
    const sealed: SealedBatch<K> = {
      ...encoded,
      kind: batch.kind,
      rowCount: batch.rows.length,
      writerId,
      sequence,
      headers: idempotenceHeaders(writerId, sequence),
    };
    let done = noop;
    const settled = new Promise<void>((resolve) => { done = resolve; });
    this.outstanding.add(settled);
    void settled.then(() => this.outstanding.delete(settled));
    this.queue.push({ sealed, waiters: batch.waiters, done });
    this.pump();
  }

  private pump(): void {
    while (this.inFlight < this.deps.options.maxInFlight && this.queue.length > 0) {
      const next = this.queue.shift()!;
      this.inFlight++;
      this.inFlightRows += next.sealed.rowCount;
      void this.dispatch(next);
    }
    if (this.queue.length === 0 && this.readyWaiters.length > 0) {
      const waiters = this.readyWaiters;
      this.readyWaiters = [];
      for (const w of waiters) w();
    }
  }

  private async dispatch(q: QueuedBatch<K, A>): Promise<void> {
    try {
      const result = await this.deps.transport(q.sealed);
      q.waiters.forEach((w, i) => w.resolve(this.deps.ack(result, i, q.sealed.rowCount)));
    } catch (e) {
      this.failures.push(e);
      // The sequence of a batch that failed for good is a hole: continue under a fresh writer id.
      if (this.sequencer.writerId === q.sealed.writerId) this.sequencer.rotate();
      for (const w of q.waiters) w.reject(e);
    } finally {
      this.inFlight--;
      this.inFlightRows -= q.sealed.rowCount;
      q.done();
      this.pump();
    }
  }
}

function handled<T>(p: Promise<T>): Promise<T> {
  p.catch(noop);
  return p;
}
