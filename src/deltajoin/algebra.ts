import type { ChangeType, Row, Value } from '../common/values.js';
import type { JoinPlan, Side, SidePlan } from './spec.js';
import { other } from './spec.js';

/**
 * The join algebra, pure: one change on one side plus the other side's matching rows (as a lookup
 * returned them) -> the join's output operations. No state: everything an operation needs is in the
 * change or in the lookup result.
 *
 *   -U            -> nothing (the +U of the same key follows and rewrites every pair)
 *   -D row        -> retract(side, row): "delete every joined row made from this side's key"
 *   +I/+U/+A row  -> upsert(row ⋈ m) for every current match m on the other side
 *
 * A join key is part of each side's primary key (spec.ts), so the pairs a key can ever form are
 * fixed; an upsert rewrites the pairs that exist now and a retract removes them all, whatever the
 * other side looked like when they were written. docs/DELTA_JOIN.md argues convergence.
 */
export type JoinOp =
  | { readonly kind: 'upsert'; readonly row: Row }
  | { readonly kind: 'retract'; readonly side: Side; readonly row: Row };

const sidePlan = (plan: JoinPlan, side: Side): SidePlan => (side === 'left' ? plan.left : plan.right);

/** The other side's join column paired with `column` of `side`. */
function partner(plan: JoinPlan, side: Side, column: string): string {
  const p = plan.on.find((x) => (side === 'left' ? x.left : x.right) === column)!;
  return side === 'left' ? p.right : p.left;
}

/** Canonical text of some values, for maps keyed by row keys (bigint and bytes included). */
export function valuesKey(values: readonly Value[]): string {
  let s = '';
  for (const v of values) {
    if (v === null) s += 'z|';
    else if (typeof v === 'bigint') s += `n${v}|`;
    else if (typeof v === 'number') s += `d${v}|`;
    else if (typeof v === 'string') s += `s${v.length}:${v}|`;
    else if (typeof v === 'boolean') s += v ? 't|' : 'f|';
    else s += `b${Buffer.from(v).toString('base64')}|`;
  }
  return s;
}

function sameValue(a: Value | undefined, b: Value | undefined): boolean {
  if (a instanceof Uint8Array && b instanceof Uint8Array) return Buffer.from(a).equals(Buffer.from(b));
  return a === b;
}

/**
 * What to look up on the other side for a row of `side`: the other side's primary key (point
 * lookup) or its bucket key (prefix lookup), valued from this row's join columns.
 */
export function probeOf(plan: JoinPlan, side: Side, row: Row): Row {
  const target = sidePlan(plan, other(side));
  const names = target.access === 'lookup' ? target.primaryKey : target.bucketKey;
  const probe: Row = {};
  for (const n of names) probe[n] = row[partner(plan, other(side), n)] ?? null;
  return probe;
}

/** Text of a probe, to look each distinct probe up once per batch. */
export function probeKey(plan: JoinPlan, side: Side, probe: Row): string {
  const target = sidePlan(plan, other(side));
  const names = target.access === 'lookup' ? target.primaryKey : target.bucketKey;
  return valuesKey(names.map((n) => probe[n] ?? null));
}

/** Whether the join condition holds. A null join value matches nothing (SQL equality). */
export function matches(plan: JoinPlan, left: Row, right: Row): boolean {
  for (const p of plan.on) {
    const a = left[p.left];
    if (a === null || a === undefined || !sameValue(a, right[p.right])) return false;
  }
  return true;
}

/** The joined row, over the plan's output columns. */
export function joinRow(plan: JoinPlan, left: Row, right: Row): Row {
  const out: Row = {};
  for (const o of plan.output) out[o.name] = (o.side === 'left' ? left : right)[o.column.name] ?? null;
  return out;
}

/** The output operations of one change, given the other side's current rows for its probe. */
export function changeOps(plan: JoinPlan, side: Side, type: ChangeType, row: Row, candidates: readonly Row[]): JoinOp[] {
  switch (type) {
    case '-U':
      return [];
    case '-D':
      return [{ kind: 'retract', side, row }];
    case '+I': case '+U': case '+A': {
      const ops: JoinOp[] = [];
      for (const c of candidates) {
        const [l, r] = side === 'left' ? [row, c] : [c, row];
        if (matches(plan, l, r)) ops.push({ kind: 'upsert', row: joinRow(plan, l, r) });
      }
      return ops;
    }
  }
}

/** Whether a change needs the other side looked up. */
export function needsLookup(type: ChangeType): boolean {
  return type === '+I' || type === '+U' || type === '+A';
}

/** The values a retract of `row` names, by output column (what an `emit` delete carries). */
export function retractKey(plan: JoinPlan, side: Side, row: Row): Row {
  const own = sidePlan(plan, side);
  const out: Row = {};
  own.primaryKey.forEach((k, i) => {
    out[plan.sideKeyOutput[side][i]!] = row[k] ?? null;
  });
  return out;
}

/** The key text of an output row (its output-key columns). */
export function outputKeyOf(plan: JoinPlan, row: Row): string {
  return valuesKey(plan.outputKey.map((n) => row[n] ?? null));
}

/**
 * An in-memory sink that applies join operations the way any consumer of the `emit` form must:
 * upsert by output key; a retract deletes every row whose source-side key columns equal the
 * retracted row's. Needs all of both sides' key columns in the output (true without a sink).
 */
export function applyOps(plan: JoinPlan, sink: Map<string, Row>, ops: Iterable<JoinOp>): void {
  for (const op of ops) {
    if (op.kind === 'upsert') {
      sink.set(outputKeyOf(plan, op.row), op.row);
      continue;
    }
    const key = retractKey(plan, op.side, op.row);
    const names = Object.keys(key);
    for (const [k, r] of sink) if (names.every((n) => sameValue(r[n], key[n]))) sink.delete(k);
  }
}

/** left ⋈ right, naively (nested loop), keyed like applyOps. For tests and the benchmark's check. */
export function naiveJoin(plan: JoinPlan, left: Iterable<Row>, right: Iterable<Row>): Map<string, Row> {
  const rights = [...right];
  const out = new Map<string, Row>();
  for (const l of left) {
    for (const r of rights) {
      if (!matches(plan, l, r)) continue;
      const j = joinRow(plan, l, r);
      out.set(outputKeyOf(plan, j), j);
    }
  }
  return out;
}

/** The primary key text of a source row. */
export function sourceKeyOf(plan: JoinPlan, side: Side, row: Row): string {
  return valuesKey(sidePlan(plan, side).primaryKey.map((k) => row[k] ?? null));
}

/**
 * The output columns a row of `side` alone determines, with their values: its own primary-key
 * columns and the other side's join columns (equal to its partners). A joined row made from this
 * source row has exactly these values.
 */
export function knownOutputValues(plan: JoinPlan, side: Side, row: Row): Row {
  const own = sidePlan(plan, side);
  const out: Row = {};
  for (const o of plan.output) {
    if (o.side === side) {
      if (own.primaryKey.includes(o.column.name)) out[o.name] = row[o.column.name] ?? null;
    } else if (plan.on.some((p) => (o.side === 'left' ? p.left : p.right) === o.column.name)) {
      out[o.name] = row[partner(plan, o.side, o.column.name)] ?? null;
    }
  }
  return out;
}

/** Whether an output row was made from this source-side row (its key values agree). */
export function madeFrom(plan: JoinPlan, side: Side, sourceRow: Row, outputRow: Row): boolean {
  const known = knownOutputValues(plan, side, sourceRow);
  for (const n of Object.keys(known)) if (!sameValue(outputRow[n], known[n])) return false;
  return true;
}

/** `pair` retract: the one output key the deleted row was joined under (values of plan.outputKey). */
export function pairKeyOf(plan: JoinPlan, side: Side, row: Row): Row {
  const known = knownOutputValues(plan, side, row);
  const key: Row = {};
  for (const n of plan.outputKey) key[n] = known[n] ?? null;
  return key;
}

/** `lookup` retract: the output keys of the deleted row joined with the other side's current matches. */
export function lookupRetractKeys(plan: JoinPlan, side: Side, row: Row, candidates: readonly Row[]): Row[] {
  const keys: Row[] = [];
  for (const c of candidates) {
    const [l, r] = side === 'left' ? [row, c] : [c, row];
    if (!matches(plan, l, r)) continue;
    const j = joinRow(plan, l, r);
    const key: Row = {};
    for (const n of plan.outputKey) key[n] = j[n] ?? null;
    keys.push(key);
  }
  return keys;
}
