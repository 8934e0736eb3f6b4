import { LakestreamError } from '../common/errors.js';
import type { TableDescription } from '../client/index.js';
import type { Column } from '../common/schema.js';

/**
 * Planning of a delta join (pure: table descriptions in, a frozen plan or a refusal out).
 *
 *   left ⋈ right  ON left.a1 = right.b1 AND ...   [INTO sink]
 *
 * A change on one side looks up the other side by its join columns, so each side's join columns
 * must be indexed there: the whole primary key (point lookup) or a set between the bucket key and
 * the primary key (prefix lookup by the bucket key, then a filter on the rest). Either way the join
 * columns are part of the primary key, so a row's join key never changes under the same primary key:
 * "moving" a row to another join key is a delete of one key and an insert of another. The algebra
 * (algebra.ts) and its convergence argument (docs/DELTA_JOIN.md) rest on that.
 *
 * Output columns: every left column by its name, then every right column by its name, except a right
 * join column with the same name as its left partner (same value: kept once) and a right column whose
 * name a left column already has, which is named `<right table>_<column>`. A sink takes its columns
 * from this list by name.
 */
export type Side = 'left' | 'right';

export type TableShape = Pick<TableDescription, 'database' | 'name' | 'kind' | 'columns' | 'primaryKey' | 'bucketKey'>;

/** One equality of the join condition: `left.left = right.right`. */
export interface JoinPair {
  readonly left: string;
  readonly right: string;
}

export interface SidePlan {
  readonly side: Side;
  readonly table: string;
  readonly columns: readonly Column[];
  readonly primaryKey: readonly string[];
  readonly bucketKey: readonly string[];
  /** This side's join columns, in the order of `on`. */
  readonly joinColumns: readonly string[];
  /** How a change on the OTHER side finds matching rows here. */
  readonly access: 'lookup' | 'prefix';
}

export interface OutputColumn {
  readonly name: string;
  readonly side: Side;
  readonly column: Column;
}

/**
 * How a delete on one side removes its joined rows from a sink:
 *  - `emit`: as a `-D` naming that side's key columns ("delete every row with these values"), for
 *    consumers that apply such deletes themselves (JSON lines, the in-memory test sink);
 *  - `pair`: the sink's primary key is known from the deleted row alone (the other side's key is
 *    made of join columns): one delete by primary key;
 *  - `sink-prefix`: read the sink's rows by its bucket key (made of columns the deleted row knows)
 *    and delete those that came from the deleted row;
 *  - `lookup`: look the other side up and delete the pairs found. Sound only when the other side's
 *    deletes are not `lookup` too (see docs/DELTA_JOIN.md), so a plan with two is refused.
 */
export type RetractMode = 'emit' | 'pair' | 'sink-prefix' | 'lookup';

export interface JoinPlan {
  readonly left: SidePlan;
  readonly right: SidePlan;
  readonly on: readonly JoinPair[];
  /** What a joined row carries (the sink's columns, when there is a sink). */
  readonly output: readonly OutputColumn[];
  /** Names of the output columns that identify a joined row (the sink's primary key, or both keys). */
  readonly outputKey: readonly string[];
  /** Per side: output names of that side's primary-key columns (what an `emit` delete carries). */
  readonly sideKeyOutput: Readonly<Record<Side, readonly string[]>>;
  readonly retract: Readonly<Record<Side, RetractMode>>;
  readonly sink: TableShape | undefined;
}

export const other = (s: Side): Side => (s === 'left' ? 'right' : 'left');

function refuse(message: string): never {
  throw new LakestreamError('UNSUPPORTED_OPERATION', message);
}

const qualified = (t: TableShape): string => `${t.database}.${t.name}`;
const list = (names: readonly string[]): string => `(${names.join(', ')})`;

/** Parses `a=b,c` (a bare name joins the same name on both sides). */
export function parseOn(text: string): JoinPair[] {
  const parts = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (parts.length === 0) throw new LakestreamError('INVALID_PARAMETER', `--on '${text}' names no columns; give e.g. customer_id or customer_id=id`);
  return parts.map((p) => {
    const [l, r, more] = p.split('=').map((s) => s.trim());
    if (more !== undefined || !l || (r !== undefined && r === '')) throw new LakestreamError('INVALID_PARAMETER', `--on: '${p}' is not 'column' or 'left_column=right_column'`);
    return { left: l, right: r ?? l };
  });
}

function bucketKeyOf(t: TableShape): readonly string[] {
  return t.bucketKey.length > 0 ? t.bucketKey : t.primaryKey;
}

function planSide(side: Side, t: TableShape, joinColumns: string[], otherTable: TableShape): SidePlan {
  const name = qualified(t);
  if (t.kind !== 'primary-key' || t.primaryKey.length === 0) {
    refuse(`${name} is a log table: a delta join looks each side up by key when the other side changes, so both sides must be primary-key tables`);
  }
  for (const c of joinColumns) {
    if (!t.columns.some((x) => x.name === c)) refuse(`${name} has no column '${c}' to join on; columns: ${t.columns.map((x) => x.name).join(', ')}`);
  }
  const bucketKey = bucketKeyOf(t);
  const joinSet = new Set(joinColumns);
  const pkSet = new Set(t.primaryKey);
  const inPk = joinColumns.every((c) => pkSet.has(c));
  const coversBucketKey = bucketKey.every((c) => joinSet.has(c));
  if (!inPk || !coversBucketKey) {
    refuse(
      `cannot join on ${list(joinColumns)} of ${name}: a change on ${qualified(otherTable)} must look ${name} up by ${list(joinColumns)}, ` +
      `but that is neither its primary key ${list(t.primaryKey)} nor a key prefix starting with its bucket key ${list(bucketKey)}. ` +
      `Create ${name} with the join columns first in its primary key and as its bucket key, e.g. primaryKey [${[...joinColumns, ...t.primaryKey.filter((c) => !joinSet.has(c))].join(', ')}], bucketKey [${joinColumns.join(', ')}]`,
    );
  }
  const access = joinSet.size === pkSet.size ? 'lookup' : 'prefix';
  return { side, table: name, columns: t.columns, primaryKey: t.primaryKey, bucketKey, joinColumns, access };
}

/** The output columns of a join without a sink (see the module comment). */
export function joinedColumns(left: TableShape, right: TableShape, on: readonly JoinPair[]): OutputColumn[] {
  const out: OutputColumn[] = left.columns.map((c) => ({ name: c.name, side: 'left', column: c }));
  const leftNames = new Set(left.columns.map((c) => c.name));
  for (const c of right.columns) {
    if (on.some((p) => p.right === c.name && p.left === c.name)) continue;
    out.push({ name: leftNames.has(c.name) ? `${right.name}_${c.name}` : c.name, side: 'right', column: c });
  }
  return out;
}

function partnerOf(on: readonly JoinPair[], side: Side, column: string): string | undefined {
  const p = on.find((x) => (side === 'left' ? x.left : x.right) === column);
  return p ? (side === 'left' ? p.right : p.left) : undefined;
}

/** Whether a row of `side` alone determines the value of output column `o` (its key or a join partner). */
function knownFrom(plan: { left: SidePlan; right: SidePlan; on: readonly JoinPair[] }, side: Side, o: OutputColumn): boolean {
  const own = side === 'left' ? plan.left : plan.right;
  if (o.side === side) return own.primaryKey.includes(o.column.name);
  return partnerOf(plan.on, o.side, o.column.name) !== undefined;
}

export function planJoin(input: { left: TableShape; right: TableShape; on: readonly JoinPair[]; sink?: TableShape }): JoinPlan {
  const { left: lt, right: rt, on, sink } = input;
  if (on.length === 0) refuse('a join needs at least one pair of join columns');
  const leftJoin = on.map((p) => p.left);
  const rightJoin = on.map((p) => p.right);
  if (new Set(leftJoin).size !== leftJoin.length || new Set(rightJoin).size !== rightJoin.length) refuse(`the join condition names a column twice: ${on.map((p) => `${p.left}=${p.right}`).join(', ')}`);
  const left = planSide('left', lt, leftJoin, rt);
  const right = planSide('right', rt, rightJoin, lt);
  for (const p of on) {
    const a = lt.columns.find((c) => c.name === p.left)!;
    const b = rt.columns.find((c) => c.name === p.right)!;
    if (a.type !== b.type) refuse(`cannot join ${left.table}.${a.name} (${a.type}) with ${right.table}.${b.name} (${b.type}): the types differ`);
  }
  const universal = joinedColumns(lt, rt, on);
  const base = { left, right, on };

  const outputNamesOf = (side: Side, cols: readonly OutputColumn[]): string[] => {
    const own = side === 'left' ? left : right;
    return own.primaryKey.map((k) => {
      const direct = cols.find((o) => o.side === side && o.column.name === k);
      if (direct) return direct.name;
      const partner = partnerOf(on, side, k)!;
      return cols.find((o) => o.side === other(side) && o.column.name === partner)!.name;
    });
  };

  if (!sink) {
    const outputKey = [...new Set([...outputNamesOf('left', universal), ...outputNamesOf('right', universal)])];
    return Object.freeze({
      ...base,
      output: universal,
      outputKey,
      sideKeyOutput: { left: outputNamesOf('left', universal), right: outputNamesOf('right', universal) },
      retract: { left: 'emit' as const, right: 'emit' as const },
      sink: undefined,
    });
  }

  const sinkName = qualified(sink);
  if (sink.kind !== 'primary-key' || sink.primaryKey.length === 0) refuse(`the sink ${sinkName} is a log table: joined rows are upserted and deleted by key, so the sink must be a primary-key table`);
  const output: OutputColumn[] = sink.columns.map((c) => {
    const src = universal.find((o) => o.name === c.name);
    if (!src) refuse(`sink column ${sinkName}.${c.name} is on neither side of the join; joined columns: ${universal.map((o) => o.name).join(', ')}`);
    if (src.column.type !== c.type) refuse(`sink column ${sinkName}.${c.name} is ${c.type} but ${src.side === 'left' ? left.table : right.table}.${src.column.name} is ${src.column.type}`);
    return { name: c.name, side: src.side, column: c };
  });
  const keyCols = sink.primaryKey.map((n) => output.find((o) => o.name === n)!);
  for (const o of keyCols) {
    const own = o.side === 'left' ? left : right;
    if (!own.primaryKey.includes(o.column.name)) {
      refuse(`sink ${sinkName} has '${o.name}' in its primary key, but ${own.table}.${o.column.name} is not a key column: a joined row's key must come from the two sides' primary keys`);
    }
  }
  const known = new Set(keyCols.map((o) => `${o.side}.${o.column.name}`));
  for (const p of on) {
    if (known.has(`left.${p.left}`) || known.has(`right.${p.right}`)) {
      known.add(`left.${p.left}`);
      known.add(`right.${p.right}`);
    }
  }
  const missing = [...left.primaryKey.filter((k) => !known.has(`left.${k}`)).map((k) => `${left.table}.${k}`), ...right.primaryKey.filter((k) => !known.has(`right.${k}`)).map((k) => `${right.table}.${k}`)];
  if (missing.length > 0) {
    refuse(`sink ${sinkName}'s primary key ${list(sink.primaryKey)} does not identify a joined row: it lacks ${missing.join(', ')} (each side's primary key must be in it; a join column stands for its partner)`);
  }
  const sinkBucketKey = bucketKeyOf(sink).map((n) => output.find((o) => o.name === n)!);
  const retractFor = (side: Side): RetractMode => {
    if (keyCols.every((o) => knownFrom(base, side, o))) return 'pair';
    if (sinkBucketKey.length < sink.primaryKey.length && sinkBucketKey.every((o) => knownFrom(base, side, o))) return 'sink-prefix';
    return 'lookup';
  };
  const retract = { left: retractFor('left'), right: retractFor('right') };
  if (retract.left === 'lookup' && retract.right === 'lookup') {
    refuse(
      `a delete on ${left.table} or ${right.table} could leave a stale row in ${sinkName}: neither side's key alone finds its joined rows there. ` +
      `Create ${sinkName} with a bucket key made of join columns, e.g. bucketKey [${on.map((p) => output.find((o) => (o.side === 'left' && o.column.name === p.left) || (o.side === 'right' && o.column.name === p.right))?.name ?? p.left).join(', ')}]`,
    );
  }
  const sideKeyOutput = { left: outputNamesOf('left', universal), right: outputNamesOf('right', universal) };
  return Object.freeze({ ...base, output, outputKey: [...sink.primaryKey], sideKeyOutput, retract, sink });
}
