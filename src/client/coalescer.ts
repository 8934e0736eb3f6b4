import { LakestreamError } from '../common/errors.js';

/**
 * Coalesces many concurrent single-item calls into few batch calls, without any I/O of its own:
 *
 *   add(a) add(b) add(c)  --same turn / linger-->  dispatch([a, b, c]) -> [ra, rb, rc] -> each caller
 *
 * A batch goes out when `maxBatch` items are waiting or when the linger expires (linger 0: at the
 * end of the current turn of the event loop, so every call made in one turn shares a request). At
 * most `maxInFlight` dispatches run at once; further batches queue.
 */
export interface CoalescerOptions<I, O> {
  readonly maxBatch: number;
  readonly lingerMs: number;
  readonly maxInFlight: number;
  readonly dispatch: (items: I[]) => Promise<O[]>;
  /** Timer injection for tests; default setImmediate (0 ms) / setTimeout. */
  readonly schedule?: (fn: () => void, ms: number) => () => void;
}

interface Pending<I, O> {
  readonly item: I;
  readonly resolve: (value: O) => void;
  readonly reject: (error: unknown) => void;
}

export function defaultSchedule(fn: () => void, ms: number): () => void {
  if (ms <= 0) {
    const h = setImmediate(fn);
    return () => clearImmediate(h);
  }
  const h = setTimeout(fn, ms);
  return () => clearTimeout(h);
}

export class Coalescer<I, O> {
  private readonly opts: CoalescerOptions<I, O>;
  private pending: Pending<I, O>[] = [];
  private readonly queued: Pending<I, O>[][] = [];
  private cancelTimer: (() => void) | undefined;
  private inFlight = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(opts: CoalescerOptions<I, O>) {
    if (!Number.isInteger(opts.maxBatch) || opts.maxBatch < 1) throw new LakestreamError('INVALID_PARAMETER', 'maxBatch must be a positive integer');
    if (!Number.isInteger(opts.maxInFlight) || opts.maxInFlight < 1) throw new LakestreamError('INVALID_PARAMETER', 'maxInFlight must be a positive integer');
    if (!Number.isFinite(opts.lingerMs) || opts.lingerMs < 0) throw new LakestreamError('INVALID_PARAMETER', 'lingerMs must be >= 0');
    this.opts = opts;
  }

  add(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (this.pending.length >= this.opts.maxBatch) this.cut();
      else if (!this.cancelTimer) this.cancelTimer = (this.opts.schedule ?? defaultSchedule)(() => this.onTimer(), this.opts.lingerMs);
    });
  }

  /** Items waiting for a batch plus items in queued batches (not those in flight). */
  get waiting(): number {
    return this.pending.length + this.queued.reduce((n, b) => n + b.length, 0);
  }

  get dispatching(): number {
    return this.inFlight;
  }

  /** Sends what is waiting now and resolves when nothing is waiting or in flight. */
  async drain(): Promise<void> {
    this.onTimer();
    if (this.inFlight === 0 && this.queued.length === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private onTimer(): void {
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    while (this.pending.length > 0) this.cut();
  }

  /** Cuts one batch of at most maxBatch off the waiting items. */
  private cut(): void {
    const batch = this.pending.splice(0, this.opts.maxBatch);
    if (this.pending.length === 0) {
      this.cancelTimer?.();
      this.cancelTimer = undefined;
    }
    if (batch.length === 0) return;
    this.queued.push(batch);
    this.pump();
  }

  private pump(): void {
    while (this.inFlight < this.opts.maxInFlight && this.queued.length > 0) {
      const batch = this.queued.shift()!;
      this.inFlight++;
      void this.run(batch);
    }
    if (this.inFlight === 0 && this.queued.length === 0 && this.idleWaiters.length > 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  private async run(batch: Pending<I, O>[]): Promise<void> {
    try {
      const results = await this.opts.dispatch(batch.map((p) => p.item));
      if (results.length !== batch.length) {
        throw new LakestreamError('INTERNAL', `a batch of ${batch.length} items got ${results.length} results`);
      }
      batch.forEach((p, i) => p.resolve(results[i]!));
    } catch (e) {
      for (const p of batch) p.reject(e);
    } finally {
      this.inFlight--;
      this.pump();
    }
  }
}
