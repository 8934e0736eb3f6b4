/**
 * Encode speed of ~100-byte rows (int64, two strings, a double + offset/timestamp), Arrow path, one
 * core. Prints the rate (~0.9 M rows/s ZSTD, ~0.55 M Snappy on the 2-core VM); asserts a floor far
 * below that so a loaded CI box does not flake, but a 5x regression fails.
 */
import * as A from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { arrowSchema, batchFromData, COMMIT_TIMESTAMP_FIELD, LOG_OFFSET_FIELD, rowsToBatch } from '../../src/common/arrow.js';
import type { Column } from '../../src/common/schema.js';
import { decodeParquet, encodeParquetFromArrow } from '../../src/lake/parquet.js';
import { seededRandom } from '../../src/common/seeded-random.js';

const COLUMNS: Column[] = [
  { name: 'id', type: 'int64', nullable: false },
  { name: 'email', type: 'string', nullable: true },
  { name: 'city', type: 'string', nullable: true },
  { name: 'score', type: 'float64', nullable: true },
];
const N = 200_000;
const BATCH = 10_000;

function batches(): { batches: A.RecordBatch[]; rawBytesPerRow: number } {
  const rnd = seededRandom(7);
  const word = () => Math.floor(rnd() * 2 ** 40).toString(36).padStart(8, '0');
  const cities = Array.from({ length: 50 }, (_, i) => `city-${i}-${word()}`);
  const rows = Array.from({ length: N }, (_, i) => ({ id: 1_000_000_000_000n + BigInt(i) * 7919n, email: `${word()}.${word()}@${word()}.example.com`, city: cities[i % 50]!, score: Math.round(rnd() * 1e6) / 100 }));
  let raw = 0;
  for (const r of rows) raw += 8 + r.email.length + r.city.length + 8 + 16;
  const base = rowsToBatch(COLUMNS, rows);
  const out: A.RecordBatch[] = [];
  for (let s = 0; s < N; s += BATCH) {
    const sl = base.slice(s, s + BATCH);
    const off = A.makeData({ type: new A.Int64(), length: sl.numRows, nullCount: 0, data: BigInt64Array.from({ length: sl.numRows }, (_, i) => BigInt(s + i)) });
    const ts = A.makeData({ type: new A.TimestampMillisecond('UTC'), length: sl.numRows, nullCount: 0, data: new BigInt64Array(sl.numRows).fill(1_700_000_000_000n + BigInt(s)) });
    out.push(batchFromData(arrowSchema(COLUMNS, [LOG_OFFSET_FIELD, COMMIT_TIMESTAMP_FIELD]), sl.numRows, [...sl.data.children, off, ts]));
  }
  return { batches: out, rawBytesPerRow: raw / N };
}

describe('parquet speed', () => {
  it('parquet speed: encodes ~100-byte rows from Arrow at a useful rate', async () => {
    const { batches: input, rawBytesPerRow } = batches();
    for (const compression of ['zstd', 'snappy'] as const) {
      let best = Infinity;
      let size = 0;
      for (let rep = 0; rep < 4; rep++) {
        const started = performance.now();
        const bytes = encodeParquetFromArrow(COLUMNS, input, { compression, rowGroupRows: 100_000, bucket: 0 });
        best = Math.min(best, performance.now() - started);
        size = bytes.length;
        if (rep === 0) expect((await decodeParquet(bytes, COLUMNS, { fromOffset: 199_999n })).rows[0]!.id).toBe(1_000_000_000_000n + 199_999n * 7919n);
      }
      const rate = Math.round(N / (best / 1000));
      console.log(`parquet ${compression}: ${rate} rows/s (best of 4), ${(size / N).toFixed(1)} bytes/row, raw ${rawBytesPerRow.toFixed(1)} bytes/row`);
      expect(rate).toBeGreaterThan(200_000);
      expect(size / N).toBeLessThan(rawBytesPerRow);
    }
  });
});
