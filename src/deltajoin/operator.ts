import { Readable } from 'node:stream';
import type { LookuperOptions, Row, ScannerOptions, Table } from '../client/index.js';
import { LakestreamError } from '../common/errors.js';
import type { JoinOp } from './algebra.js';
import { changeOps, needsLookup, probeKey, probeOf, retractKey } from './algebra.js';
import { MergedChangelog } from './source.js';
import type { JoinPair, JoinPlan, Side } from './spec.js';
import { other, parseOn, planJoin } from './spec.js';

/**
 * The delta-join operator: reads both changelogs, and for each change looks up the other side's
 * current matching rows (lookup or prefix lookup, coalesced into batch requests) and emits join
 * operations (algebra.ts). It keeps no per-key join state: memory is bounded by the batch size,
 * the scanners' buffers and one prepared batch, whatever the size of the tables.
 *
 *   scanners --merged, bounded--> take batch --settle--> lookups (distinct probes, pipelined)
 *            --> ops in change order --> consumer (sink or iterator), one batch prepared ahead
 *
 * Output order is change order (the order items were taken); the lookups of a batch are all sent
 * after its last change was read. Both are what docs/DELTA_JOIN.md's argument relies on.
 */
export type DeltaJoinStart =
  | 'full'
  | 'earliest'
  | 'latest'
  | { readonly left: Readonly<Record<number, bigint | number | string>>; readonly right: Readonly<Record<number, bigint | number | string>> };

export interface DeltaJoinOptions {
  readonly left: Table;
  readonly right: Table;
  /** `customer_id` or `customer_id=id,region=region`, or the pairs. */
  readonly on: string | readonly JoinPair[];
  /** The sink table: checked at start (columns, key, how deletes find their rows). */
  readonly into?: Table;
  /** Default `full`: each side's current rows, then its changelog. */
  readonly from?: DeltaJoinStart;
  /** Changes per batch at most. */
  readonly maxBatchChanges?: number;
  /**
   * Wait between reading a batch and looking its matches up. The server makes a change readable in
   * the changelog (fsync) a moment before its lookups see it (index commit); this covers that gap.
   */
  readonly settleMs?: number;
  readonly lookup?: LookuperOptions;
  /** Passed to both scanners (e.g. waitMs, maxBufferedRecords). */
  readonly scanner?: Omit<ScannerOptions, 'from' | 'columns' | 'buckets'>;
}

export const DELTA_JOIN_DEFAULTS = Object.freeze({
  maxBatchChanges: 4096,
  settleMs: 10,
  /** Scanner buffers and the merged queue, in records, per side. */
  bufferedRecords: 8192,
});

/** One batch of changes joined: the operations in change order and where to resume after them. */
export interface JoinBatch {
  readonly ops: readonly JoinOp[];
  readonly changes: Readonly<Record<Side, number>>;
  /** Distinct lookups sent for this batch. */
  readonly lookups: number;
  /** Resume offsets once this batch is applied (undefined during a `full` start's snapshot). */
  readonly positions: Readonly<Record<Side, Record<number, bigint> | undefined>>;
}

/** An output change in the `emit` form: `+U` a joined row, or `-D` with one side's key columns. */
export interface JoinedChange {
  readonly type: '+U' | '-D';
  readonly row: Row;
}

export interface DeltaJoinStats {
  changesIn: Record<Side, number>;
  opsOut: number;
  lookups: number;
  batches: number;
}

export class DeltaJoin implements AsyncIterable<JoinedChange> {
  readonly plan: JoinPlan;
  readonly tables: Readonly<Record<Side, Table>>;
  readonly stats: DeltaJoinStats = { changesIn: { left: 0, right: 0 }, opsOut: 0, lookups: 0, batches: 0 };
  private readonly source: MergedChangelog;
  private readonly lookupFns: Record<Side, (probe: Row) => Promise<Row[]>>;
  private readonly closers: (() => Promise<void>)[] = [];
  private readonly maxBatch: number;
  private readonly settleMs: number;
  private iterating = false;
  private stopped = false;

  constructor(opts: DeltaJoinOptions) {
    const on = typeof opts.on === 'string' ? parseOn(opts.on) : opts.on;
    const shape = (t: Table) => ({ ...t.description, database: t.database, name: t.name });
    this.plan = planJoin({ left: shape(opts.left), right: shape(opts.right), on, ...(opts.into ? { sink: shape(opts.into) } : {}) });
    this.tables = { left: opts.left, right: opts.right };
    this.maxBatch = opts.maxBatchChanges ?? DELTA_JOIN_DEFAULTS.maxBatchChanges;
    this.settleMs = opts.settleMs ?? DELTA_JOIN_DEFAULTS.settleMs;
    if (!Number.isInteger(this.maxBatch) || this.maxBatch < 1) throw new LakestreamError('INVALID_PARAMETER', 'maxBatchChanges must be a positive integer');
    if (!Number.isFinite(this.settleMs) || this.settleMs < 0) throw new LakestreamError('INVALID_PARAMETER', 'settleMs must be >= 0');
    const from = opts.from ?? 'full';
    const scanOpts = (side: Side): ScannerOptions => ({
      maxBufferedRecords: DELTA_JOIN_DEFAULTS.bufferedRecords,
      ...opts.scanner,
      from: typeof from === 'string' ? from : { offsets: from[side] },
    });
    const lookupFor = (side: Side): ((probe: Row) => Promise<Row[]>) => {
      const t = this.tables[side];
      const lookupOpts: LookuperOptions = { maxBatchKeys: 2000, maxInFlight: 8, ...opts.lookup };
      if ((side === 'left' ? this.plan.left : this.plan.right).access === 'lookup') {
        const l = t.lookuper(lookupOpts);
        this.closers.push(() => l.close());
        return async (probe) => {
          const r = await l.lookup(probe);
          return r ? [r] : [];
        };
      }
      const p = t.prefixLookuper(lookupOpts);
      this.closers.push(() => p.close());
      return (probe) => p.lookup(probe);
    };
    this.lookupFns = { left: lookupFor('left'), right: lookupFor('right') };
    this.source = new MergedChangelog({ left: opts.left.scanner(scanOpts('left')), right: opts.right.scanner(scanOpts('right')) }, DELTA_JOIN_DEFAULTS.bufferedRecords);
  }

  /** Looks up `side` by a probe (for sinks that retract by lookup). */
  lookupSide(side: Side, probe: Row): Promise<Row[]> {
    return this.lookupFns[side](probe);
  }

  /**
   * The joined batches, one prepared ahead of the consumer (its lookups run while the previous
   * batch is being applied). Ends after stop(); a scanner or lookup failure rejects.
   */
  async *batches(): AsyncGenerator<JoinBatch> {
    if (this.iterating) throw new LakestreamError('UNSUPPORTED_OPERATION', 'a delta join is read once');
    this.iterating = true;
    try {
      let next = this.prepare();
      for (;;) {
        const batch = await next;
        if (!batch) return;
        next = this.prepare();
        next.catch(() => {});
        yield batch;
      }
    } finally {
      this.stop();
    }
  }

  private async prepare(): Promise<JoinBatch | undefined> {
    const taken = await this.source.take(this.maxBatch);
    if (!taken) return undefined;
    if (this.settleMs > 0) await new Promise((r) => setTimeout(r, this.settleMs));
    const probes: Record<Side, Map<string, Promise<Row[]>>> = { left: new Map(), right: new Map() };
    const wanted: (Promise<Row[]> | undefined)[] = taken.items.map(({ side, record }) => {
      if (!needsLookup(record.changeType)) return undefined;
      const target = other(side);
      const probe = probeOf(this.plan, side, record.row);
      const key = probeKey(this.plan, side, probe);
      let p = probes[target].get(key);
      if (!p) {
        p = this.lookupFns[target](probe);
        p.catch(() => {});
        probes[target].set(key, p);
      }
      return p;
    });
    const found = await Promise.all(wanted);
    const ops: JoinOp[] = [];
    const changes = { left: 0, right: 0 };
    taken.items.forEach(({ side, record }, i) => {
      changes[side]++;
      for (const op of changeOps(this.plan, side, record.changeType, record.row, found[i] ?? [])) ops.push(op);
    });
    const lookups = probes.left.size + probes.right.size;
    this.stats.changesIn.left += changes.left;
    this.stats.changesIn.right += changes.right;
    this.stats.opsOut += ops.length;
    this.stats.lookups += lookups;
    this.stats.batches++;
    return { ops, changes, lookups, positions: taken.positions };
  }

  /** The output as `emit`-form changes (see JoinedChange), in order. */
  async *[Symbol.asyncIterator](): AsyncIterator<JoinedChange> {
    for await (const batch of this.batches()) {
      for (const op of batch.ops) {
        yield op.kind === 'upsert' ? { type: '+U', row: op.row } : { type: '-D', row: retractKey(this.plan, op.side, op.row) };
      }
    }
  }

  /** An object-mode Readable of JoinedChange; destroy() stops the join. */
  toReadable(highWaterMark = 1024): Readable {
    const r = Readable.from(this, { objectMode: true, highWaterMark });
    r.once('close', () => this.stop());
    return r;
  }

  /**
   * Resume offsets of every change taken from the changelogs so far. Once batches() has ended (after
   * stop()), every taken change was handed out, so these are the offsets to save.
   */
  positions(): Readonly<Record<Side, Record<number, bigint> | undefined>> {
    return { left: this.source.positionsOf('left'), right: this.source.positionsOf('right') };
  }

  /** Items read from the changelogs and not yet joined. */
  get queued(): number {
    return this.source.queued;
  }

  /** Stops reading; batches() ends after the batch in hand. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.source.stop();
  }

  /** Stops and drains the lookupers. */
  async close(): Promise<void> {
    this.stop();
    await Promise.allSettled(this.closers.map((c) => c()));
  }
}

export function deltaJoin(opts: DeltaJoinOptions): DeltaJoin {
  return new DeltaJoin(opts);
}
