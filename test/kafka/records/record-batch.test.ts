import { describe, expect, test } from 'vitest';
import { LakestreamError } from '../../../src/common/errors.js';
import { crc32c } from '../../../src/common/crc32c.js';
import {
  ATTRIBUTES_OFFSET, BASE_OFFSET_OFFSET, BASE_SEQUENCE_OFFSET, BASE_TIMESTAMP_OFFSET, BATCH_LENGTH_OFFSET, CRC_OFFSET,
  decodeRecordBatches, encodeRecordBatch, LAST_OFFSET_DELTA_OFFSET, LOG_OVERHEAD_BYTES, MAGIC_OFFSET, MAX_TIMESTAMP_OFFSET,
  PARTITION_LEADER_EPOCH_OFFSET, PRODUCER_EPOCH_OFFSET, PRODUCER_ID_OFFSET, RECORD_BATCH_OVERHEAD_BYTES, RECORD_COUNT_OFFSET,
  RECORDS_OFFSET, TIMESTAMP_TYPE_CREATE_TIME, TIMESTAMP_TYPE_LOG_APPEND_TIME,
} from '../../../src/kafka/records/record-batch.js';
import { RecordBatchError } from '../../../src/kafka/records/record-batch-error.js';
import { writeVarint } from '../../../src/kafka/records/varint.js';
import { awkwardRecords, CODECS, decodeAll, plain, sourceOf, utf8, type TestRecord } from './helpers.js';

const BASE_TS = 1_700_000_000_000;

function refusal(fn: () => unknown): RecordBatchError {
  try {
    fn();
  } catch (err) {
    if (err instanceof RecordBatchError) return err;
    throw err;
  }
  throw new Error('expected a RecordBatchError, nothing was thrown');
}

/** Rewrites the CRC after a deliberate change, so the checks behind it are what refuses the batch. */
function reCrc(batch: Uint8Array): Uint8Array {
  new DataView(batch.buffer, batch.byteOffset, batch.byteLength).setUint32(CRC_OFFSET, crc32c(batch, ATTRIBUTES_OFFSET, batch.length));
  return batch;
}

/** An uncompressed batch whose records section is `section`, claiming `count` records. */
function batchWithSection(section: Uint8Array, count: number): Uint8Array {
  const good = encodeRecordBatch(sourceOf([{ timestamp: BASE_TS, key: null, value: null, headers: [] }]));
  const out = new Uint8Array(RECORDS_OFFSET + section.length);
  out.set(good.subarray(0, RECORDS_OFFSET));
  out.set(section, RECORDS_OFFSET);
  const dv = new DataView(out.buffer);
  dv.setInt32(BATCH_LENGTH_OFFSET, out.length - LOG_OVERHEAD_BYTES);
  dv.setInt32(RECORD_COUNT_OFFSET, count);
  dv.setInt32(LAST_OFFSET_DELTA_OFFSET, count - 1);
  return reCrc(out);
}

/** One record's bytes: length varint, then the body given as numbers (already varint-encoded by hand). */
function recordBytes(body: number[]): number[] {
  const len = new Uint8Array(5);
  return [...len.subarray(0, writeVarint(len, 0, body.length)), ...body];
}

describe('record batch v2', () => {
  test('record batch: header fields sit at Kafka\'s offsets', () => {
    expect([BASE_OFFSET_OFFSET, BATCH_LENGTH_OFFSET, PARTITION_LEADER_EPOCH_OFFSET, MAGIC_OFFSET, CRC_OFFSET, ATTRIBUTES_OFFSET,
      LAST_OFFSET_DELTA_OFFSET, BASE_TIMESTAMP_OFFSET, MAX_TIMESTAMP_OFFSET, PRODUCER_ID_OFFSET, PRODUCER_EPOCH_OFFSET,
      BASE_SEQUENCE_OFFSET, RECORD_COUNT_OFFSET, RECORDS_OFFSET]).toEqual([0, 8, 12, 16, 17, 21, 23, 27, 35, 43, 51, 53, 57, 61]);
    expect(LOG_OVERHEAD_BYTES).toBe(12);
    expect(RECORD_BATCH_OVERHEAD_BYTES).toBe(61);
  });

  for (const codec of CODECS) {
    test(`record batch: round trips awkward records with ${codec}`, () => {
      const records = awkwardRecords(BASE_TS);
      const bytes = encodeRecordBatch(sourceOf(records, {
        baseOffset: 9_007_199_254_740_993n, producerId: 123_456_789_012n, producerEpoch: 7, baseSequence: 2_000_000_000,
        compression: codec, partitionLeaderEpoch: 11,
      }));
      const [batch, ...rest] = decodeAll(bytes);
      expect(rest).toEqual([]);
      expect(batch).toMatchObject({
        baseOffset: 9_007_199_254_740_993n, producerId: 123_456_789_012n, producerEpoch: 7, baseSequence: 2_000_000_000,
        partitionLeaderEpoch: 11, compression: codec, recordCount: records.length, lastOffsetDelta: records.length - 1,
        baseTimestamp: BASE_TS, maxTimestamp: BASE_TS + 2 ** 33, timestampType: TIMESTAMP_TYPE_CREATE_TIME,
        isTransactional: false, isControl: false, hasDeleteHorizonMs: false, sizeBytes: bytes.length, batchLength: bytes.length - 12,
      });
      expect(batch!.records.map(plain)).toEqual(records.map(plain));
      expect(batch!.records.map((r) => r.offsetDelta)).toEqual([0, 1, 2, 3, 4]);
      expect(batch!.records[0]!.headers).toBeNull();
    });
  }

  test('record batch: several batches back to back, each with its own codec', () => {
    const parts = CODECS.map((compression, i) => encodeRecordBatch(sourceOf(awkwardRecords(BASE_TS + i), { baseOffset: BigInt(i * 5), compression })));
    const batches = decodeAll(Buffer.concat(parts));
    expect(batches.map((b) => [b.baseOffset, b.compression, b.sizeBytes])).toEqual(parts.map((p, i) => [BigInt(i * 5), CODECS[i], p.length]));
    expect(batches.map((b) => b.records.map(plain))).toEqual(CODECS.map((_, i) => awkwardRecords(BASE_TS + i).map(plain)));
  });

  test('record batch: keys and values are views of the input, not copies', () => {
    const bytes = encodeRecordBatch(sourceOf(awkwardRecords(BASE_TS)));
    const record = decodeAll(bytes)[0]!.records[0]!;
    expect(record.value!.buffer).toBe(bytes.buffer);
    expect(record.key!.byteOffset).toBeGreaterThan(RECORDS_OFFSET);
  });

  test('record batch: log append time gives every record the batch time and keeps the create times as deltas', () => {
    const records = awkwardRecords(BASE_TS);
    const bytes = encodeRecordBatch(sourceOf(records, { logAppendTime: BASE_TS + 99 }));
    const [batch] = decodeAll(bytes);
    expect(batch).toMatchObject({ timestampType: TIMESTAMP_TYPE_LOG_APPEND_TIME, baseTimestamp: BASE_TS, maxTimestamp: BASE_TS + 99 });
    expect(batch!.records.map((r) => r.timestamp)).toEqual(records.map(() => BASE_TS + 99));
    expect(bytes[ATTRIBUTES_OFFSET + 1]! & 0x08).toBe(0x08);
  });

  test('record batch: a batch of 5,000 records round trips, timestamps far apart and out of order', () => {
    const records: TestRecord[] = Array.from({ length: 5_000 }, (_, i) => ({
      timestamp: i % 3 === 0 ? 0 : BASE_TS + (i % 7) * 1_000_000_007, key: i % 5 === 0 ? null : utf8(`key-${i}`), value: utf8(`value-${i}`), headers: [],
    }));
    for (const compression of ['none', 'zstd'] as const) {
      const [batch] = decodeAll(encodeRecordBatch(sourceOf(records, { compression })));
      expect(batch!.records.length).toBe(records.length);
      expect(batch!.records[4_999]!.offsetDelta).toBe(4_999);
      expect(batch!.records.map(plain)).toEqual(records.map(plain));
    }
  });

  test('record batch: an empty records field holds no batches', () => {
    expect(decodeAll(new Uint8Array(0))).toEqual([]);
  });

  test('record batch: a partial tail is dropped for a fetch and refused for a produce', () => {
    const a = encodeRecordBatch(sourceOf(awkwardRecords(BASE_TS)));
    const b = encodeRecordBatch(sourceOf(awkwardRecords(BASE_TS), { baseOffset: 5n }));
    for (const cut of [1, 11, 12, 30, b.length - 1]) {
      const bytes = Buffer.concat([a, b.subarray(0, cut)]);
      expect(decodeAll(bytes, 'drop').map((x) => x.baseOffset)).toEqual([0n]);
      const err = refusal(() => decodeAll(bytes, 'refuse'));
      expect(err.kafkaError).toBe('CORRUPT_MESSAGE');
      expect(err.message).toContain(`record batch at byte ${a.length} is cut off`);
    }
  });

  for (const magic of [0, 1]) {
    test(`record batch: magic ${magic} (a pre-0.11 message set) is refused as an unsupported format`, () => {
      // A v0/v1 message: offset, size, crc, magic, attributes, (timestamp), key, value.
      const legacy = Buffer.alloc(magic === 0 ? 26 : 34);
      legacy.writeInt32BE(legacy.length - 12, 8);
      legacy.writeInt8(magic, 16);
      legacy.writeInt32BE(-1, legacy.length - 8);
      legacy.writeInt32BE(0, legacy.length - 4);
      for (const partialTail of ['refuse', 'drop'] as const) {
        const err = refusal(() => decodeAll(legacy, partialTail));
        expect(err.kafkaError).toBe('UNSUPPORTED_FOR_MESSAGE_FORMAT');
        expect(err.kafkaCode).toBe(43);
        expect(err.message).toBe(`record batch magic ${magic} (Kafka < 0.11 message format) is not supported; use a client that sends record batch v2`);
      }
    });
  }

  test('record batch: an unknown magic is corrupt', () => {
    const bytes = encodeRecordBatch(sourceOf(awkwardRecords(BASE_TS)));
    bytes[MAGIC_OFFSET] = 3;
    const err = refusal(() => decodeAll(bytes));
    expect([err.kafkaError, err.kafkaCode]).toEqual(['CORRUPT_MESSAGE', 2]);
    expect(err.message).toContain('magic 3');
  });

  test('record batch: a wrong CRC names the stored and the computed checksum', () => {
    const bytes = encodeRecordBatch(sourceOf(awkwardRecords(BASE_TS)));
    const stored = new DataView(bytes.buffer).getUint32(CRC_OFFSET);
    bytes[bytes.length - 1]! ^= 0x01;
    const computed = crc32c(bytes, ATTRIBUTES_OFFSET, bytes.length);
    const err = refusal(() => decodeAll(bytes));
    expect(err.kafkaError).toBe('CORRUPT_MESSAGE');
    expect(err.message).toBe(`record batch at byte 0: CRC-32C mismatch: the batch says 0x${stored.toString(16).padStart(8, '0')}, `
      + `its ${bytes.length - ATTRIBUTES_OFFSET} bytes hash to 0x${computed.toString(16).padStart(8, '0')}`);
  });

  test('record batch: a batch length shorter than the header is corrupt', () => {
    const bytes = encodeRecordBatch(sourceOf(awkwardRecords(BASE_TS)));
    new DataView(bytes.buffer).setInt32(BATCH_LENGTH_OFFSET, 48);
    expect(refusal(() => decodeAll(bytes, 'drop')).message).toContain('batch length 48');
    new DataView(bytes.buffer).setInt32(BATCH_LENGTH_OFFSET, -1);
    expect(refusal(() => decodeAll(bytes, 'drop')).kafkaError).toBe('CORRUPT_MESSAGE');
  });

  test('record batch: compression ids 5-7 are an unsupported compression type', () => {
    const bytes = encodeRecordBatch(sourceOf(awkwardRecords(BASE_TS)));
    bytes[ATTRIBUTES_OFFSET + 1] = 5;
    const err = refusal(() => decodeAll(reCrc(bytes)));
    expect([err.kafkaError, err.kafkaCode]).toEqual(['UNSUPPORTED_COMPRESSION_TYPE', 76]);
  });

  test('record batch: a record count that cannot fit in the bytes is refused before any allocation', () => {
    const bytes = encodeRecordBatch(sourceOf(awkwardRecords(BASE_TS)));
    for (const count of [2 ** 31 - 1, 1000, -1]) {
      new DataView(bytes.buffer).setInt32(RECORD_COUNT_OFFSET, count);
      const err = refusal(() => decodeAll(reCrc(bytes)));
      expect(err.kafkaError).toBe('INVALID_RECORD');
      expect(err.message).toContain(`record count ${count}`);
    }
  });

  test('record batch: fewer records than the bytes hold leaves bytes over, which is refused', () => {
    const bytes = encodeRecordBatch(sourceOf(awkwardRecords(BASE_TS)));
    new DataView(bytes.buffer).setInt32(RECORD_COUNT_OFFSET, 4);
    expect(refusal(() => decodeAll(reCrc(bytes))).message).toMatch(/bytes after the last of its 4 records/);
  });

  test('record batch: a record whose length disagrees with its fields is refused', () => {
    // attributes 0, timestampDelta 0, offsetDelta 0, key null (-1 = 0x01), value "ab", header count 0
    const body = [0, 0, 0, 0x01, 0x04, 0x61, 0x62, 0];
    const good = recordBytes(body);
    expect(decodeAll(batchWithSection(Uint8Array.from(good), 1))[0]!.records.map(plain)).toEqual([
      { timestamp: BASE_TS, key: null, value: '6162', headers: [] },
    ]);
    // One byte of padding inside the record: the length says 9, the fields take 8.
    const padded = recordBytes([...body, 0]);
    expect(refusal(() => decodeAll(batchWithSection(Uint8Array.from(padded), 1))).message).toMatch(/record 0 has length 9 but its fields take 8 bytes/);
    // The length says 7: the header count falls outside the record.
    const short = [7, ...body];
    expect(refusal(() => decodeAll(batchWithSection(Uint8Array.from(short), 1))).kafkaError).toBe('INVALID_RECORD');
  });

  test('record batch: negative lengths inside a record are refused', () => {
    const cases: [string, number[]][] = [
      ['key length -2', [0, 0, 0, 0x03, 0x01, 0]],
      ['value length -5', [0, 0, 0, 0x01, 0x09, 0]],
      ['header count', [0, 0, 0, 0x01, 0x01, 0x01]],
      ['header 0 has key length -1', [0, 0, 0, 0x01, 0x01, 0x02, 0x01, 0x00]],
      ['header 0 has value length -2', [0, 0, 0, 0x01, 0x01, 0x02, 0x00, 0x03]],
    ];
    for (const [message, body] of cases) {
      const err = refusal(() => decodeAll(batchWithSection(Uint8Array.from(recordBytes(body)), 1)));
      expect({ message, code: err.kafkaError, ok: err.message.includes(message) }).toEqual({ message, code: 'INVALID_RECORD', ok: true });
    }
  });

  test('record batch: an over-long varint is refused', () => {
    const body = [0, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00, 0, 0x01, 0x01, 0];
    expect(refusal(() => decodeAll(batchWithSection(Uint8Array.from(recordBytes(body)), 1))).message).toMatch(/timestamp delta .* longer than 10 bytes/);
  });

  test('record batch: a timestamp beyond 2^53 ms is refused, not rounded', () => {
    const bytes = encodeRecordBatch(sourceOf(awkwardRecords(BASE_TS)));
    new DataView(bytes.buffer).setBigInt64(BASE_TIMESTAMP_OFFSET, 2n ** 60n);
    expect(refusal(() => decodeAll(reCrc(bytes))).message).toContain('base timestamp 1152921504606846976');
  });

  test('record batch: the encoder refuses what it cannot write faithfully', () => {
    const one = [{ timestamp: BASE_TS, key: null, value: null, headers: [] }];
    const cases: Partial<Parameters<typeof encodeRecordBatch>[0]>[] = [
      { count: 0 }, { count: 1.5 }, { producerEpoch: 40_000 }, { baseSequence: -2 },
      { timestamp: () => 1.5 }, { timestamp: () => Number.NaN }, { logAppendTime: 2 ** 60 },
    ];
    for (const fields of cases) expect(() => encodeRecordBatch(sourceOf(one, fields))).toThrow(LakestreamError);
    const far = [{ timestamp: 0, key: null, value: null, headers: [] }, { timestamp: 2 ** 53 - 1, key: null, value: null, headers: [] }];
    expect(() => encodeRecordBatch(sourceOf(far))).toThrow(/record 1 has timestamp/);
  });

  test('record batch: the encoder handles records larger than its scratch buffer', () => {
    const records: TestRecord[] = [
      { timestamp: BASE_TS, key: utf8('a'), value: new Uint8Array(200_000).fill(1), headers: [] },
      { timestamp: BASE_TS, key: utf8('b'), value: new Uint8Array(5_000_000).fill(2), headers: [{ key: 'h', value: new Uint8Array(70_000).fill(3) }] },
    ];
    const [batch] = decodeAll(encodeRecordBatch(sourceOf(records)));
    expect(batch!.records.map(plain)).toEqual(records.map(plain));
    const [again] = decodeAll(encodeRecordBatch(sourceOf(awkwardRecords(BASE_TS))));
    expect(again!.records.map(plain)).toEqual(awkwardRecords(BASE_TS).map(plain));
  });

  test('record batch: decompressed size beyond the bound is MESSAGE_TOO_LARGE', () => {
    const records: TestRecord[] = [{ timestamp: BASE_TS, key: null, value: new Uint8Array(2 << 20), headers: [] }];
    for (const compression of ['gzip', 'snappy', 'lz4', 'zstd'] as const) {
      const bytes = encodeRecordBatch(sourceOf(records, { compression }));
      expect(bytes.length).toBeLessThan(200_000);
      const err = refusal(() => decodeRecordBatches(bytes, { decompressedBytesMax: 1 << 20, partialTail: 'refuse' }));
      expect([compression, err.kafkaError, err.kafkaCode]).toEqual([compression, 'MESSAGE_TOO_LARGE', 10]);
    }
  });
});
