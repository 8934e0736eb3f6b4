import { fail } from '../common/errors.js';
import {
  AGGREGATE_FUNCTIONS, MERGE_ENGINES, property, type AggregateFunction, type MergeEngine as MergeEngineName,
} from '../common/properties.js';
import type { Column, TableDefinition } from '../common/schema.js';
import type { Row, Value } from '../common/values.js';

/**
 * Merge engines: how a primary-key table combines an incoming row with the stored one. Pure: no I/O.
 *
 * - `last_row` (default): the incoming row replaces the old one.
 * - `first_row`: the first row of a key wins; a later upsert is "no change". Insert-only changelog.
 *   Partial updates are refused; deletes default to `ignore` (`allow` is refused at CREATE TABLE).
 * - `versioned`: replace only if the incoming version >= the stored version (equal wins, as Fluss).
 *   Following Fluss's documentation, an incoming row whose version is null never replaces a stored
 *   row ("no change"); for a new key it is inserted (there is nothing to compare with), and a stored
 *   null version loses to any non-null version. Partial updates are refused (as Fluss).
 * - `aggregation`: each non-key column folds the old and the incoming value with `fields.<col>.agg`
 *   (default `last_value_ignore_nulls`). For a new key the incoming row is stored as is. Like
 *   Fluss/Paimon, sum/product/max/min/listagg/bool_and/bool_or ignore null inputs (the result is null
 *   only when both sides are null); `last_value` takes the incoming value even if null;
 *   `first_value` keeps the stored value even if null; the `_ignore_nulls` variants skip nulls.
 *   Integer overflow wraps like Java (two's complement at the column's width: int8, int16, int32
 *   and int64 all wrap; nothing is refused), so the result always fits the column. float32 results
 *   are rounded to float32. max/min order NaN above every number and strings by code point.
 *   Deletes default to `ignore` (an aggregate cannot be retracted).
 *
 * `merge` returns `undefined` for "no change"; any returned row is a new object holding every column.
 * An engine always returns a fresh row when it changes something, even if it equals the old one
 * (last_row re-writing the same values, sum + null): the changelog still gets -U/+U, as Fluss does.
 */

export type WriteKind = 'upsert' | 'partial' | 'delete';
export type DeleteBehavior = 'allow' | 'ignore' | 'disable';

export interface RowMerger {
  readonly name: MergeEngineName;
  readonly deleteBehavior: DeleteBehavior;
  /**
   * Throws a 400 LakestreamError if this engine refuses writes of this kind (call once per request,
   * before any row is applied, so that a refused request changes nothing). For 'partial' (and a
   * partial 'delete'), also checks `targetColumns`.
   */
  validateWrite(kind: WriteKind, targetColumns?: readonly string[]): void;
  /**
   * The row to store for an upsert of `incoming` over `old` (undefined: the key is new), or
   * `undefined` for "no change". With `targetColumns` (partial update) only those columns (and the
   * primary key) take the incoming values; the others keep the old values, or null for a new key.
   */
  merge(old: Row | undefined, incoming: Row, targetColumns?: readonly string[]): Row | undefined;
  /**
   * A delete of `old`: `null` removes the row, `undefined` is "no change" (missing key, or deletes
   * ignored), a Row is the result of a partial delete (Fluss: the target columns become null; the
   * row is removed once every non-key column is null).
   */
  remove(old: Row | undefined, targetColumns?: readonly string[]): Row | null | undefined;
}

const DELETE_BEHAVIORS: readonly DeleteBehavior[] = ['allow', 'ignore', 'disable'];

type Fold = (acc: Value, input: Value) => Value;

function wrapInt(type: Column['type'], v: number): number {
  switch (type) {
    case 'int8': return (v << 24) >> 24;
    case 'int16': return (v << 16) >> 16;
    case 'int32': return v | 0;
    default: return v;
  }
}

function codePointCompare(a: string, b: string): number {
  // UTF-16 order differs from code point order only when a surrogate meets a unit >= U+E000.
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    if (xs !== ys) return xs ? 1 : -1;
    return x < y ? -1 : 1;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

/** Order of two non-null values of one column (NaN above every number, strings by code point). */
export function compareColumnValues(a: Value, b: Value): number {
  if (typeof a === 'number' && typeof b === 'number') {
    if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) ? (Number.isNaN(b) ? 0 : 1) : -1;
    return a === b ? 0 : a < b ? -1 : 1;
  }
  if (typeof a === 'bigint' && typeof b === 'bigint') return a === b ? 0 : a < b ? -1 : 1;
  if (typeof a === 'string' && typeof b === 'string') return codePointCompare(a, b);
  if (typeof a === 'boolean' && typeof b === 'boolean') return a === b ? 0 : a ? 1 : -1;
  if (a instanceof Uint8Array && b instanceof Uint8Array) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
    return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
  }
  fail('INVALID_VALUE', `cannot compare values of different types (${typeof a}, ${typeof b})`);
}

/** Wraps a fold so that a null on either side yields the other side. */
function ignoringNulls(fold: (acc: NonNullable<Value>, input: NonNullable<Value>) => Value): Fold {
  return (acc, input) => (input === null ? acc : acc === null ? input : fold(acc, input));
}

function arithmetic(column: Column, op: 'sum' | 'product'): Fold {
  const type = column.type;
  return ignoringNulls((acc, input) => {
    if (type === 'int64') {
      if (typeof acc !== 'bigint' || typeof input !== 'bigint') fail('INVALID_VALUE', `column '${column.name}' (int64) needs bigint values`);
      return BigInt.asIntN(64, op === 'sum' ? acc + input : acc * input);
    }
    if (typeof acc !== 'number' || typeof input !== 'number') fail('INVALID_VALUE', `column '${column.name}' (${type}) needs numbers`);
    if (type === 'float32') return Math.fround(op === 'sum' ? acc + input : acc * input);
    if (type === 'float64') return op === 'sum' ? acc + input : acc * input;
    if (op === 'product' && type === 'int32') return Math.imul(acc, input);
    // int8/int16 products and all int8..int32 sums are exact in a double before wrapping.
    return wrapInt(type, op === 'sum' ? acc + input : acc * input);
  });
}

function foldFor(column: Column, fn: AggregateFunction, delimiter: string): Fold {
  switch (fn) {
    case 'sum':
    case 'product':
      return arithmetic(column, fn);
    case 'max':
      return ignoringNulls((acc, input) => (compareColumnValues(input, acc) > 0 ? input : acc));
    case 'min':
      return ignoringNulls((acc, input) => (compareColumnValues(input, acc) < 0 ? input : acc));
    case 'last_value':
      return (_acc, input) => input;
    case 'last_value_ignore_nulls':
      return (acc, input) => (input === null ? acc : input);
    case 'first_value':
      return (acc) => acc;
    case 'first_value_ignore_nulls':
      return (acc, input) => (acc === null ? input : acc);
    case 'listagg':
      return ignoringNulls((acc, input) => `${String(acc)}${delimiter}${String(input)}`);
    case 'bool_and':
      return ignoringNulls((acc, input) => acc === true && input === true);
    case 'bool_or':
      return ignoringNulls((acc, input) => acc === true || input === true);
  }
}

/** Reads the merge engine of a primary-key table from its (validated) properties. */
export function createMergeEngine(def: TableDefinition): RowMerger {
  if (def.primaryKey.length === 0) fail('UNSUPPORTED_OPERATION', 'merge engines apply only to primary-key tables');
  const name = (property(def, 'table.merge-engine') ?? 'last_row') as MergeEngineName;
  if (!(MERGE_ENGINES as readonly string[]).includes(name)) fail('INVALID_PROPERTY', `unknown merge engine '${name}'`);
  const rawDelete = def.properties['table.delete.behavior'];
  if (rawDelete !== undefined && !(DELETE_BEHAVIORS as readonly string[]).includes(rawDelete)) {
    fail('INVALID_PROPERTY', `table.delete.behavior must be one of ${DELETE_BEHAVIORS.join(', ')}, got '${rawDelete}'`);
  }
  const deleteBehavior: DeleteBehavior = (rawDelete as DeleteBehavior | undefined)
    ?? (name === 'first_row' || name === 'aggregation' ? 'ignore' : 'allow');
  if (name === 'first_row' && deleteBehavior === 'allow') {
    fail('INVALID_PROPERTY', 'the first_row merge engine cannot allow deletes; use table.delete.behavior ignore or disable');
  }
  const columns = def.columns;
  const keySet = new Set(def.primaryKey);
  const valueColumns = columns.filter((c) => !keySet.has(c.name));
  const partialAllowed = name === 'last_row' || name === 'aggregation';

  let verColumn: string | undefined;
  if (name === 'versioned') {
    verColumn = def.properties['table.merge-engine.versioned.ver-column'];
    const col = columns.find((c) => c.name === verColumn);
    if (!col || !['int32', 'int64', 'timestamp'].includes(col.type)) {
      fail('INVALID_PROPERTY', 'the versioned merge engine needs table.merge-engine.versioned.ver-column naming an int32, int64 or timestamp column');
    }
  }

  const folds = new Map<string, Fold>();
  if (name === 'aggregation') {
    for (const c of valueColumns) {
      const fn = def.properties[`fields.${c.name}.agg`] ?? 'last_value_ignore_nulls';
      if (!(AGGREGATE_FUNCTIONS as readonly string[]).includes(fn)) fail('INVALID_PROPERTY', `fields.${c.name}.agg: unknown aggregate function '${fn}'`);
      folds.set(c.name, foldFor(c, fn as AggregateFunction, def.properties[`fields.${c.name}.listagg.delimiter`] ?? ','));
    }
  }

  /** The set of columns a partial write changes (always including the primary key). */
  const targetSet = (targetColumns: readonly string[]): Set<string> => {
    const set = new Set(def.primaryKey);
    for (const t of targetColumns) {
      if (!columns.some((c) => c.name === t)) fail('UNKNOWN_COLUMN', `target column '${t}' is not a column of the table`);
      set.add(t);
    }
    return set;
  };

  const checkPartial = (kind: 'partial' | 'delete', targetColumns: readonly string[] | undefined): void => {
    if (!partialAllowed) {
      fail('UNSUPPORTED_OPERATION', `the ${name} merge engine does not support partial ${kind === 'delete' ? 'deletes' : 'updates'}; write whole rows, or use table.merge-engine last_row or aggregation`);
    }
    if (targetColumns === undefined) return;
    const set = targetSet(targetColumns);
    for (const c of valueColumns) {
      if (!set.has(c.name) && !c.nullable) {
        fail('INVALID_PARAMETER', `a partial ${kind === 'delete' ? 'delete' : 'update'} must target non-nullable column '${c.name}' (columns it leaves out become null for new keys)`);
      }
    }
  };

  const validateWrite = (kind: WriteKind, targetColumns?: readonly string[]): void => {
    if (kind === 'delete') {
      if (deleteBehavior === 'disable') {
        fail('UNSUPPORTED_OPERATION', `deletes are disabled on this table (table.delete.behavior = disable); set table.delete.behavior to ${name === 'first_row' ? 'ignore' : 'allow or ignore'} to accept them`);
      }
      if (targetColumns !== undefined) checkPartial('delete', targetColumns);
      return;
    }
    if (kind === 'partial') checkPartial('partial', targetColumns);
  };

  const fullRow = (incoming: Row): Row => {
    const row: Row = {};
    for (const c of columns) row[c.name] = incoming[c.name] ?? null;
    return row;
  };

  const merge = (old: Row | undefined, incoming: Row, targetColumns?: readonly string[]): Row | undefined => {
    const targets = targetColumns === undefined ? undefined : (checkPartial('partial', targetColumns), targetSet(targetColumns));
    const changes = (c: Column): boolean => targets === undefined || targets.has(c.name);
    switch (name) {
      case 'first_row':
        return old === undefined ? fullRow(incoming) : undefined;
      case 'versioned': {
        if (old === undefined) return fullRow(incoming);
        const next = incoming[verColumn!] ?? null;
        const prev = old[verColumn!] ?? null;
        if (next === null) return undefined;
        if (prev === null || compareColumnValues(next, prev) >= 0) return fullRow(incoming);
        return undefined;
      }
      case 'last_row': {
        const row: Row = {};
        for (const c of columns) row[c.name] = changes(c) ? incoming[c.name] ?? null : old?.[c.name] ?? null;
        return row;
      }
      case 'aggregation': {
        const row: Row = {};
        for (const c of columns) {
          const input = incoming[c.name] ?? null;
          const prev = old?.[c.name] ?? null;
          if (keySet.has(c.name)) row[c.name] = input;
          else if (!changes(c)) row[c.name] = prev;
          else row[c.name] = old === undefined ? input : folds.get(c.name)!(prev, input);
        }
        return row;
      }
    }
  };

  const remove = (old: Row | undefined, targetColumns?: readonly string[]): Row | null | undefined => {
    validateWrite('delete', targetColumns);
    if (deleteBehavior === 'ignore' || old === undefined) return undefined;
    if (targetColumns === undefined) return null;
    const targets = targetSet(targetColumns);
    const row: Row = {};
    for (const c of columns) row[c.name] = !keySet.has(c.name) && targets.has(c.name) ? null : old[c.name] ?? null;
    return valueColumns.every((c) => row[c.name] === null) ? null : row;
  };

  return { name, deleteBehavior, validateWrite, merge, remove };
}
