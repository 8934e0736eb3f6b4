import type { PrefixLookuper, Row, Table, UpsertWriter } from '../client/index.js';
import { LakestreamError } from '../common/errors.js';
import type { JoinOp } from './algebra.js';
import { knownOutputValues, lookupRetractKeys, madeFrom, outputKeyOf, pairKeyOf, probeKey, probeOf, valuesKey } from './algebra.js';
import type { DeltaJoin, JoinBatch } from './operator.js';
import type { JoinPlan } from './spec.js';
import { other } from './spec.js';

/**
 * Applies joined batches to a primary-key sink table. Each batch becomes concrete upserts and
 * deletes by the sink's primary key, in change order, then is compacted to the last write per key
 * (writes to distinct keys commute) and written; the next batch is written only once this one is
 * acknowledged, so the sink sees the operations in order even though a batch's requests overlap.
 *
 * Retracts (a delete on one side) become deletes according to the plan (spec.ts RetractMode):
 *   pair         one delete, the key built from the deleted row;
 *   sink-prefix  the sink's rows under the deleted row's bucket-key prefix, read after the previous
 *                batch is acknowledged, plus this batch's own earlier upserts to that prefix;
 *   lookup       the other side's current matches, looked up after the delete was read.
 */
export interface SinkBatchResult {
  readonly upserts: number;
  readonly deletes: number;
  readonly lookups: number;
}

type Write = { readonly kind: 'upsert'; readonly row: Row } | { readonly kind: 'delete'; readonly key: Row };

export class JoinSink {
  private readonly plan: JoinPlan;
  private readonly writer: UpsertWriter;
  private readonly sinkPrefix: PrefixLookuper | undefined;
  private readonly sinkBucketKey: readonly string[];
  private closed = false;

  constructor(private readonly join: DeltaJoin, readonly table: Table) {
    const sink = join.plan.sink;
    if (!sink || sink.database !== table.database || sink.name !== table.name) {
      throw new LakestreamError('INVALID_PARAMETER', `the join was planned ${sink ? `into ${sink.database}.${sink.name}` : 'without a sink'}, not into ${table.database}.${table.name}`);
    }
    this.plan = join.plan;
    this.writer = table.upsertWriter({ lingerMs: 0, maxInFlight: 4 });
    const d = table.description;
    this.sinkBucketKey = d.bucketKey.length > 0 ? d.bucketKey : d.primaryKey;
    const needsPrefix = this.plan.retract.left === 'sink-prefix' || this.plan.retract.right === 'sink-prefix';
    this.sinkPrefix = needsPrefix ? table.prefixLookuper({ maxBatchKeys: 2000, maxInFlight: 8 }) : undefined;
  }

  /** Writes one batch and resolves when the sink acknowledged all of it. */
  async apply(batch: JoinBatch): Promise<SinkBatchResult> {
    if (this.closed) throw new LakestreamError('UNSUPPORTED_OPERATION', 'the join sink is closed');
    const plan = this.plan;
    let lookups = 0;
    // Reads a retract needs, all sent at once (the previous batch is acknowledged already).
    const groupRows = new Map<string, Promise<Row[]>>();
    const otherRows = new Map<string, Promise<Row[]>>();
    const reads: (Promise<Row[]> | undefined)[] = batch.ops.map((op) => {
      if (op.kind !== 'retract') return undefined;
      const mode = plan.retract[op.side];
      if (mode === 'sink-prefix') {
        const prefix = this.prefixOf(op);
        const k = valuesKey(this.sinkBucketKey.map((n) => prefix[n] ?? null));
        let p = groupRows.get(k);
        if (!p) {
          p = this.sinkPrefix!.lookup(prefix);
          p.catch(() => {});
          groupRows.set(k, p);
        }
        return p;
      }
      if (mode === 'lookup') {
        const probe = probeOf(plan, op.side, op.row);
        const k = `${op.side}|${probeKey(plan, op.side, probe)}`;
        let p = otherRows.get(k);
        if (!p) {
          p = this.join.lookupSide(other(op.side), probe);
          p.catch(() => {});
          otherRows.set(k, p);
        }
        return p;
      }
      return undefined;
    });
    const read = await Promise.all(reads);
    lookups = groupRows.size + otherRows.size;

    // Change order -> last write per sink key. `touched` lists this batch's keys per sink prefix.
    const last = new Map<string, Write>();
    const touched = new Map<string, Set<string>>();
    const prefixText = (row: Row): string => valuesKey(this.sinkBucketKey.map((n) => row[n] ?? null));
    const put = (w: Write): void => {
      const row = w.kind === 'upsert' ? w.row : w.key;
      const k = outputKeyOf(plan, row);
      last.set(k, w);
      if (this.sinkPrefix) {
        const g = prefixText(row);
        let s = touched.get(g);
        if (!s) touched.set(g, (s = new Set()));
        s.add(k);
      }
    };
    const keyOf = (row: Row): Row => Object.fromEntries(plan.outputKey.map((n) => [n, row[n] ?? null]));
    batch.ops.forEach((op, i) => {
      if (op.kind === 'upsert') return put({ kind: 'upsert', row: op.row });
      switch (plan.retract[op.side]) {
        case 'pair':
          return put({ kind: 'delete', key: pairKeyOf(plan, op.side, op.row) });
        case 'lookup':
          for (const key of lookupRetractKeys(plan, op.side, op.row, read[i]!)) put({ kind: 'delete', key });
          return;
        case 'sink-prefix': {
          const prefix = this.prefixOf(op);
          const g = prefixText(prefix);
          const stored = read[i]!;
          for (const r of stored) if (madeFrom(plan, op.side, op.row, r)) put({ kind: 'delete', key: keyOf(r) });
          for (const k of touched.get(g) ?? []) {
            const w = last.get(k)!;
            if (w.kind === 'upsert' && madeFrom(plan, op.side, op.row, w.row)) put({ kind: 'delete', key: keyOf(w.row) });
          }
          return;
        }
        case 'emit':
          throw new LakestreamError('INTERNAL', 'a sink got an emit-form retract');
      }
    });
    let upserts = 0;
    let deletes = 0;
    for (const w of last.values()) {
      if (w.kind !== 'delete') continue;
      deletes++;
      void this.writer.delete(w.key);
    }
    for (const w of last.values()) {
      if (w.kind !== 'upsert') continue;
      upserts++;
      void this.writer.upsert(w.row);
      if (this.writer.pendingRows >= 20_000) await this.writer.ready();
    }
    await this.writer.flush();
    return { upserts, deletes, lookups };
  }

  /** The sink bucket-key values a retract of `op.row` names. */
  private prefixOf(op: Extract<JoinOp, { kind: 'retract' }>): Row {
    const known = knownOutputValues(this.plan, op.side, op.row);
    const prefix: Row = {};
    for (const n of this.sinkBucketKey) prefix[n] = known[n] ?? null;
    return prefix;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.writer.close();
    } finally {
      await this.sinkPrefix?.close();
    }
  }
}

