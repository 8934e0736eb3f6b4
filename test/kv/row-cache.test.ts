import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/common/seeded-random.js';
import { RowCache } from '../../src/kv/row-cache.js';

const bytes = (...b: number[]) => new Uint8Array(b);
const copy = (v: Uint8Array | null | undefined) => (v ? [...v] : v);

describe('RowCache', () => {
  it('answers what was put: a row, a known-absent key, or nothing', () => {
    const cache = new RowCache(1 << 20);
    const p = cache.newPartition();
    cache.put(p, bytes(1, 2), bytes(9, 9, 9));
    cache.put(p, bytes(3), null);
    expect(copy(cache.get(p, bytes(1, 2)))).toEqual([9, 9, 9]);
    expect(cache.get(p, bytes(3))).toBeNull();
    expect(cache.get(p, bytes(1))).toBeUndefined();
    expect(cache.get(p, bytes(1, 2, 0))).toBeUndefined();
    expect([cache.hits, cache.misses]).toEqual([2, 2]);
  });

  it('refreshes only keys it holds', () => {
    const cache = new RowCache(1 << 20);
    const p = cache.newPartition();
    cache.put(p, bytes(1), bytes(1));
    cache.refresh(p, bytes(1), bytes(2));
    cache.refresh(p, bytes(2), bytes(2));
    expect(copy(cache.get(p, bytes(1)))).toEqual([2]);
    expect(cache.get(p, bytes(2))).toBeUndefined();
    cache.refresh(p, bytes(1), null);
    expect(cache.get(p, bytes(1))).toBeNull();
  });

  it('knows whether it holds anything of a partition, through removes and evictions', () => {
    const cache = new RowCache(2048, 1024);
    const a = cache.newPartition();
    const b = cache.newPartition();
    expect([cache.holdsAny(a), cache.holdsAny(b)]).toEqual([false, false]);
    cache.put(a, bytes(1), bytes(1));
    cache.put(a, bytes(1), bytes(2));
    cache.put(a, bytes(2), null);
    expect([cache.holdsAny(a), cache.holdsAny(b)]).toEqual([true, false]);
    cache.remove(a, bytes(1));
    cache.remove(a, bytes(2));
    expect(cache.holdsAny(a)).toBe(false);
    cache.put(a, bytes(3), new Uint8Array(900));
    for (let i = 0; i < 3; i++) cache.put(b, bytes(i), new Uint8Array(900)); // evicts a's segment
    expect([cache.holdsAny(a), cache.holdsAny(b)]).toEqual([false, true]);
  });

  it('keeps partitions apart', () => {
    const cache = new RowCache(1 << 20);
    const a = cache.newPartition();
    const b = cache.newPartition();
    cache.put(a, bytes(1), bytes(10));
    cache.put(b, bytes(1), bytes(20));
    expect(copy(cache.get(a, bytes(1)))).toEqual([10]);
    expect(copy(cache.get(b, bytes(1)))).toEqual([20]);
    cache.remove(a, bytes(1));
    expect(cache.get(a, bytes(1))).toBeUndefined();
    expect(copy(cache.get(b, bytes(1)))).toEqual([20]);
  });

  it('replaces a value, and a value too big to cache drops the stale one', () => {
    const cache = new RowCache(4096, 1024);
    const p = cache.newPartition();
    cache.put(p, bytes(5), bytes(1));
    cache.put(p, bytes(5), bytes(2, 2));
    expect(copy(cache.get(p, bytes(5)))).toEqual([2, 2]);
    cache.put(p, bytes(5), new Uint8Array(2000));
    expect(cache.get(p, bytes(5))).toBeUndefined();
    expect(cache.entries).toBe(0);
  });

  it('evicts the oldest segment first and stays within its capacity', () => {
    const cache = new RowCache(4 * 1024, 1024);
    const p = cache.newPartition();
    const value = new Uint8Array(90);
    const key = (i: number) => bytes(i >>> 8, i & 0xff);
    for (let i = 0; i < 400; i++) cache.put(p, key(i), value);
    expect(cache.allocatedBytes).toBe(4 * 1024);
    expect(cache.get(p, key(0))).toBeUndefined();
    expect(cache.get(p, key(399))).toBeDefined();
    // 102-byte records, 10 per 1 KiB segment: at most four segments' worth survive.
    expect(cache.entries).toBeLessThanOrEqual(40);
    expect(cache.entries).toBeGreaterThanOrEqual(30);
  });

  it('a size of 0 caches nothing', () => {
    const cache = new RowCache(0);
    const p = cache.newPartition();
    cache.put(p, bytes(1), bytes(1));
    expect(cache.enabled).toBe(false);
    expect(cache.get(p, bytes(1))).toBeUndefined();
  });

  it('never answers a stale value (random puts, removes and evictions against a model)', () => {
    const random = seededRandom(20261126);
    const cache = new RowCache(16 * 1024, 2048);
    const parts = [cache.newPartition(), cache.newPartition()];
    const model = new Map<string, number[] | null>();
    let answered = 0;
    for (let step = 0; step < 50_000; step++) {
      const p = parts[Math.floor(random() * 2)]!;
      const key = bytes(...Array.from({ length: 1 + Math.floor(random() * 3) }, () => Math.floor(random() * 12)));
      const id = `${p}:${key.join(',')}`;
      const r = random();
      if (r < 0.4) {
        const value = random() < 0.1 ? null : Array.from({ length: Math.floor(random() * 300) }, () => Math.floor(random() * 256));
        cache.put(p, key, value === null ? null : Uint8Array.from(value));
        model.set(id, value);
      } else if (r < 0.5) {
        const value = Array.from({ length: Math.floor(random() * 100) }, () => Math.floor(random() * 256));
        cache.refresh(p, key, Uint8Array.from(value));
        if (model.has(id)) model.set(id, value);
      } else if (r < 0.55) {
        cache.remove(p, key);
        model.delete(id);
      } else {
        const got = cache.get(p, key);
        if (got === undefined) continue;
        answered++;
        expect(model.has(id)).toBe(true);
        expect(copy(got)).toEqual(model.get(id));
      }
    }
    expect(answered).toBeGreaterThan(1000);
    for (const p of parts) {
      const keys = [...model.keys()].filter((id) => id.startsWith(`${p}:`)).map((id) => bytes(...id.slice(id.indexOf(':') + 1).split(',').map(Number)));
      expect(cache.holdsAny(p)).toBe(keys.some((key) => cache.get(p, key) !== undefined));
    }
  });
});
