import { describe, expect, it } from 'vitest';
import { keyId } from '../../src/kv/changelog.js';
import { Memtable } from '../../src/kv/memtable.js';

const key = (...bytes: number[]) => new Uint8Array(bytes);

describe('Memtable', () => {
  it('snapshots in key byte order, including bytes above 0x7f', () => {
    const m = new Memtable();
    for (const k of [key(2, 0xff), key(1), key(2), key(0x80), key(2, 0x01)]) m.set(keyId(k), { key: k, value: k });
    expect(m.snapshot().entries.map((e) => [...e.key])).toEqual([[1], [2], [2, 1], [2, 0xff], [0x80]]);
  });

  it('release keeps entries replaced after the snapshot and drops the rest', () => {
    const m = new Memtable();
    const a = key(1);
    const b = key(2);
    m.set(keyId(a), { key: a, value: key(10) });
    m.set(keyId(b), { key: b, value: key(20) });
    const snap = m.snapshot();
    m.set(keyId(b), { key: b, value: undefined });
    m.release(snap);
    expect(m.size).toBe(1);
    expect(m.get(keyId(a))).toBeUndefined();
    expect(m.get(keyId(b))?.value).toBeUndefined();
    expect(m.get(keyId(b))).toBeDefined();
  });

  it('accounts bytes on set, replace and release', () => {
    const m = new Memtable();
    const a = key(1, 2, 3);
    m.set(keyId(a), { key: a, value: new Uint8Array(100) });
    const one = m.bytes;
    expect(one).toBeGreaterThan(100);
    m.set(keyId(a), { key: a, value: new Uint8Array(300) });
    expect(m.bytes).toBe(one + 200);
    m.release(m.snapshot());
    expect(m.bytes).toBe(0);
  });

  it('finds entries by prefix, deleted keys included, and forgets them once released', () => {
    const m = new Memtable();
    const k1 = key(7, 1);
    const k2 = key(7, 2);
    const k3 = key(8, 1);
    m.set(keyId(k1), { key: k1, value: key(1), prefixId: keyId(key(7)) });
    m.set(keyId(k2), { key: k2, value: undefined, prefixId: keyId(key(7)) });
    m.set(keyId(k3), { key: k3, value: key(3), prefixId: keyId(key(8)) });
    expect([...m.withPrefix(keyId(key(7))).keys()].sort()).toEqual([keyId(k1), keyId(k2)]);
    m.release(m.snapshot());
    expect(m.withPrefix(keyId(key(7))).size).toBe(0);
  });
});
