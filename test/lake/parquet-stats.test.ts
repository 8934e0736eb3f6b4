import { describe, expect, it } from 'vitest';
import { columnStatistics } from '../../src/lake/parquet-stats.js';

const bytes = (s: string) => new TextEncoder().encode(s);

describe('parquet statistics', () => {
  it('parquet-stats: int64 min/max compare signed 64-bit values, not their halves', () => {
    const data = BigInt64Array.from([5n, -1n, 2n ** 40n, -(2n ** 63n), 2n ** 63n - 1n, 0xffffffffn, 0n]);
    expect(columnStatistics(data, 0, data.length, false)).toEqual({ min_value: -(2n ** 63n), max_value: 2n ** 63n - 1n, null_count: 0n });
    // A row range: only rows [0, 3) count.
    expect(columnStatistics(data, 0, 3, false)).toMatchObject({ min_value: -1n, max_value: 2n ** 40n });
    // Low words that differ only in the sign bit order as unsigned.
    const lo = BigInt64Array.from([0x7fffffffn, 0x80000000n]);
    expect(columnStatistics(lo, 0, 2, false)).toMatchObject({ min_value: 0x7fffffffn, max_value: 0x80000000n });
  });

  it('parquet-stats: a sub-array view of an int64 column reads its own rows', () => {
    const whole = BigInt64Array.from([100n, 1n, 2n, 3n]);
    expect(columnStatistics(whole.subarray(1), 0, 3, false)).toMatchObject({ min_value: 1n, max_value: 3n });
  });

  it('parquet-stats: doubles skip and count NaN, zero bounds are -0 and +0', () => {
    const zero = columnStatistics(Float64Array.from([NaN, 0, NaN]), 0, 3, true);
    expect(Object.is(zero.min_value, -0)).toBe(true);
    expect(Object.is(zero.max_value, 0)).toBe(true);
    expect(zero.nan_count).toBe(2n);
    expect(columnStatistics(Float64Array.from([NaN, 0, 3.5]), 0, 3, true)).toMatchObject({ max_value: 3.5, nan_count: 1n });
    expect(columnStatistics(Float64Array.from([NaN]), 0, 1, true)).toEqual({ null_count: 0n, nan_count: 1n });
  });

  it('parquet-stats: int32 bounds', () => {
    expect(columnStatistics(Int32Array.from([3, -7, 9, 0]), 0, 4, false)).toEqual({ min_value: -7, max_value: 9, null_count: 0n });
  });

  it('parquet-stats: byte arrays order as unsigned bytes, nulls are counted', () => {
    const data = [bytes('b'), null, bytes('ab'), bytes('\u00e9'), bytes('a'), null];
    const s = columnStatistics(data, 0, data.length, false);
    expect(s.min_value).toEqual(bytes('a'));
    expect(s.max_value).toEqual(bytes('\u00e9'));
    expect(s.null_count).toBe(2n);
    expect(s.nan_count).toBeUndefined();
  });

  it('parquet-stats: nullable numbers and booleans; an all-null chunk has no bounds', () => {
    expect(columnStatistics([null, 4, -2, null], 0, 4, false)).toEqual({ min_value: -2, max_value: 4, null_count: 2n });
    expect(columnStatistics([true, null, false], 0, 3, false)).toEqual({ min_value: false, max_value: true, null_count: 1n });
    expect(columnStatistics([null, null], 0, 2, true)).toEqual({ min_value: undefined, max_value: undefined, null_count: 2n, nan_count: 0n });
  });
});
