import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/common/seeded-random.js';
import { keyId } from '../../src/kv/changelog.js';
import { decodeIndexBatch } from '../../src/kv/index-batch.js';
import { Memtable } from '../../src/kv/memtable.js';

const key = (...bytes: number[]) => new Uint8Array(bytes);

const show = (v: Uint8Array | null | undefined) => (v === undefined ? 'missing' : v === null ? 'deleted' : [...v].join(','));

describe('Memtable', () => {
  it('answers as a map of each key to its newest state, through growth of its table and arena (random writes against a model)', () => {
    const random = seededRandom(17);
    const m = new Memtable();
    const model = new Map<string, { key: Uint8Array; value: Uint8Array | undefined }>();
    const kept: { key: Uint8Array; view: Uint8Array | null | undefined; bytes: string }[] = [];
    for (let i = 0; i < 30_000; i++) {
      const k = Uint8Array.from({ length: 1 + Math.floor(random() * 6) }, () => Math.floor(random() * 24));
      const value = random() < 0.15 ? undefined : Uint8Array.from({ length: Math.floor(random() * (random() < 0.01 ? 70_000 : 40)) }, () => Math.floor(random() * 256));
      m.set(k, value);
      model.set(keyId(k), { key: k, value });
      if (i % 500 === 0) {
        const view = m.get(k);
        kept.push({ key: k, view, bytes: show(view) });
      }
      if (i % 2000 === 0) {
        const probe = Uint8Array.from({ length: 1 + Math.floor(random() * 6) }, () => Math.floor(random() * 24));
        const want = model.get(keyId(probe));
        expect(show(m.get(probe))).toBe(want === undefined ? 'missing' : want.value === undefined ? 'deleted' : show(want.value));
      }
    }
    expect(m.size).toBe(model.size);
    for (const { key: k, value } of model.values()) expect(show(m.get(k))).toBe(value === undefined ? 'deleted' : show(value));
    // A view handed out earlier still shows what it showed, whatever was written since.
    for (const k of kept) expect(show(k.view)).toBe(k.bytes);
    const visited = new Map<string, string>();
    m.forEach((k, v) => visited.set(keyId(k), v === undefined ? 'deleted' : show(v)));
    const expected = new Map([...model].map(([id, e]) => [id, e.value === undefined ? 'deleted' : show(e.value)]));
    expect(visited).toEqual(expected);
    const batch = decodeIndexBatch(m.toIndexBatch());
    expect(new Map(batch.map((e) => [keyId(e.key), e.value === undefined ? 'deleted' : show(e.value)]))).toEqual(expected);
    expect(batch.length).toBe(model.size);
  });

  it('holds more bytes as it takes records, replaced ones included', () => {
    const m = new Memtable();
    const a = key(1, 2, 3);
    m.set(a, new Uint8Array(100));
    const one = m.bytes;
    m.set(a, new Uint8Array(300));
    expect(m.bytes).toBe(one + 6 + 3 + 300);
    expect(m.size).toBe(1);
    expect(decodeIndexBatch(m.toIndexBatch()).map((e) => e.value!.length)).toEqual([300]);
  });

  it('finds entries by prefix, deleted keys included', () => {
    const m = new Memtable();
    const k1 = key(7, 1);
    const k2 = key(7, 2);
    const k3 = key(8, 1);
    m.set(k1, key(1), keyId(key(7)));
    m.set(k2, undefined, keyId(key(7)));
    m.set(k3, key(3), keyId(key(8)));
    m.set(k1, key(9), keyId(key(7)));
    expect([...m.withPrefix(keyId(key(7))).entries()].map(([id, e]) => [id, [...e.key], e.value && [...e.value]])).toEqual([[keyId(k1), [7, 1], [9]], [keyId(k2), [7, 2], undefined]]);
    expect([...m.withPrefix(keyId(key(8))).values()]).toEqual([{ key: k3, value: key(3) }]);
    expect(m.withPrefix(keyId(key(9))).size).toBe(0);
  });
});
