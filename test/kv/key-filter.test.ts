import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/common/seeded-random.js';
import { encodeKey } from '../../src/common/key-encoding.js';
import { KeyFilter } from '../../src/kv/key-filter.js';

const int64 = [{ name: 'id', type: 'int64' as const, nullable: false }];
const keyOf = (id: number) => encodeKey(int64, [BigInt(id)]);

describe('KeyFilter', () => {
  it('never forgets a key, and finds about 1% of absent ones, for dense integer keys', () => {
    const filter = new KeyFilter(100_000);
    for (let i = 0; i < 100_000; i++) filter.add(keyOf(i * 2));
    for (let i = 0; i < 100_000; i++) expect(filter.mightContain(keyOf(i * 2))).toBe(true);
    let falsePositives = 0;
    for (let i = 0; i < 100_000; i++) if (filter.mightContain(keyOf(i * 2 + 1))) falsePositives++;
    expect(falsePositives / 100_000).toBeLessThan(0.02);
    expect(filter.full).toBe(false);
  });

  it('keeps its rate for random byte keys of any length, and says when it holds more than it was sized for', () => {
    const random = seededRandom(3);
    const bytes = () => Uint8Array.from({ length: 4 + Math.floor(random() * 30) }, () => Math.floor(random() * 256));
    const filter = new KeyFilter(20_000);
    const keys = Array.from({ length: 20_000 }, bytes);
    for (const k of keys) filter.add(k);
    expect(keys.every((k) => filter.mightContain(k))).toBe(true);
    let falsePositives = 0;
    for (let i = 0; i < 20_000; i++) if (filter.mightContain(bytes())) falsePositives++;
    expect(falsePositives / 20_000).toBeLessThan(0.02);
    filter.add(bytes());
    expect(filter.full).toBe(true);
  });

  it('answers absent for everything when empty, and works at its smallest size', () => {
    const filter = new KeyFilter(0);
    expect(filter.bytes).toBe(64);
    expect(filter.mightContain(keyOf(1))).toBe(false);
    filter.add(keyOf(1));
    expect(filter.mightContain(keyOf(1))).toBe(true);
  });
});
