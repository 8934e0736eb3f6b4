import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/common/seeded-random.js';
import { LakestreamError } from '../../src/common/errors.js';
import { decodeIndexBatch, encodeIndexBatch, type IndexEntry } from '../../src/kv/index-batch.js';

const bytes = (...b: number[]) => new Uint8Array(b);

describe('index batch', () => {
  it('round-trips keys, values, empty values and deletes, in order', () => {
    const random = seededRandom(5);
    const entries: IndexEntry[] = [{ key: bytes(1), value: new Uint8Array(0) }, { key: bytes(2, 3), value: undefined }];
    for (let i = 0; i < 500; i++) {
      const key = Uint8Array.from({ length: 1 + Math.floor(random() * 40) }, () => Math.floor(random() * 256));
      const value = random() < 0.2 ? undefined : Uint8Array.from({ length: Math.floor(random() * 300) }, () => Math.floor(random() * 256));
      entries.push({ key, value });
    }
    // Views into a larger buffer, as the memtable holds them.
    const shared = new Uint8Array(64);
    shared.set([9, 9, 7, 8, 9], 10);
    entries.push({ key: shared.subarray(12, 13), value: shared.subarray(13, 15) });
    const decoded = decodeIndexBatch(encodeIndexBatch(entries));
    expect(decoded.map((e) => [[...e.key], e.value && [...e.value]])).toEqual(entries.map((e) => [[...e.key], e.value && [...e.value]]));
    expect(decodeIndexBatch(encodeIndexBatch([]))).toEqual([]);
  });

  it('refuses every truncation and trailing bytes with STORAGE_ERROR', () => {
    const encoded = encodeIndexBatch([{ key: bytes(1, 2), value: bytes(3, 4, 5) }, { key: bytes(6), value: undefined }]);
    for (let cut = 0; cut < encoded.length; cut++) {
      expect(() => decodeIndexBatch(encoded.subarray(0, cut)), `cut at ${cut}`).toThrow(LakestreamError);
    }
    const longer = new Uint8Array(encoded.length + 1);
    longer.set(encoded);
    expect(() => decodeIndexBatch(longer)).toThrow(/after the last entry/);
    const badLength = encoded.slice();
    new DataView(badLength.buffer).setInt32(6, -2, true);
    expect(() => decodeIndexBatch(badLength)).toThrow(/value length -2/);
  });
});
