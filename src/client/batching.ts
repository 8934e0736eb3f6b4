import { LakestreamError } from '../common/errors.js';
import type { RowInput } from './rows.js';
import { idempotenceHeaders, WriterSequencer } from './sequence.js';
import type { WriteResult } from './wire.js';

/**
 * The pipeline under AppendWriter and UpsertWriter:
 *
 *   add(row) -> open batch (one kind) --full/linger/kind switch--> sealed: bytes + (writer id, seq)
 *            -> queue -> at most maxInFlight sends -> the batch's reply settles every row's promise
 *
 * A row is converted into its open batch as it is added (an Arrow batch writes its values straight
 * into column buffers), and the batch is encoded once when sealed; retries (inside `transport`)
 * re-send those bytes under the same pair. Failures are also remembered and reported by the next
 * `flush()`, so rows fired without awaiting are never lost in silence.
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

/** The rows of one open batch, converted as they are added and encoded once, when it is sealed. */
export interface RowBatch {
  readonly rowCount: number;
  /** What the rows weigh in the request body, near enough for the `batchBytes` limit. */
  readonly byteLength: number;
  /** Converts a caller's row and appends it; throws, having added nothing, when it does not convert. */
  add(row: RowInput): void;
  encode(): EncodedBatch;
}

export interface BatchPipelineDeps<K extends string, A> {
  readonly options: ResolvedBatchingOptions;
  /** An empty batch for rows of one kind. */
  readonly newBatch: (kind: K) => RowBatch;
  /** Sends one sealed batch, retrying as it sees fit with the same bytes and headers. */
  readonly transport: (batch: SealedBatch<K>) => Promise<WriteResult>;
  /**
   * A row's promise, from its batch's reply and the row's place in the batch (whose `rowCount` is
   * final once it is sealed): the reply itself, or a promise derived from it that rejects only when
   * the reply does (the pipeline keeps a rejection of either from going unhandled).
   */
  readonly ack: (reply: Promise<WriteResult>, index: number, batch: RowBatch) => Promise<A>;
  readonly sequencer?: WriterSequencer;
}

const noop = (): void => {};

/**
 * The reply of one batch and its rows' promises. A row's promise is derived from the reply and left
 * without a handler while it waits: a handler would be two more objects for each of the tens of
 * thousands of rows in flight, each copied by every young-generation GC. Only when the batch fails
 * does each row's promise get one, before the reply rejects, so a row nobody awaits never raises an
 * unhandled rejection.
 */
class BatchReply {
  readonly promise: Promise<WriteResult>;
  private rows: Promise<unknown>[] = [];
  private settle!: { resolve(result: WriteResult): void; reject(error: unknown): void };

  constructor() {
    this.promise = handled(new Promise<WriteResult>((resolve, reject) => { this.settle = { resolve, reject }; }));
  }

  /** Keeps a row's promise (unless it is the reply, handled already) to handle it if the batch fails. */
  track(row: Promise<unknown>): void {
    if (row !== this.promise) this.rows.push(row);
  }

  resolve(result: WriteResult): void {
    this.rows = [];
    this.settle.resolve(result);
  }

  reject(error: unknown): void {
    for (const row of this.rows) row.catch(noop);
    this.rows = [];
    this.settle.reject(error);
  }
}

interface OpenBatch<K extends string> {
  readonly kind: K;
  readonly rows: RowBatch;
  readonly reply: BatchReply;
}

interface QueuedBatch<K extends string> {
  readonly sealed: SealedBatch<K>;
  readonly reply: BatchReply;
  readonly done: () => void;
}

export class BatchPipeline<K extends string, A> {
  private readonly deps: BatchPipelineDeps<K, A>;
  private readonly sequencer: WriterSequencer;
  private open: OpenBatch<K> | undefined;
  private timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  private readonly queue: QueuedBatch<K>[] = [];
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
    let n = this.open?.rows.rowCount ?? 0;
    for (const q of this.queue) n += q.sealed.rowCount;
    return n + this.inFlightRows;
  }

  /**
   * Converts a row into the open batch of its kind; the promise settles when the server
   * acknowledges the row's batch. The promise is pre-handled, so callers may ignore it: a failure,
   * a row that does not convert included, is then reported by `flush()`.
   */
  add(kind: K, row: RowInput): Promise<A> {
    try {
      return this.tryAdd(kind, row);
    } catch (e) {
      this.failures.push(e);
      return handled(Promise.reject(e));
    }
  }

  /**
   * As `add`, but a row that does not convert (or a closed writer) throws here, before anything is
   * batched, and is not reported by `flush()`.
   */
  tryAdd(kind: K, row: RowInput): Promise<A> {
    if (this.closed) throw new LakestreamError('UNSUPPORTED_OPERATION', 'the writer is closed');
    if (this.open && this.open.kind !== kind) this.seal();
    const batch = (this.open ??= { kind, rows: this.deps.newBatch(kind), reply: new BatchReply() });
    batch.rows.add(row);
    const promise = this.deps.ack(batch.reply.promise, batch.rows.rowCount - 1, batch.rows);
    batch.reply.track(promise);
    const { batchRows, batchBytes, lingerMs } = this.deps.options;
    if (batch.rows.rowCount >= batchRows || batch.rows.byteLength >= batchBytes) this.seal();
    else if (this.timer === undefined) {
      this.timer = lingerMs === 0 ? setImmediate(() => this.onLinger()) : setTimeout(() => this.onLinger(), lingerMs);
    }
    return promise;
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
    if (!batch || batch.rows.rowCount === 0) return;
    let encoded: EncodedBatch;
    try {
      encoded = batch.rows.encode();
    } catch (e) {
      this.failures.push(e);
      batch.reply.reject(e);
      return;
    }
    const { writerId, sequence } = this.sequencer.next();
    const sealed: SealedBatch<K> = {
      ...encoded,
      kind: batch.kind,
      rowCount: batch.rows.rowCount,
      writerId,
      sequence,
      headers: idempotenceHeaders(writerId, sequence),
    };
    let done = noop;
    const settled = new Promise<void>((resolve) => { done = resolve; });
    this.outstanding.add(settled);
    void settled.then(() => this.outstanding.delete(settled));
    this.queue.push({ sealed, reply: batch.reply, done });
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

  private async dispatch(q: QueuedBatch<K>): Promise<void> {
    try {
      q.reply.resolve(await this.deps.transport(q.sealed));
    } catch (e) {
      this.failures.push(e);
      // The sequence of a batch that failed for good is a hole: continue under a fresh writer id.
      if (this.sequencer.writerId === q.sealed.writerId) this.sequencer.rotate();
      q.reply.reject(e);
    } finally {
      this.inFlight--;
      this.inFlightRows -= q.sealed.rowCount;
      q.done();
      this.pump();
    }
  }
}

/** `p`, with a handler that keeps its rejection from being unhandled (the failure reaches `flush()`). */
function handled<T>(p: Promise<T>): Promise<T> {
  p.catch(noop);
  return p;
}
