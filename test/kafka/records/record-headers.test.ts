import { describe, expect, test } from 'vitest';
import { RecordBatchError } from '../../../src/kafka/records/record-batch-error.js';
import { decodeHeaders, encodeHeaders, type RecordHeader } from '../../../src/kafka/records/record-headers.js';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const hex = (b: Uint8Array | null): string | null => (b === null ? null : Buffer.from(b).toString('hex'));
const plain = (hs: RecordHeader[]): [string, string | null][] => hs.map((h) => [h.key, hex(h.value)]);

describe('record headers', () => {
  test('record headers: round trip order, duplicates, nulls, empty names and binary values', () => {
    const headers: RecordHeader[] = [
      { key: 'b', value: utf8('2') }, { key: 'a', value: null }, { key: 'b', value: new Uint8Array(0) },
      { key: '', value: Uint8Array.of(0, 0xff, 0x80) }, { key: 'ünï 🚀', value: new Uint8Array(300).fill(9) },
    ];
    const raw = encodeHeaders(headers)!;
    expect(plain(decodeHeaders(raw))).toEqual(plain(headers));
  });

  test('record headers: the encoding is Kafka\'s, byte for byte', () => {
    // count 2 (0x04); "a" (len 1 = 0x02) value "x" (0x02 0x78); "b" value null (-1 = 0x01)
    expect(hex(encodeHeaders([{ key: 'a', value: utf8('x') }, { key: 'b', value: null }]))).toBe('040261027802620' + '1');
  });

  test('record headers: no headers is null both ways', () => {
    expect(encodeHeaders([])).toBeNull();
    expect(decodeHeaders(null)).toEqual([]);
    expect(decodeHeaders(Uint8Array.of(0))).toEqual([]);
  });

  test('record headers: values are views of the raw section', () => {
    const raw = encodeHeaders([{ key: 'k', value: utf8('value') }])!;
    expect(decodeHeaders(raw)[0]!.value!.buffer).toBe(raw.buffer);
  });

  test('record headers: malformed sections are refused with INVALID_RECORD', () => {
    const good = encodeHeaders([{ key: 'key', value: utf8('value') }])!;
    const cases: Uint8Array[] = [
      good.subarray(0, good.length - 1), // value cut short
      Uint8Array.from([...good, 0]), // a byte after the section
      Uint8Array.of(0x01), // count -1
      Uint8Array.of(0x7e), // count 63 in one byte
      Uint8Array.of(0x02, 0x01, 0x00), // key length -1
      Uint8Array.of(0x02, 0x00, 0x03), // value length -2
      Uint8Array.of(0x02, 0x00, 0x80), // value length varint cut off
    ];
    for (const raw of cases) expect(() => decodeHeaders(raw)).toThrow(RecordBatchError);
  });

  test('record headers: malformed UTF-8 in a name is replaced, as Java decodes it', () => {
    expect(decodeHeaders(Uint8Array.of(0x02, 0x04, 0xc3, 0x28, 0x01))[0]!.key).toBe('\ufffd(');
  });
});
