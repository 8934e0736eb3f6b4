import { describe, expect, it } from 'vitest';
import { keyId } from '../../src/kv/changelog.js';
import { Memtable } from '../../src/kv/memtable.js';

const key = (...bytes: number[]) => new Uint8Array(bytes);

describe('Memtable', () => {
  it('lists each key once, with its latest state', () => {
    const m = new Memtable();
    for (const k of [key(2, 0xff), key(1), key(2), key(0x80), key(2, 0x01)]) m.set(keyId(k), { key: k, value: k });
    m.set(keyId(key(1)), { key: key(1), value: undefined });
    expect(m.list().map((e) => [[...e.key], e.value && [...e.value]])).toEqual([[[2, 0xff], [2, 0xff]], [[1], undefined], [[2], [2]], [[0x80], [0x80]], [[2, 1], [2, 1]]]);
  });

  it('accounts bytes on set and replace', () => {
    const m = new Memtable();
    const a = key(1, 2, 3);
    m.set(keyId(a), { key: a, value: new Uint8Array(100) });
    const one = m.bytes;
    expect(one).toBeGreaterThan(100);
    m.set(keyId(a), { key: a, value: new Uint8Array(300) });
    expect(m.bytes).toBe(one + 200);
  });

  it('finds entries by prefix, deleted keys included', () => {
    const m = new Memtable();
    const k1 = key(7, 1);
    const k2 = key(7, 2);
    const k3 = key(8, 1);
    m.set(keyId(k1), { key: k1, value: key(1), prefixId: keyId(key(7)) });
    m.set(keyId(k2), { key: k2, value: undefined, prefixId: keyId(key(7)) });
    m.set(keyId(k3), { key: k3, value: key(3), prefixId: keyId(key(8)) });
    expect([...m.withPrefix(keyId(key(7))).keys()].sort()).toEqual([keyId(k1), keyId(k2)]);
    expect([...m.withPrefix(keyId(key(8))).values()]).toEqual([{ key: k3, value: key(3), prefixId: keyId(key(8)) }]);
    expect(m.withPrefix(keyId(key(9))).size).toBe(0);
  });
});
