import { describe, expect, test } from 'vitest';
import { crc32c } from '../../src/log/crc32c.js';

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
});
