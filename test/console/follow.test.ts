import { describe, expect, it } from 'vitest';
import { follow, followStart } from '../../src/console/follow.js';

const reply = (from: number, n: number, hw: number) => ({ records: Array.from({ length: n }, (_, i) => from + i), nextOffset: String(from + n), highWatermark: String(hw) });

describe('console follow', () => {
  it('starts N before the high watermark, never before the local log start', () => {
    expect(followStart(0n, 100n, 20)).toBe(80n);
    expect(followStart(0n, 5n, 20)).toBe(0n);
    expect(followStart(90n, 100n, 20)).toBe(90n);
  });

  it('appends new records and keeps the newest N', () => {
    let shown = follow(undefined, reply(80, 20, 100), 20);
    expect(shown).toEqual({ records: Array.from({ length: 20 }, (_, i) => 80 + i), next: 100n, skipped: false });
    shown = follow(shown, reply(100, 0, 100), 20);
    expect(shown.records).toHaveLength(20);
    expect(shown.next).toBe(100n);
    shown = follow(shown, reply(100, 3, 103), 20);
    expect(shown.records[0]).toBe(83);
    expect(shown.records.at(-1)).toBe(102);
    expect(shown.next).toBe(103n);
  });

  it('skips to the newest N when writes outrun it, and then replaces what it shows', () => {
    let shown = follow(undefined, reply(80, 20, 100), 20);
    // A burst: the fetch from 100 returned 20 of 500 new records.
    shown = follow(shown, reply(100, 20, 600), 20);
    expect(shown.records.at(-1)).toBe(119);
    expect(shown).toMatchObject({ next: 580n, skipped: true });
    shown = follow(shown, reply(580, 20, 600), 20);
    expect(shown.records).toEqual(Array.from({ length: 20 }, (_, i) => 580 + i));
    expect(shown).toMatchObject({ next: 600n, skipped: false });
  });
});
