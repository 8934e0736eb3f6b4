import * as A from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { batchRows, batchToIpc, ipcToBatches, rowsToBatch } from '../../src/common/arrow.js';
import { splitByBucket, storedStream } from '../../src/common/bucket-batches.js';
import { bucketRouter } from '../../src/common/bucket-router.js';
import { LakestreamError } from '../../src/common/errors.js';
import { COLUMN_TYPES, parseTableDefinition, type TableDefinition } from '../../src/common/schema.js';
import type { Row } from '../../src/common/values.js';
import { int, mulberry32, pick, randomValue, type Rng } from './random-values.js';

const TABLES = 44; // each column type is the first bucket-key column four times

/** A log table keyed on one or two columns of the round's types, with nullable columns of every kind beside them. */
function randomTable(rng: Rng, round: number): TableDefinition {
  const keyTypes = [COLUMN_TYPES[round % COLUMN_TYPES.length]!, ...(rng() < 0.4 ? [pick(rng, COLUMN_TYPES)] : [])];
  const valueTypes = [COLUMN_TYPES[(round + 5) % COLUMN_TYPES.length]!, ...Array.from({ length: int(rng, 0, 3) }, () => pick(rng, COLUMN_TYPES))];
  const columns = [
    ...keyTypes.map((type, i) => ({ name: `k${i}`, type, nullable: rng() < 0.5 })),
    ...valueTypes.map((type, i) => ({ name: `v${i}`, type, nullable: true })),
  ];
  // Shuffled, so the key columns are not always first.
  for (let i = columns.length - 1; i > 0; i--) {
    const j = int(rng, 0, i);
    [columns[i], columns[j]] = [columns[j]!, columns[i]!];
  }
  return parseTableDefinition({ columns, buckets: int(rng, 2, 16), bucketKey: keyTypes.map((_t, i) => `k${i}`).reverse() });
}

function randomRows(rng: Rng, def: TableDefinition, n: number): Row[] {
  return Array.from({ length: n }, () => {
    const row: Row = {};
    for (const c of def.columns) row[c.name] = c.name.startsWith('v') && rng() < 0.3 ? null : randomValue(rng, c.type);
    return row;
  });
}

/** The request's batches: built as Arrow JS builds them, some of them slices of larger batches. */
function randomBatches(rng: Rng, def: TableDefinition): A.RecordBatch[] {
  return Array.from({ length: int(rng, 1, 3) }, () => {
    const n = int(rng, 0, 60);
    if (rng() < 0.6) return rowsToBatch(def.columns, randomRows(rng, def, n));
    const from = int(rng, 1, 7);
    return rowsToBatch(def.columns, randomRows(rng, def, n + 2 * from)).slice(from, from + n);
  });
}

/** What a bucket stores, as its readers see it. */
function storedRows(ipc: Uint8Array): Row[] {
  const { batches } = ipcToBatches(ipc);
  expect(batches).toHaveLength(1); // projected reads take the first record batch of a stored stream
  return batchRows(batches[0]!);
}

/** The row path every keyed append took before: rows made, split by `ofRow`, rebuilt with Arrow JS builders. */
function rowPath(def: TableDefinition, batches: readonly A.RecordBatch[]): Map<number, Row[]> {
  const out = new Map<number, Row[]>();
  for (const [b, rows] of bucketRouter(def).splitRows(batches.flatMap((batch) => batchRows(batch)))) {
    out.set(b, storedRows(batchToIpc(rowsToBatch(def.columns, rows))));
  }
  return out;
}

function thrown(fn: () => unknown): LakestreamError {
  try {
    fn();
  } catch (e) {
    if (e instanceof LakestreamError) return e;
    throw e;
  }
  throw new Error('expected a LakestreamError');
}

describe('bucket batches', () => {
  it('puts every row in the bucket the row path put it in, with the same values, in request order, for every column type', () => {
    const rng = mulberry32(0xb0c7);
    for (let round = 0; round < TABLES; round++) {
      const def = randomTable(rng, round);
      const batches = randomBatches(rng, def);
      const want = rowPath(def, batches);
      const got = splitByBucket(bucketRouter(def), def.columns, batches);
      expect([...got.keys()].sort((a, b) => a - b)).toEqual([...want.keys()].sort((a, b) => a - b));
      for (const [b, stream] of got) {
        expect(stream.rows).toBe(want.get(b)!.length);
        expect(storedRows(stream.ipc)).toEqual(want.get(b));
      }
    }
  });

  it('routes a row by its bucket key alone, the same in any batch it arrives in', () => {
    const rng = mulberry32(5);
    const def = parseTableDefinition({ columns: [{ name: 'k', type: 'string' }, { name: 'v', type: 'int32' }], buckets: 8, bucketKey: ['k'] });
    const rows = randomRows(rng, def, 200);
    const router = bucketRouter(def);
    const buckets = router.bucketsOfBatch(rowsToBatch(def.columns, rows));
    rows.forEach((row, i) => expect(buckets[i]).toBe(router.ofRow(row)));
    expect(new Set(buckets).size).toBeGreaterThan(1);
  });

  it('stores all of a request as one record batch, however many the body held', () => {
    const def = parseTableDefinition({ columns: [{ name: 'a', type: 'int64' }, { name: 's', type: 'string' }] });
    const rows = randomRows(mulberry32(9), def, 30);
    const batches = [rowsToBatch(def.columns, rows.slice(0, 10)), rowsToBatch(def.columns, []), rowsToBatch(def.columns, rows.slice(10))];
    const stream = storedStream(def.columns, batches);
    expect(stream.rows).toBe(30);
    expect(storedRows(stream.ipc)).toEqual(storedRows(batchToIpc(rowsToBatch(def.columns, rows))));
  });

  it('hashes a string that is not UTF-8 as the row path did (decoded with U+FFFD) and stores what was sent', () => {
    const def = parseTableDefinition({ columns: [{ name: 'k', type: 'string', nullable: false }], buckets: 16, bucketKey: ['k'] });
    const bytes = Uint8Array.of(0x61, 0xff, 0x62, 0xc3, 0x28, 0xe2, 0x82, 0x63, 0x64);
    const values = Array.from({ length: 40 }, (_, i) => bytes.subarray(i % 4, 4 + (i % 6)));
    const offsets = new Int32Array(values.length + 1);
    values.forEach((v, i) => (offsets[i + 1] = offsets[i]! + v.length));
    const data = A.makeData({ type: new A.Utf8(), length: values.length, nullCount: 0, valueOffsets: offsets, data: Buffer.concat(values) });
    const schema = new A.Schema([new A.Field('k', new A.Utf8(), false)]);
    const batch = new A.RecordBatch(schema, A.makeData({ type: new A.Struct(schema.fields), length: values.length, nullCount: 0, children: [data] }));
    const want = rowPath(def, [batch]);
    const got = splitByBucket(bucketRouter(def), def.columns, [batch]);
    expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
    for (const [b, stream] of got) expect(storedRows(stream.ipc)).toEqual(want.get(b));
  });

  it('refuses a null or an over-long bucket key as the row path does, with the same error', () => {
    const def = parseTableDefinition({ columns: [{ name: 'k', type: 'string', nullable: true }, { name: 'n', type: 'int32' }], buckets: 4, bucketKey: ['n', 'k'] });
    for (const bad of [{ k: null, n: 1 }, { k: 'x', n: null }, { k: 'x'.repeat(3000), n: 1 }]) {
      const batch = rowsToBatch(def.columns, [{ k: 'a', n: 0 }, bad]);
      const want = thrown(() => rowPath(def, [batch]));
      const got = thrown(() => splitByBucket(bucketRouter(def), def.columns, [batch]));
      expect(got.code).toBe(want.code);
      expect(got.message).toBe(want.message);
    }
  });
});
