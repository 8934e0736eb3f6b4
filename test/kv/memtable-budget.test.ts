import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Column } from '../../src/common/schema.js';
import { IndexEnv, IndexWriter } from '../../src/kv/index-writer.js';
import { KvBucket } from '../../src/kv/kv-bucket.js';
import { largestFirst, MemtableBudget } from '../../src/kv/memtable-budget.js';
import { createMergeEngine } from '../../src/kv/merge-engine.js';
import { RowCache } from '../../src/kv/row-cache.js';
import { decodeRow, encodeRow } from '../../src/kv/row-codec.js';
import type { BucketLog } from '../../src/log/bucket-log.js';
import { openLog, tempDir } from '../log/helpers.js';

const MB = 1024 * 1024;
const columns: Column[] = [{ name: 'id', type: 'int32', nullable: false }, { name: 'v', type: 'string', nullable: true }];
const writer = new IndexWriter();
afterAll(() => writer.close());

describe('largestFirst', () => {
  it('picks the largest sizes until they cover what must be freed', () => {
    expect(largestFirst([5, 30, 10, 20], 45)).toEqual([1, 3]);
    expect(largestFirst([5, 30, 10, 20], 51)).toEqual([1, 3, 2]);
  });

  it('picks nothing when nothing must be freed, and never an empty memtable', () => {
    expect(largestFirst([5, 30], 0)).toEqual([]);
    expect(largestFirst([0, 7, 0], 100)).toEqual([1]);
  });
});

/** `count` buckets of one table sharing one LMDB environment and one budget, none with a flush timer that would fire. */
async function openBuckets(count: number, budget: MemtableBudget): Promise<{ buckets: KvBucket[]; close(): Promise<void> }> {
  const dir = tempDir('lakestream-budget-');
  const env = IndexEnv.open(path.join(dir, 'kv'), count + 2, writer);
  const def = { columns, primaryKey: ['id'], bucketKey: ['id'], buckets: count, properties: {} } as never;
  const shape = { columns, keyColumns: [columns[0]!], engine: createMergeEngine(def), image: 'FULL' as const, prefixColumns: 0 };
  const options = { flushIntervalMs: 3_600_000, memtableBytes: 256 * MB, rowCache: new RowCache(0), memtableBudget: budget };
  const buckets: KvBucket[] = [];
  const logs: BucketLog[] = [];
  for (let b = 0; b < count; b++) {
    const log = await openLog(path.join(dir, `log-${b}`));
    logs.push(log);
    buckets.push(await KvBucket.open(b, log, env, shape, options));
  }
  return {
    buckets,
    async close() {
      for (const kv of buckets) await kv.close();
      for (const log of logs) await log.close();
      env.close();
    },
  };
}

const value = (id: number) => `${id}:${'x'.repeat(4000)}`;

describe('MemtableBudget over many buckets', () => {
  it('keeps every bucket\'s memtables together under the cap while writers run, flushing the largest, and loses no acknowledged row', async () => {
    const capBytes = 2 * MB;
    const budget = new MemtableBudget(capBytes);
    const { buckets, close } = await openBuckets(40, budget);
    try {
      let highest = 0;
      const rowsPerBucket = 50; // 40 x 50 rows of ~4 KB: 8 MB acknowledged, four times the cap
      // One writer per bucket, each committing one row at a time, all at once.
      await Promise.all(buckets.map(async (kv, b) => {
        for (let i = 0; i < rowsPerBucket; i++) {
          const id = b * rowsPerBucket + i;
          await kv.commit(kv.planReplacements([kv.keyOf({ id })], [encodeRow(columns, { id, v: value(id) })]));
          highest = Math.max(highest, budget.bytes);
        }
      }));
      // The budget is true to what the buckets hold, and writers were held near the cap: each of
      // the 40 may have added its row (4 KB) and a new memtable's table (8 KiB) past it before waiting.
      expect(budget.bytes).toBe(buckets.reduce((sum, kv) => sum + kv.memtableBytes, 0));
      expect(highest).toBeLessThan(capBytes + 40 * 16 * 1024);
      expect(buckets.filter((kv) => kv.appliedOffset() > 0n).length).toBeGreaterThan(0); // flushes reached LMDB
      for (const [b, kv] of buckets.entries()) {
        for (let i = 0; i < rowsPerBucket; i++) {
          const id = b * rowsPerBucket + i;
          const bytes = kv.readBorrowed(kv.keyOf({ id }));
          expect(bytes && decodeRow(columns, bytes).v).toBe(value(id));
        }
      }
    } finally {
      await close();
    }
    expect(budget.bytes).toBe(0); // closed buckets are forgotten
  });

  it('does not wait or flush while the total is under half the cap', async () => {
    const budget = new MemtableBudget(64 * MB);
    const { buckets, close } = await openBuckets(4, budget);
    try {
      for (const [b, kv] of buckets.entries()) await kv.commit(kv.planReplacements([kv.keyOf({ id: b })], [encodeRow(columns, { id: b, v: value(b) })]));
      expect(buckets.map((kv) => kv.appliedOffset())).toEqual([0n, 0n, 0n, 0n]);
      expect(budget.bytes).toBeGreaterThan(0);
    } finally {
      await close();
    }
  });
});
