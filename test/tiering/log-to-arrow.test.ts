import { describe, expect, it } from 'vitest';
import { batchToIpc, rowsToBatch } from '../../src/common/arrow.js';
import type { Column } from '../../src/common/schema.js';
import type { StoredBatch } from '../../src/log/bucket-log.js';
import { storedToArrow } from '../../src/tiering/log-to-arrow.js';

const COLUMNS: Column[] = [{ name: 'v', type: 'int32', nullable: false }];

function stored(baseOffset: bigint, n: number): StoredBatch {
  const rows = Array.from({ length: n }, (_, i) => ({ v: i }));
  const arrowIpc = batchToIpc(rowsToBatch(COLUMNS, rows));
  return { baseOffset, lastOffset: baseOffset + BigInt(n - 1), recordCount: n, commitTimestamp: 1_700_000_000_000, hasChangeType: false, arrowIpc, storedBytes: arrowIpc.length };
}

function offsetsOf(batches: ReturnType<typeof storedToArrow>): bigint[] {
  return batches.flatMap((b) => [...(b.getChild('_log_offset')!.toArray() as BigInt64Array)]);
}

describe('log to arrow', () => {
  it('log-to-arrow: numbers offsets consecutively from `from`, across the 2^32 word boundary', () => {
    const base = 2n ** 32n - 3n;
    const out = storedToArrow([stored(base, 4), stored(base + 4n, 3)], base + 1n, COLUMNS);
    expect(offsetsOf(out)).toEqual([1n, 2n, 3n, 4n, 5n, 6n].map((i) => base + i));
    expect(out[0]!.getChild('v')!.toArray()).toEqual(Int32Array.from([1, 2, 3]));
  });

  it('log-to-arrow: offsets beyond 2^53 stay exact', () => {
    const base = 2n ** 62n;
    expect(offsetsOf(storedToArrow([stored(base, 3)], base, COLUMNS))).toEqual([base, base + 1n, base + 2n]);
  });
});
