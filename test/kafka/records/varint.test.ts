import { describe, expect, test } from 'vitest';
import { RecordBatchError } from '../../../src/kafka/records/record-batch-error.js';
import { ByteCursor, sizeOfVarint, sizeOfVarlong, writeVarint, writeVarlong } from '../../../src/kafka/records/varint.js';

const INT32 = [0, 1, -1, 63, -64, 64, -65, 8191, -8192, 8192, 2 ** 20, -(2 ** 20), 2 ** 27, 2 ** 31 - 1, -(2 ** 31)];
const LONGS = [...INT32, 2 ** 31, -(2 ** 31) - 1, 2 ** 35 + 3, -(2 ** 40), 1_700_000_000_000, 2 ** 52, -(2 ** 52)];

function written(write: (buf: Uint8Array, pos: number, n: number) => number, n: number): Uint8Array {
  const buf = new Uint8Array(16);
  return buf.subarray(0, write(buf, 0, n));
}

describe('varint', () => {
  test('varint: zigzag varints are Kafka\'s bytes', () => {
    // ByteUtils: 0 -> 00, -1 -> 01, 1 -> 02, 63 -> 7e, -64 -> 7f, 64 -> 8001, int32 min -> ffffffff0f
    expect([0, -1, 1, 63, -64, 64, -(2 ** 31)].map((n) => Buffer.from(written(writeVarint, n)).toString('hex')))
      .toEqual(['00', '01', '02', '7e', '7f', '8001', 'ffffffff0f']);
    expect(Buffer.from(written(writeVarlong, 2 ** 35)).toString('hex')).toBe('8080808080' + '02');
  });

  test('varint: every value reads back, and its size is what is written', () => {
    for (const n of INT32) {
      const bytes = written(writeVarint, n);
      expect([n, bytes.length]).toEqual([new ByteCursor(bytes, 0, bytes.length).varint('v'), sizeOfVarint(n)]);
    }
    for (const n of LONGS) {
      const bytes = written(writeVarlong, n);
      expect([n, bytes.length]).toEqual([new ByteCursor(bytes, 0, bytes.length).varlong('v'), sizeOfVarlong(n)]);
    }
  });

  test('varint: reads stop at the cursor\'s end, and over-long encodings are refused', () => {
    const cutOff = Uint8Array.of(0x80, 0x80);
    expect(() => new ByteCursor(cutOff, 0, 2).varint('x')).toThrow(/x at byte 0 runs past the end/);
    expect(() => new ByteCursor(Uint8Array.of(0x80, 0x01), 0, 1).varlong('y')).toThrow(RecordBatchError);
    expect(() => new ByteCursor(Uint8Array.of(0x80, 0x80, 0x80, 0x80, 0x80, 0x01), 0, 6).varint('z')).toThrow(/longer than 5 bytes/);
    expect(() => new ByteCursor(new Uint8Array(4), 0, 4).bytes(5, 'value')).toThrow(/value of 5 bytes at byte 0 runs past/);
    expect(() => new ByteCursor(Uint8Array.of(), 0, 0).skip(1, 'attributes')).toThrow(RecordBatchError);
  });

  test('varint: a varlong beyond +-2^52 is refused, not rounded', () => {
    const bytes = Uint8Array.of(0x81, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01); // 2^56 + 1, zigzag
    expect(() => new ByteCursor(bytes, 0, bytes.length).varlong('timestamp delta')).toThrow(/beyond \+-2\^52/);
  });
});
