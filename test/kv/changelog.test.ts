import { describe, expect, it } from 'vitest';
import { LakestreamError } from '../../src/common/errors.js';
import { encodeKey } from '../../src/common/key-encoding.js';
import { parseTableDefinition } from '../../src/common/schema.js';
import type { Row } from '../../src/common/values.js';
import { applyBatch, changesFor, keyId, type KvOp } from '../../src/kv/changelog.js';
import { createMergeEngine } from '../../src/kv/merge-engine.js';

const COLUMNS = [{ name: 'id', type: 'int32' }, { name: 'v', type: 'string' }, { name: 'n', type: 'int64' }];
const KEY_COLUMNS = [{ name: 'id', type: 'int32' as const, nullable: false }];

function engineOf(properties: Record<string, string> = {}) {
  return createMergeEngine(parseTableDefinition({ columns: COLUMNS, primaryKey: ['id'], properties }));
}

const key = (id: number): Uint8Array => encodeKey(KEY_COLUMNS, [id]);
const upsert = (id: number, v: string | null, n: bigint | null = null, targetColumns?: string[]): KvOp => (
  { kind: 'upsert', key: key(id), row: { id, v, n }, ...(targetColumns ? { targetColumns } : {}) }
);
const del = (id: number): KvOp => ({ kind: 'delete', key: key(id), row: { id } });
const row = (id: number, v: string | null, n: bigint | null = null): Row => ({ id, v, n });

/** A stored bucket as a Map, with a lookup that counts calls. */
function store(rows: Row[]) {
  const map = new Map(rows.map((r) => [keyId(key(r.id as number)), r]));
  const calls: string[] = [];
  return {
    calls,
    lookup: (k: Uint8Array): Row | undefined => {
      calls.push(keyId(k));
      return map.get(keyId(k));
    },
  };
}

const types = (changes: ReadonlyArray<{ type: string }>): string[] => changes.map((c) => c.type);

describe('changelog: changesFor', () => {
  const a = row(1, 'a');
  const b = row(1, 'b');

  it('changelog: a new key is +I in both images', () => {
    expect(changesFor(undefined, a, 'FULL')).toEqual([{ type: '+I', row: a }]);
    expect(changesFor(undefined, a, 'WAL')).toEqual([{ type: '+I', row: a }]);
  });

  it('changelog: an update is -U/+U in FULL and +U in WAL', () => {
    expect(changesFor(a, b, 'FULL')).toEqual([{ type: '-U', row: a }, { type: '+U', row: b }]);
    expect(changesFor(a, b, 'WAL')).toEqual([{ type: '+U', row: b }]);
  });

  it('changelog: a delete of an existing key is -D old; of a missing key nothing', () => {
    expect(changesFor(a, undefined, 'FULL')).toEqual([{ type: '-D', row: a }]);
    expect(changesFor(a, undefined, 'WAL')).toEqual([{ type: '-D', row: a }]);
    expect(changesFor(undefined, undefined, 'FULL')).toEqual([]);
  });

  it('changelog: no change (the same object) is nothing; an equal new row is still -U/+U', () => {
    expect(changesFor(a, a, 'FULL')).toEqual([]);
    expect(types(changesFor(a, { ...a }, 'FULL'))).toEqual(['-U', '+U']);
  });
});

describe('changelog: applyBatch', () => {
  it('applyBatch: last_row upserts, updates and deletes across keys', () => {
    const s = store([row(1, 'old')]);
    const { changes, writes } = applyBatch(engineOf(), 'FULL', s.lookup, [upsert(1, 'new'), upsert(2, 'two'), del(3)]);
    expect(changes).toEqual([
      { type: '-U', row: row(1, 'old') }, { type: '+U', row: row(1, 'new') }, { type: '+I', row: row(2, 'two') },
    ]);
    expect([...writes.values()]).toEqual([{ key: key(1), row: row(1, 'new') }, { key: key(2), row: row(2, 'two') }]);
  });

  it('applyBatch: several ops on one key see each other, and the lookup runs once per key', () => {
    const s = store([]);
    const ops = [upsert(7, 'a'), upsert(7, 'b'), del(7), upsert(7, 'c'), upsert(8, 'x')];
    const { changes, writes } = applyBatch(engineOf(), 'FULL', s.lookup, ops);
    expect(types(changes)).toEqual(['+I', '-U', '+U', '-D', '+I', '+I']);
    expect(changes.map((c) => c.row.v)).toEqual(['a', 'a', 'b', 'b', 'c', 'x']);
    expect(writes.get(keyId(key(7)))).toEqual({ key: key(7), row: row(7, 'c') });
    expect(s.calls).toEqual([keyId(key(7)), keyId(key(8))]);
  });

  it('applyBatch: an insert then delete in one batch leaves a delete write', () => {
    const { changes, writes } = applyBatch(engineOf(), 'WAL', store([]).lookup, [upsert(1, 'a'), del(1)]);
    expect(types(changes)).toEqual(['+I', '-D']);
    expect(writes.get(keyId(key(1)))).toEqual({ key: key(1), row: undefined });
  });

  it('applyBatch: WAL image writes no -U', () => {
    const { changes } = applyBatch(engineOf({ 'table.changelog.image': 'WAL' }), 'WAL', store([row(1, 'a')]).lookup, [upsert(1, 'b'), upsert(1, 'c')]);
    expect(changes).toEqual([{ type: '+U', row: row(1, 'b') }, { type: '+U', row: row(1, 'c') }]);
  });

  it('applyBatch: first_row is insert-only: repeats and deletes produce nothing', () => {
    const s = store([row(1, 'stored')]);
    const engine = engineOf({ 'table.merge-engine': 'first_row' });
    const { changes, writes } = applyBatch(engine, 'FULL', s.lookup, [upsert(1, 'x'), upsert(2, 'first'), upsert(2, 'second'), del(2), del(1)]);
    expect(changes).toEqual([{ type: '+I', row: row(2, 'first') }]);
    expect([...writes.values()]).toEqual([{ key: key(2), row: row(2, 'first') }]);
  });

  it('applyBatch: versioned keeps the highest version within one batch', () => {
    const engine = createMergeEngine(parseTableDefinition({
      columns: COLUMNS, primaryKey: ['id'], properties: { 'table.merge-engine': 'versioned', 'table.merge-engine.versioned.ver-column': 'n' },
    }));
    const ops = [upsert(1, 'v5', 5n), upsert(1, 'v3', 3n), upsert(1, 'v5b', 5n), upsert(1, 'v9', 9n), upsert(1, 'vnull', null)];
    const { changes, writes } = applyBatch(engine, 'FULL', store([]).lookup, ops);
    expect(changes.map((c) => `${c.type}${String(c.row.v)}`)).toEqual(['+Iv5', '-Uv5', '+Uv5b', '-Uv5b', '+Uv9']);
    expect(writes.get(keyId(key(1)))!.row).toEqual(row(1, 'v9', 9n));
  });

  it('applyBatch: aggregation folds several ops of one key onto the stored row', () => {
    const engine = engineOf({ 'table.merge-engine': 'aggregation', 'fields.n.agg': 'sum', 'fields.v.agg': 'listagg' });
    const { changes, writes } = applyBatch(engine, 'FULL', store([row(1, 'a', 10n)]).lookup, [upsert(1, 'b', 1n), upsert(1, null, 2n), del(1)]);
    expect(types(changes)).toEqual(['-U', '+U', '-U', '+U']);
    expect(writes.get(keyId(key(1)))!.row).toEqual(row(1, 'a,b', 13n));
  });

  it('applyBatch: partial updates of an existing and of a new key', () => {
    const s = store([row(1, 'keep', 1n)]);
    const { changes, writes } = applyBatch(engineOf(), 'FULL', s.lookup, [upsert(1, 'ignored', 5n, ['n']), upsert(2, 'ignored', 6n, ['n'])]);
    expect(changes).toEqual([
      { type: '-U', row: row(1, 'keep', 1n) }, { type: '+U', row: row(1, 'keep', 5n) }, { type: '+I', row: row(2, null, 6n) },
    ]);
    expect(writes.size).toBe(2);
  });

  it('applyBatch: a refused op refuses the whole batch before any lookup', () => {
    const s = store([row(1, 'a')]);
    const engine = engineOf({ 'table.delete.behavior': 'disable' });
    expect(() => applyBatch(engine, 'FULL', s.lookup, [upsert(1, 'b'), del(1)])).toThrow(LakestreamError);
    expect(s.calls).toEqual([]);
    const firstRow = engineOf({ 'table.merge-engine': 'first_row' });
    expect(() => applyBatch(firstRow, 'FULL', s.lookup, [upsert(2, 'b', null, ['v'])])).toThrow(/partial/);
  });

  it('applyBatch: keyId is exact for every byte value', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    const id = keyId(all);
    expect(id.length).toBe(256);
    expect(Uint8Array.from(Buffer.from(id, 'latin1'))).toEqual(all);
    expect(keyId(all.subarray(10, 12))).toBe('\n\u000b');
  });
});

describe('keyId', () => {
  it('is the latin1 text of the bytes, short keys and long, every byte value', () => {
    for (const length of [0, 1, 9, 63, 64, 65, 200, 511]) {
      const key = Uint8Array.from({ length }, (_, i) => (i * 97 + length) & 0xff);
      expect(keyId(key)).toBe(Buffer.from(key).toString('latin1'));
      // A view into a larger buffer reads only its own bytes.
      const wide = new Uint8Array(length + 8);
      wide.set(key, 4);
      expect(keyId(wide.subarray(4, 4 + length))).toBe(keyId(key));
    }
  });
});
