import { describe, expect, it } from 'vitest';
import { BucketRouter, bucketRouter } from '../../src/common/bucket-router.js';
import { bucketOf, encodeKey } from '../../src/common/key-encoding.js';
import { COLUMN_TYPES, parseTableDefinition, type TableDefinition } from '../../src/common/schema.js';
import type { Row } from '../../src/common/values.js';
import { int, mulberry32, pick, randomValue } from './random-values.js';

function table(buckets: number, seed: number): { def: TableDefinition; rows: Row[] } {
  const rng = mulberry32(seed);
  const types = [pick(rng, COLUMN_TYPES), pick(rng, COLUMN_TYPES), pick(rng, COLUMN_TYPES)];
  const def = parseTableDefinition({
    columns: [...types.map((type, i) => ({ name: `k${i}`, type })), { name: 'v', type: 'string' }],
    primaryKey: ['k2', 'k0', 'k1'],
    bucketKey: ['k1', 'k2'],
    buckets,
  });
  const rows = Array.from({ length: 200 }, () => {
    const row: Row = { v: 'x' };
    types.forEach((t, i) => (row[`k${i}`] = randomValue(rng, t)));
    return row;
  });
  return { def, rows };
}

describe('bucket router', () => {
  it('routes a row as murmur3 of its encoded bucket key, modulo the buckets (the routing every table has used)', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const { def, rows } = table(int(mulberry32(seed), 2, 64), seed);
      const router = new BucketRouter(def);
      const cols = ['k1', 'k2'].map((n) => def.columns.find((c) => c.name === n)!);
      for (const row of rows) expect(router.ofRow(row)).toBe(bucketOf(encodeKey(cols, cols.map((c) => row[c.name]!)), def.buckets));
    }
  });

  it('puts an encoded primary key in the bucket of its row (bucket-key columns first in the key)', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const { def, rows } = table(7, seed);
      const router = new BucketRouter(def);
      expect(router.keyColumns.map((c) => c.name)).toEqual(['k1', 'k2', 'k0']);
      for (const row of rows) {
        const key = encodeKey(router.keyColumns, router.keyColumns.map((c) => row[c.name]!));
        expect(router.ofKey(key)).toBe(router.ofRow(row));
      }
    }
  });

  it('splits rows by bucket in request order; one bucket takes everything', () => {
    const { def, rows } = table(5, 3);
    const split = bucketRouter(def).splitRows(rows);
    expect([...split.values()].flat()).toHaveLength(rows.length);
    for (const [b, list] of split) {
      expect(list.every((r) => bucketRouter(def).ofRow(r) === b)).toBe(true);
      expect(list).toEqual(rows.filter((r) => list.includes(r)));
    }
    const one = new BucketRouter({ ...def, buckets: 1 });
    expect([...one.splitRows(rows).keys()]).toEqual([0]);
  });

  it('is made once per definition; a log table has no key columns and routes unkeyed', () => {
    const log = parseTableDefinition({ columns: [{ name: 'a', type: 'int64' }], buckets: 3 });
    expect(bucketRouter(log)).toBe(bucketRouter(log));
    expect(bucketRouter(log).keyColumns).toEqual([]);
    expect(bucketRouter(log).keyed).toBe(false);
  });
});
