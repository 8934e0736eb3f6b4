import { describe, expect, test } from 'vitest';
import { crc32c, crc32cJs } from '../../src/common/crc32c.js';

describe('crc32c', () => {
  test('crc32c: matches the Castagnoli check values', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(0))).toBe(0);
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa); // RFC 3720 B.4: 32 bytes of zeros
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
  });

  test('crc32c: continuing over ranges equals one pass, at every split and alignment', () => {
    const data = Buffer.from(Array.from({ length: 100 }, (_, i) => (i * 37 + 11) & 0xff));
    const whole = crc32c(data);
    for (let split = 0; split <= data.length; split++) {
      expect(crc32c(data, split, data.length, crc32c(data, 0, split))).toBe(whole);
    }
    expect(crc32c(data.subarray(3), 0, 50)).toBe(crc32c(data, 3, 53));
  });

  test('crc32c: refuses a range outside the buffer', () => {
    expect(() => crc32c(new Uint8Array(4), 0, 5)).toThrow(RangeError);
  });

  test('crc32c: the native and the JS implementations agree on every length and offset', () => {
    const data = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 131 + 7) & 0xff));
    for (const [start, end] of [[0, 5000], [1, 4999], [3, 259], [7, 263], [100, 356], [0, 255], [0, 256], [17, 4096]] as const) {
      expect(crc32c(data, start, end)).toBe(crc32cJs(data, start, end));
      expect(crc32c(data, start, end, 0x1234)).toBe(crc32cJs(data, start, end, 0x1234));
    }
  });
});
