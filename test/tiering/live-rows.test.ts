import { describe, expect, it } from 'vitest';
import { foldChangelog, liveRowsByOffset, type LiveRow } from '../../src/tiering/live-rows.js';

describe('live rows of a changelog', () => {
  it('keeps the latest row per key, applies deletes, ignores before-images', () => {
    const state = new Map<string, LiveRow>();
    const keyOf = (r: Record<string, unknown>) => String(r.id);
    foldChangelog(state, keyOf, { rows: [{ id: 1, v: 'a' }, { id: 2, v: 'b' }], offsets: [0n, 1n], timestamps: [10, 11], changeTypes: null });
    foldChangelog(state, keyOf, {
      rows: [{ id: 1, v: 'a' }, { id: 1, v: 'a2' }, { id: 2, v: 'b' }, { id: 3, v: 'c' }],
      offsets: [2n, 3n, 4n, 5n], timestamps: [12, 13, 14, 15], changeTypes: ['-U', '+U', '-D', '+I'],
    });
    expect(liveRowsByOffset(state)).toEqual([
      { row: { id: 1, v: 'a2' }, offset: 3n, timestamp: 13 },
      { row: { id: 3, v: 'c' }, offset: 5n, timestamp: 15 },
    ]);
  });
});
