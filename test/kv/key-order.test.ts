import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/common/seeded-random.js';
import { compareBytes, encodeKey } from '../../src/common/key-encoding.js';
import { keyOrder } from '../../src/kv/key-order.js';

const sortedBy = (keys: Uint8Array[], order: Uint32Array) => Array.from(order, (i) => keys[i]!);
const expected = (keys: Uint8Array[]) => [...keys].sort(compareBytes);

describe('keyOrder', () => {
  it('orders keys as their bytes compare, each index once, for many shapes of batch', () => {
    const random = seededRandom(9);
    const shapes: (() => Uint8Array)[] = [
      () => Uint8Array.from({ length: Math.floor(random() * 12) }, () => Math.floor(random() * 256)),
      () => Uint8Array.from({ length: 1 + Math.floor(random() * 3) }, () => (random() < 0.5 ? 0 : Math.floor(random() * 3))),
      () => Uint8Array.from([7, 7, 7, 7, 7, 7, ...Array.from({ length: Math.floor(random() * 8) }, () => Math.floor(random() * 4))]),
      () => encodeKey([{ name: 'id', type: 'int64', nullable: false }], [BigInt(Math.floor(random() * 2e6) - 1e6)]),
      () => encodeKey([{ name: 's', type: 'string', nullable: false }, { name: 'n', type: 'int32', nullable: false }], [`user-${Math.floor(random() * 50)}`, Math.floor(random() * 100)]),
    ];
    for (const [s, shape] of shapes.entries()) {
      for (const n of [0, 1, 2, 17, 3000]) {
        const keys = Array.from({ length: n }, shape);
        const order = keyOrder(keys);
        expect(new Set(order).size, `shape ${s}, ${n} keys`).toBe(n);
        expect(sortedBy(keys, order), `shape ${s}, ${n} keys`).toEqual(expected(keys));
      }
    }
  });

  it('puts a key before the longer keys it is a prefix of, zero bytes or not', () => {
    const keys = [[1, 2, 0, 0], [1, 2], [1, 2, 0], [1, 2, 0, 0, 0, 0, 1], [1, 2, 0, 0, 0, 0], [1, 1, 255]].map((k) => Uint8Array.from(k));
    expect(sortedBy(keys, keyOrder(keys)).map((k) => [...k])).toEqual(expected(keys).map((k) => [...k]));
  });
});
