/**
 * `TestingObjectStore` wraps a real store and injects the faults object storage has in the wild:
 * failed calls (the next N, or a seeded fraction), latency, and partial writes (a truncated object
 * is left behind, then the call throws, as when a writer dies mid-upload on a store without atomic
 * puts). Faults throw the same retriable LAKE_UNAVAILABLE the real adapters throw for an outage. Every call is
 * recorded in `calls` so tests can assert what the code under test did.
 */
import { LakestreamError } from '../common/errors.js';
import { seededRandom } from '../common/seeded-random.js';
import type { ListedObject, ObjectStore, PutOptions } from './object-store.js';

export type StoreOp = 'put' | 'get' | 'getRange' | 'head' | 'list' | 'delete' | 'check';
export const STORE_OPS: readonly StoreOp[] = ['put', 'get', 'getRange', 'head', 'list', 'delete', 'check'];

export interface TestingStoreOptions {
  /** Seed of the fault PRNG, so a failing run can be replayed. Default 1. */
  readonly seed?: number;
  /** Fraction (0..1) of calls to the listed ops that fail. Default 0. */
  readonly failureRate?: number;
  /** Ops `failureRate` applies to. Default all. */
  readonly failureOps?: readonly StoreOp[];
  /** Delay added before every call, ms. Default 0. */
  readonly latencyMs?: number;
}

export interface StoreCall {
  op: StoreOp;
  key: string;
  outcome: 'ok' | 'failed' | 'partial';
}

export class InjectedFault extends LakestreamError {
  constructor(op: StoreOp, key: string, what = 'injected failure') {
    super('LAKE_UNAVAILABLE', `${what}: ${op} ${key}`, { injected: true });
  }
}

export class TestingObjectStore implements ObjectStore {
  readonly inner: ObjectStore;
  readonly calls: StoreCall[] = [];
  private random: () => number;
  private failureRate: number;
  private failureOps: Set<StoreOp>;
  private latencyMs: number;
  private failNextCount = 0;
  private failNextOps: Set<StoreOp> = new Set(STORE_OPS);
  private partialNextCount = 0;
  private partialFraction = 0.5;
  /** Puts with `ifNoneMatch` behave like plain puts, as on s3rver and fauxqs. */
  ignoreIfNoneMatch = false;

  constructor(inner: ObjectStore, opts: TestingStoreOptions = {}) {
    this.inner = inner;
    this.random = seededRandom(opts.seed ?? 1);
    this.failureRate = opts.failureRate ?? 0;
    this.failureOps = new Set(opts.failureOps ?? STORE_OPS);
    this.latencyMs = opts.latencyMs ?? 0;
  }

  /** The next `count` calls to `ops` (default all ops) fail without touching the inner store. */
  failNext(count: number, ops: readonly StoreOp[] = STORE_OPS): this {
    this.failNextCount = count;
    this.failNextOps = new Set(ops);
    return this;
  }

  /** Fails a seeded fraction of calls to `ops` from now on (0 turns it off). */
  setFailureRate(rate: number, ops: readonly StoreOp[] = STORE_OPS): this {
    if (!(rate >= 0 && rate <= 1)) throw new RangeError(`failure rate must be in [0, 1], got ${rate}`);
    this.failureRate = rate;
    this.failureOps = new Set(ops);
    return this;
  }

  setLatency(ms: number): this {
    this.latencyMs = ms;
    return this;
  }

  /** The next `count` puts write only `fraction` of the body to the inner store, then throw. */
  partialWriteNext(count: number, fraction = 0.5): this {
    if (!(fraction >= 0 && fraction < 1)) throw new RangeError(`fraction must be in [0, 1), got ${fraction}`);
    this.partialNextCount = count;
    this.partialFraction = fraction;
    return this;
  }

  /** Clears every injected fault and the latency. */
  heal(): this {
    this.failNextCount = 0;
    this.partialNextCount = 0;
    this.failureRate = 0;
    this.latencyMs = 0;
    return this;
  }

  callsOf(op: StoreOp): StoreCall[] {
    return this.calls.filter((c) => c.op === op);
  }

  private async enter(op: StoreOp, key: string): Promise<void> {
    if (this.latencyMs > 0) await new Promise((r) => setTimeout(r, this.latencyMs));
    let failing = false;
    if (this.failNextCount > 0 && this.failNextOps.has(op)) {
      this.failNextCount--;
      failing = true;
    } else if (this.failureRate > 0 && this.failureOps.has(op) && this.random() < this.failureRate) {
      failing = true;
    }
    if (failing) {
      this.calls.push({ op, key, outcome: 'failed' });
      throw new InjectedFault(op, key);
    }
  }

  /** Runs the inner call (after `enter`) and records its outcome. */
  private async run<T>(op: StoreOp, key: string, fn: () => Promise<T>): Promise<T> {
    try {
      const out = await fn();
      this.calls.push({ op, key, outcome: 'ok' });
      return out;
    } catch (e) {
      this.calls.push({ op, key, outcome: 'failed' });
      throw e;
    }
  }

  async put(key: string, body: Uint8Array, opts: PutOptions = {}): Promise<{ created: boolean }> {
    await this.enter('put', key);
    const innerOpts = this.ignoreIfNoneMatch ? {} : opts;
    if (this.partialNextCount > 0) {
      this.partialNextCount--;
      const cut = Math.floor(body.length * this.partialFraction);
      await this.inner.put(key, body.subarray(0, cut), innerOpts);
      this.calls.push({ op: 'put', key, outcome: 'partial' });
      throw new InjectedFault('put', key, `injected partial write (${cut} of ${body.length} bytes)`);
    }
    return this.run('put', key, () => this.inner.put(key, body, innerOpts));
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    await this.enter('get', key);
    return this.run('get', key, () => this.inner.get(key));
  }

  async getRange(key: string, start: number, end: number): Promise<Uint8Array> {
    await this.enter('getRange', key);
    return this.run('getRange', key, () => this.inner.getRange(key, start, end));
  }

  async head(key: string): Promise<{ size: number } | undefined> {
    await this.enter('head', key);
    return this.run('head', key, () => this.inner.head(key));
  }

  async list(prefix: string): Promise<ListedObject[]> {
    await this.enter('list', prefix);
    return this.run('list', prefix, () => this.inner.list(prefix));
  }

  async delete(keys: readonly string[]): Promise<void> {
    await this.enter('delete', keys.join(','));
    return this.run('delete', keys.join(','), () => this.inner.delete(keys));
  }

  uri(key: string): string {
    return this.inner.uri(key);
  }

  async check(): Promise<void> {
    await this.enter('check', '');
    return this.run('check', '', () => this.inner.check());
  }
}
