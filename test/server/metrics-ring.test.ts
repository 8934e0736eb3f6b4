import { describe, expect, it } from 'vitest';
import { MetricsRing } from '../../src/server/metrics-ring.js';

describe('metrics ring', () => {
  it('returns the samples oldest first, null where a series had no value', () => {
    const ring = new MetricsRing(['a', 'b'] as const, 4);
    ring.push(1000, { a: 1, b: 10 });
    ring.push(2000, { a: 2 });
    expect(ring.size).toBe(2);
    expect(ring.window()).toEqual({ time: [1000, 2000], series: { a: [1, 2], b: [10, null] } });
  });

  it('overwrites the oldest sample once full, so it holds at most its capacity', () => {
    const ring = new MetricsRing(['a'] as const, 3);
    for (let i = 1; i <= 7; i++) ring.push(i * 1000, { a: i });
    expect(ring.size).toBe(3);
    expect(ring.window()).toEqual({ time: [5000, 6000, 7000], series: { a: [5, 6, 7] } });
  });

  it('returns only samples after a time, across the wrap-around', () => {
    const ring = new MetricsRing(['a'] as const, 3);
    for (let i = 1; i <= 5; i++) ring.push(i * 1000, { a: i });
    expect(ring.window(3999).time).toEqual([4000, 5000]);
    expect(ring.window(5000).time).toEqual([]);
    expect(ring.window(0).time).toEqual([3000, 4000, 5000]);
  });

  it('sums the extras of the held samples by key, forgetting those overwritten', () => {
    const ring = new MetricsRing(['a'] as const, 3);
    ring.push(1000, { a: 0 }, [['TABLE_NOT_FOUND', 5]]);
    ring.push(2000, { a: 0 }, [['FORBIDDEN', 1], ['TABLE_NOT_FOUND', 2]]);
    ring.push(3000, { a: 0 }, []);
    ring.push(4000, { a: 0 }, [['FORBIDDEN', 2]]);
    expect(ring.extrasSummed()).toEqual([
      { key: 'FORBIDDEN', count: 3, lastAt: 4000 },
      { key: 'TABLE_NOT_FOUND', count: 2, lastAt: 2000 },
    ]);
  });

  it('refuses a capacity that is not a positive integer', () => {
    expect(() => new MetricsRing(['a'] as const, 0)).toThrow(RangeError);
    expect(() => new MetricsRing(['a'] as const, 1.5)).toThrow(RangeError);
  });
});
