import { describe, expect, it } from 'vitest';
import { LakestreamError } from '../../src/common/errors.js';
import { parseTableDefinition, type TableDefinition } from '../../src/common/schema.js';
import type { Row } from '../../src/common/values.js';
import { compareColumnValues, createMergeEngine } from '../../src/kv/merge-engine.js';

function table(properties: Record<string, string>, columns?: Array<{ name: string; type: string; nullable?: boolean }>): TableDefinition {
  return parseTableDefinition({
    columns: columns ?? [
      { name: 'id', type: 'int64' },
      { name: 'name', type: 'string' },
      { name: 'score', type: 'int32' },
      { name: 'ver', type: 'int64' },
    ],
    primaryKey: ['id'],
    properties,
  });
}

function refusal(fn: () => unknown): LakestreamError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(LakestreamError);
    return e as LakestreamError;
  }
  throw new Error('expected a refusal');
}

describe('merge engine: last_row', () => {
  const engine = createMergeEngine(table({}));

  it('last_row: is the default; a new row replaces the old; missing fields become null', () => {
    expect(engine.name).toBe('last_row');
    expect(engine.merge(undefined, { id: 1n, name: 'a' })).toEqual({ id: 1n, name: 'a', score: null, ver: null });
    const old: Row = { id: 1n, name: 'a', score: 5, ver: 1n };
    expect(engine.merge(old, { id: 1n, name: 'b', score: null, ver: 0n })).toEqual({ id: 1n, name: 'b', score: null, ver: 0n });
  });

  it('last_row: an identical row is still a change (a new object)', () => {
    const old: Row = { id: 1n, name: 'a', score: 5, ver: 1n };
    const next = engine.merge(old, { ...old });
    expect(next).toEqual(old);
    expect(next).not.toBe(old);
  });

  it('last_row: partial update of an existing key keeps the other columns', () => {
    const old: Row = { id: 1n, name: 'a', score: 5, ver: 1n };
    expect(engine.merge(old, { id: 1n, score: 9, name: 'ignored' }, ['score'])).toEqual({ id: 1n, name: 'a', score: 9, ver: 1n });
    expect(engine.merge(old, { id: 1n, score: null }, ['id', 'score'])).toEqual({ id: 1n, name: 'a', score: null, ver: 1n });
  });

  it('last_row: partial update of a new key leaves the other columns null', () => {
    expect(engine.merge(undefined, { id: 2n, score: 3, name: 'x' }, ['score'])).toEqual({ id: 2n, name: null, score: 3, ver: null });
  });

  it('last_row: partial update refuses unknown columns and leaving out a non-nullable column', () => {
    expect(refusal(() => engine.merge(undefined, { id: 1n }, ['nope'])).code).toBe('UNKNOWN_COLUMN');
    const strict = createMergeEngine(table({}, [
      { name: 'id', type: 'int64' }, { name: 'a', type: 'string', nullable: false }, { name: 'b', type: 'string' },
    ]));
    expect(refusal(() => strict.validateWrite('partial', ['b'])).code).toBe('INVALID_PARAMETER');
    strict.validateWrite('partial', ['a']);
  });

  it('last_row: deletes are allowed by default and remove the row', () => {
    expect(engine.deleteBehavior).toBe('allow');
    engine.validateWrite('delete');
    expect(engine.remove({ id: 1n, name: 'a', score: 1, ver: 1n })).toBeNull();
    expect(engine.remove(undefined)).toBeUndefined();
  });

  it('last_row: a partial delete nulls the target columns, and removes the row once all values are null', () => {
    const old: Row = { id: 1n, name: 'a', score: 5, ver: null };
    expect(engine.remove(old, ['score'])).toEqual({ id: 1n, name: 'a', score: null, ver: null });
    expect(engine.remove(old, ['score', 'name'])).toBeNull();
  });

  it('last_row: table.delete.behavior disable refuses deletes naming the property; ignore ignores them', () => {
    const disabled = createMergeEngine(table({ 'table.delete.behavior': 'disable' }));
    const e = refusal(() => disabled.validateWrite('delete'));
    expect(e.code).toBe('UNSUPPORTED_OPERATION');
    expect(e.status).toBe(400);
    expect(e.message).toContain('table.delete.behavior');
    disabled.validateWrite('upsert');
    const ignoring = createMergeEngine(table({ 'table.delete.behavior': 'ignore' }));
    expect(ignoring.deleteBehavior).toBe('ignore');
    expect(ignoring.remove({ id: 1n, name: 'a', score: 1, ver: 1n })).toBeUndefined();
  });

  it('merge engine: log tables have none', () => {
    const log = parseTableDefinition({ columns: [{ name: 'a', type: 'int32' }] });
    expect(refusal(() => createMergeEngine(log)).code).toBe('UNSUPPORTED_OPERATION');
  });
});

describe('merge engine: first_row', () => {
  const engine = createMergeEngine(table({ 'table.merge-engine': 'first_row' }));

  it('first_row: the first row of a key wins, later upserts are no change', () => {
    const first = engine.merge(undefined, { id: 1n, name: 'first' });
    expect(first).toEqual({ id: 1n, name: 'first', score: null, ver: null });
    expect(engine.merge(first, { id: 1n, name: 'second' })).toBeUndefined();
  });

  it('first_row: partial updates are refused', () => {
    expect(refusal(() => engine.validateWrite('partial', ['name'])).code).toBe('UNSUPPORTED_OPERATION');
    expect(refusal(() => engine.merge(undefined, { id: 1n }, ['name'])).code).toBe('UNSUPPORTED_OPERATION');
  });

  it('first_row: deletes are ignored by default, refused with disable', () => {
    expect(engine.deleteBehavior).toBe('ignore');
    engine.validateWrite('delete');
    expect(engine.remove({ id: 1n, name: 'a', score: null, ver: null })).toBeUndefined();
    const disabled = createMergeEngine(table({ 'table.merge-engine': 'first_row', 'table.delete.behavior': 'disable' }));
    const e = refusal(() => disabled.validateWrite('delete'));
    expect(e.code).toBe('UNSUPPORTED_OPERATION');
    expect(e.message).toContain('table.delete.behavior');
  });
});

describe('merge engine: versioned', () => {
  const engine = createMergeEngine(table({ 'table.merge-engine': 'versioned', 'table.merge-engine.versioned.ver-column': 'ver' }));
  const stored: Row = { id: 1n, name: 'v10', score: 1, ver: 10n };

  it('versioned: a newer version replaces, an equal version replaces, an older version is no change', () => {
    expect(engine.merge(stored, { id: 1n, name: 'v11', ver: 11n })).toEqual({ id: 1n, name: 'v11', score: null, ver: 11n });
    expect(engine.merge(stored, { id: 1n, name: 'again', score: 2, ver: 10n })).toEqual({ id: 1n, name: 'again', score: 2, ver: 10n });
    expect(engine.merge(stored, { id: 1n, name: 'old', ver: 9n })).toBeUndefined();
  });

  it('versioned: a null incoming version never replaces; a new key is inserted; a stored null loses', () => {
    expect(engine.merge(stored, { id: 1n, name: 'x', ver: null })).toBeUndefined();
    expect(engine.merge(undefined, { id: 2n, name: 'x', ver: null })).toEqual({ id: 2n, name: 'x', score: null, ver: null });
    expect(engine.merge({ ...stored, ver: null }, { id: 1n, name: 'y', ver: -5n })?.name).toBe('y');
  });

  it('versioned: works on int32 and timestamp version columns', () => {
    for (const type of ['int32', 'timestamp']) {
      const e = createMergeEngine(table(
        { 'table.merge-engine': 'versioned', 'table.merge-engine.versioned.ver-column': 'v' },
        [{ name: 'id', type: 'int32' }, { name: 'v', type }],
      ));
      expect(e.merge({ id: 1, v: 100 }, { id: 1, v: 99 })).toBeUndefined();
      expect(e.merge({ id: 1, v: 100 }, { id: 1, v: 101 })).toEqual({ id: 1, v: 101 });
    }
  });

  it('versioned: partial updates are refused; deletes are allowed by default', () => {
    expect(refusal(() => engine.validateWrite('partial', ['name'])).code).toBe('UNSUPPORTED_OPERATION');
    expect(engine.deleteBehavior).toBe('allow');
    expect(engine.remove(stored)).toBeNull();
  });
});

describe('merge engine: aggregation', () => {
  const columns = [
    { name: 'id', type: 'int32' },
    { name: 'sum_i32', type: 'int32' },
    { name: 'sum_i64', type: 'int64' },
    { name: 'sum_f64', type: 'float64' },
    { name: 'prod_i16', type: 'int16' },
    { name: 'max_s', type: 'string' },
    { name: 'min_f', type: 'float64' },
    { name: 'last', type: 'string' },
    { name: 'last_nn', type: 'string' },
    { name: 'first', type: 'string' },
    { name: 'first_nn', type: 'string' },
    { name: 'list', type: 'string' },
    { name: 'list_default', type: 'string' },
    { name: 'all', type: 'boolean' },
    { name: 'any', type: 'boolean' },
    { name: 'dflt', type: 'int32' },
  ];
  const engine = createMergeEngine(table({
    'table.merge-engine': 'aggregation',
    'fields.sum_i32.agg': 'sum',
    'fields.sum_i64.agg': 'sum',
    'fields.sum_f64.agg': 'sum',
    'fields.prod_i16.agg': 'product',
    'fields.max_s.agg': 'max',
    'fields.min_f.agg': 'min',
    'fields.last.agg': 'last_value',
    'fields.last_nn.agg': 'last_value_ignore_nulls',
    'fields.first.agg': 'first_value',
    'fields.first_nn.agg': 'first_value_ignore_nulls',
    'fields.list.agg': 'listagg',
    'fields.list.listagg.delimiter': ' | ',
    'fields.list_default.agg': 'listagg',
    'fields.all.agg': 'bool_and',
    'fields.any.agg': 'bool_or',
  }, columns));

  const nulls: Row = Object.fromEntries(columns.map((c) => [c.name, null]));
  const fold = (...rows: Row[]): Row => {
    let acc: Row | undefined;
    for (const r of rows) acc = engine.merge(acc, { ...nulls, id: 1, ...r });
    return acc!;
  };

  it('aggregation: a new key stores the incoming row as is', () => {
    expect(fold({ sum_i32: 5, first: null, list: 'a' })).toEqual({ ...nulls, id: 1, sum_i32: 5, list: 'a' });
  });

  it('aggregation: sum, including nulls and Java-style wrap-around', () => {
    expect(fold({ sum_i32: 1 }, { sum_i32: 2 }, { sum_i32: null }, { sum_i32: 4 }).sum_i32).toBe(7);
    expect(fold({ sum_i32: null }, { sum_i32: null }).sum_i32).toBeNull();
    expect(fold({ sum_i32: null }, { sum_i32: 3 }).sum_i32).toBe(3);
    expect(fold({ sum_i32: 2147483647 }, { sum_i32: 1 }).sum_i32).toBe(-2147483648);
    expect(fold({ sum_i64: (1n << 63n) - 1n }, { sum_i64: 1n }).sum_i64).toBe(-(1n << 63n));
    expect(fold({ sum_i64: 1n << 60n }, { sum_i64: 1n << 60n }).sum_i64).toBe(1n << 61n);
    expect(fold({ sum_f64: 0.5 }, { sum_f64: 0.25 }).sum_f64).toBe(0.75);
  });

  it('aggregation: product, including nulls and int16 wrap-around', () => {
    expect(fold({ prod_i16: 3 }, { prod_i16: null }, { prod_i16: -4 }).prod_i16).toBe(-12);
    expect(fold({ prod_i16: 256 }, { prod_i16: 128 }).prod_i16).toBe(-32768);
    expect(fold({ prod_i16: 256 }, { prod_i16: 256 }).prod_i16).toBe(0);
  });

  it('aggregation: int8 and int32 products and float32 sums stay in their type', () => {
    const e = createMergeEngine(table({
      'table.merge-engine': 'aggregation', 'fields.a.agg': 'product', 'fields.b.agg': 'product', 'fields.c.agg': 'sum',
    }, [{ name: 'id', type: 'int32' }, { name: 'a', type: 'int8' }, { name: 'b', type: 'int32' }, { name: 'c', type: 'float32' }]));
    const r = e.merge({ id: 1, a: 16, b: 65536 * 3, c: 0.1 }, { id: 1, a: 9, b: 65536 + 1, c: 0.2 })!;
    expect(r.a).toBe(((16 * 9) << 24) >> 24);
    expect(r.b).toBe(Math.imul(65536 * 3, 65537));
    expect(r.c).toBe(Math.fround(0.1 + 0.2));
  });

  it('aggregation: max and min ignore nulls; strings by code point; NaN is the largest', () => {
    expect(fold({ max_s: 'b' }, { max_s: 'a' }, { max_s: null }, { max_s: 'c' }).max_s).toBe('c');
    expect(fold({ max_s: '\uFFFF' }, { max_s: '😀' }).max_s).toBe('😀');
    expect(fold({ max_s: null }, { max_s: 'x' }).max_s).toBe('x');
    expect(fold({ min_f: 3 }, { min_f: null }, { min_f: -1 }, { min_f: 2 }).min_f).toBe(-1);
    expect(fold({ min_f: NaN }, { min_f: 5 }).min_f).toBe(5);
    expect(compareColumnValues(NaN, Infinity)).toBe(1);
  });

  it('aggregation: last_value takes nulls, last_value_ignore_nulls skips them', () => {
    expect(fold({ last: 'a' }, { last: null }).last).toBeNull();
    expect(fold({ last: 'a' }, { last: 'b' }).last).toBe('b');
    expect(fold({ last_nn: 'a' }, { last_nn: null }).last_nn).toBe('a');
    expect(fold({ last_nn: 'a' }, { last_nn: 'b' }).last_nn).toBe('b');
  });

  it('aggregation: the default function is last_value_ignore_nulls', () => {
    expect(fold({ dflt: 1 }, { dflt: null }).dflt).toBe(1);
    expect(fold({ dflt: 1 }, { dflt: 2 }).dflt).toBe(2);
  });

  it('aggregation: first_value keeps the first even if null; first_value_ignore_nulls takes the first non-null', () => {
    expect(fold({ first: null }, { first: 'b' }).first).toBeNull();
    expect(fold({ first: 'a' }, { first: 'b' }).first).toBe('a');
    expect(fold({ first_nn: null }, { first_nn: 'b' }, { first_nn: 'c' }).first_nn).toBe('b');
  });

  it('aggregation: listagg joins with the delimiter (default ","), skipping nulls', () => {
    expect(fold({ list: 'a' }, { list: null }, { list: 'b' }, { list: 'c' }).list).toBe('a | b | c');
    expect(fold({ list: null }, { list: 'b' }).list).toBe('b');
    expect(fold({ list_default: 'x' }, { list_default: 'y' }).list_default).toBe('x,y');
  });

  it('aggregation: bool_and and bool_or ignore nulls', () => {
    expect(fold({ all: true }, { all: null }, { all: true }).all).toBe(true);
    expect(fold({ all: true }, { all: false }, { all: true }).all).toBe(false);
    expect(fold({ all: null }, { all: null }).all).toBeNull();
    expect(fold({ any: false }, { any: null }, { any: false }).any).toBe(false);
    expect(fold({ any: false }, { any: true }, { any: false }).any).toBe(true);
  });

  it('aggregation: partial update folds only the target columns', () => {
    const old = fold({ sum_i32: 10, list: 'a', last: 'keep' });
    const next = engine.merge(old, { ...nulls, id: 1, sum_i32: 5, list: 'b', last: 'changed' }, ['sum_i32'])!;
    expect(next.sum_i32).toBe(15);
    expect(next.list).toBe('a');
    expect(next.last).toBe('keep');
    expect(engine.merge(undefined, { id: 2, sum_i32: 5, list: 'b' }, ['sum_i32'])).toEqual({ ...nulls, id: 2, sum_i32: 5 });
  });

  it('aggregation: deletes are ignored by default; allow removes the row', () => {
    expect(engine.deleteBehavior).toBe('ignore');
    expect(engine.remove(fold({ sum_i32: 1 }))).toBeUndefined();
    const allowing = createMergeEngine(table({ 'table.merge-engine': 'aggregation', 'table.delete.behavior': 'allow' }));
    expect(allowing.remove({ id: 1n, name: null, score: 1, ver: null })).toBeNull();
  });
});
