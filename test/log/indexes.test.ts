import { describe, expect, test } from 'vitest';
import { OffsetIndex } from '../../src/log/offset-index.js';
import { TimeIndex } from '../../src/log/time-index.js';

describe('offset index', () => {
  test('offset index: looks up the last entry at or before an offset', () => {
    const idx = new OffsetIndex();
    expect(idx.lookup(5)).toEqual({ relOffset: 0, position: 0 });
    for (let i = 1; i <= 100; i++) idx.append(i * 10, i * 1000);
    expect(idx.lookup(0)).toEqual({ relOffset: 0, position: 0 });
    expect(idx.lookup(10)).toEqual({ relOffset: 10, position: 1000 });
    expect(idx.lookup(19)).toEqual({ relOffset: 10, position: 1000 });
    expect(idx.lookup(555)).toEqual({ relOffset: 550, position: 55000 });
    expect(idx.lookup(1e9)).toEqual({ relOffset: 1000, position: 100000 });
    expect(() => idx.append(1000, 200000)).toThrow(/not after/);
  });

  test('offset index: survives encode/decode and refuses stale, short or garbage files', () => {
    const idx = new OffsetIndex();
    for (let i = 1; i <= 20; i++) idx.append(i * 3, i * 100);
    const bytes = idx.encode(5000, 70);
    const back = OffsetIndex.decode(bytes, 5000);
    expect(typeof back).not.toBe('string');
    if (typeof back !== 'string') {
      expect(back.endRelOffset).toBe(70);
      expect(back.index.lookup(31)).toEqual({ relOffset: 30, position: 1000 });
    }
    expect(OffsetIndex.decode(bytes, 4999)).toMatch(/covers 5000/); // log grew or shrank since
    expect(OffsetIndex.decode(bytes.subarray(0, bytes.length - 3), 5000)).toEqual(expect.any(String));
    expect(OffsetIndex.decode(new Uint8Array(0), 5000)).toEqual(expect.any(String));
    expect(OffsetIndex.decode(Buffer.from('garbage garbage garbage garbage!'), 5000)).toEqual(expect.any(String));
    for (let i = 0; i < bytes.length; i++) {
      const damaged = Uint8Array.from(bytes);
      damaged[i]! ^= 0x10;
      expect(typeof OffsetIndex.decode(damaged, 5000)).toBe('string');
    }
    expect(OffsetIndex.decode(idx.encode(1500, 70), 1500)).toMatch(/outside the segment/); // positions past the log
  });
});

describe('time index', () => {
  test('time index: scan starts after every batch known to be older', () => {
    const idx = new TimeIndex();
    expect(idx.scanStart(100)).toBe(0);
    idx.maybeAppend(100, 10);
    idx.maybeAppend(100, 20); // timestamp did not grow: no entry
    idx.maybeAppend(200, 30);
    expect(idx.entries).toBe(2);
    expect(idx.scanStart(100)).toBe(0);
    expect(idx.scanStart(101)).toBe(10);
    expect(idx.scanStart(201)).toBe(30);
    const back = TimeIndex.decode(idx.encode(999, 250), 999, 40);
    expect(typeof back).not.toBe('string');
    if (typeof back !== 'string') {
      expect(back.maxTimestamp).toBe(250);
      expect(back.index.scanStart(201)).toBe(30);
    }
    expect(TimeIndex.decode(idx.encode(999, 250), 999, 25)).toMatch(/out of range/);
    expect(TimeIndex.decode(idx.encode(999, 150), 999, 40)).toMatch(/out of range/);
  });
});
