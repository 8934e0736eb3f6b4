import { describe, expect, it } from 'vitest';
import { latestAndPeak, SeriesWindow } from '../../src/console/series.js';

describe('console series window', () => {
  it('takes only samples newer than the newest it holds, times in seconds for uPlot', () => {
    const w = new SeriesWindow(['a', 'b'] as const, 10);
    expect(w.lastTimeMs).toBeUndefined();
    expect(w.append([1000, 2000], { a: [1, 2], b: [null, 5] })).toBe(2);
    // A poll that overlaps the previous one (same since) adds nothing twice.
    expect(w.append([2000, 3000], { a: [2, 3] })).toBe(1);
    expect(w.lastTimeMs).toBe(3000);
    expect(w.data('a', 'b')).toEqual([[1, 2, 3], [1, 2, 3], [null, 5, null]]);
  });

  it('holds at most its capacity, trimming the same arrays in place', () => {
    const w = new SeriesWindow(['a'] as const, 3);
    const [time, a] = w.data('a');
    for (let i = 1; i <= 1000; i++) w.append([i * 1000], { a: [i] });
    expect(w.size).toBe(3);
    expect(w.data('a')[0]).toBe(time);
    expect(w.data('a')[1]).toBe(a);
    expect(a).toEqual([998, 999, 1000]);
    w.push(1_001_000, { a: 7 });
    expect(a).toEqual([999, 1000, 7]);
  });

  it('finds the newest value and the peak of a column', () => {
    expect(latestAndPeak([])).toEqual({ latest: null, peak: null });
    expect(latestAndPeak([3, null, 9, 1])).toEqual({ latest: 1, peak: 9 });
    expect(latestAndPeak([null, null])).toEqual({ latest: null, peak: null });
  });

  it('refuses a capacity that is not a positive integer', () => {
    expect(() => new SeriesWindow(['a'] as const, 0)).toThrow(RangeError);
  });
});
