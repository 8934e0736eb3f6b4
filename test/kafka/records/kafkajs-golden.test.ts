/**
 * Golden tests against kafkajs 2.2.4's own record batch code (node_modules/kafkajs/src/protocol/
 * recordBatch): its encoder's bytes decode here to what it was given, it decodes what we encode, and
 * for the same input both encoders write the same bytes. kafkajs implements gzip itself; for the
 * other codecs it takes plug-in codecs, so those cases only check the framing around the codec.
 */
import { createRequire } from 'node:module';
import { describe, expect, test } from 'vitest';
import { decodeRecordBatches, encodeRecordBatch } from '../../../src/kafka/records/record-batch.js';
import { decodeHeaders } from '../../../src/kafka/records/record-headers.js';
import { decodeAll, plain, sourceOf, utf8, type TestRecord } from './helpers.js';

const require = createRequire(import.meta.url);
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0') as { RecordBatch: (args: object) => Promise<{ buffer: Buffer }> };
const Record = require('kafkajs/src/protocol/recordBatch/record/v0') as (args: object) => object;
const RecordBatchDecoder = require('kafkajs/src/protocol/recordBatch/v0/decoder') as (decoder: object) => Promise<KafkajsBatch>;
const decodeMessages = require('kafkajs/src/protocol/requests/fetch/v4/decodeMessages') as (decoder: object) => Promise<KafkajsRecord[]>;
const Decoder = require('kafkajs/src/protocol/decoder') as new (buffer: Buffer) => object;
const Encoder = require('kafkajs/src/protocol/encoder') as new () => { writeBytes(b: Buffer): { buffer: Buffer } };
const Long = require('kafkajs/src/utils/long') as { fromValue(v: number | string): unknown };
const { Types } = require('kafkajs/src/protocol/message/compression') as { Types: Record<string, number> };

interface KafkajsRecord {
  offset: string;
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer | Buffer[]>;
}
interface KafkajsBatch {
  firstOffset: string;
  producerId: string;
  producerEpoch: number;
  firstSequence: number;
  maxTimestamp: string;
  records: KafkajsRecord[];
}

const BASE_TS = 1_700_000_000_000;

/** kafkajs cannot encode null header values and folds headers by name, so duplicates sit together. */
const RECORDS: TestRecord[] = [
  { timestamp: BASE_TS, key: utf8('k0'), value: utf8('v0'), headers: [] },
  { timestamp: BASE_TS + 7, key: null, value: utf8('null key'), headers: [{ key: 'a', value: utf8('1') }, { key: 'a', value: utf8('2') }, { key: 'ünï', value: Uint8Array.of(0, 0xff) }] },
  { timestamp: BASE_TS - 2, key: new Uint8Array(0), value: null, headers: [{ key: 'empty', value: new Uint8Array(0) }] },
  { timestamp: BASE_TS + 2 ** 35, key: Uint8Array.of(1, 2, 3), value: new Uint8Array(1000).fill(0x61), headers: [] },
];

function kafkajsHeaders(r: TestRecord): Record<string, Buffer | Buffer[]> {
  const out: Record<string, Buffer[]> = {};
  for (const h of r.headers) (out[h.key] ??= []).push(Buffer.from(h.value!));
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.length === 1 ? v[0]! : v]));
}

const buf = (b: Uint8Array | null): Buffer | null => (b === null ? null : Buffer.from(b));

async function kafkajsBatch(records: TestRecord[], compression: number, fields: { firstOffset?: number; producerId?: number; producerEpoch?: number; firstSequence?: number } = {}): Promise<Buffer> {
  const maxTimestamp = Math.max(...records.map((r) => r.timestamp));
  const encoded = await RecordBatch({
    compression,
    firstOffset: Long.fromValue(fields.firstOffset ?? 0),
    firstTimestamp: records[0]!.timestamp,
    maxTimestamp,
    lastOffsetDelta: records.length - 1,
    producerId: Long.fromValue(fields.producerId ?? -1),
    producerEpoch: fields.producerEpoch ?? -1,
    firstSequence: fields.firstSequence ?? -1,
    partitionLeaderEpoch: 0,
    records: records.map((r, i) => Record({
      offsetDelta: i, timestampDelta: Long.fromValue(r.timestamp - records[0]!.timestamp),
      key: buf(r.key), value: buf(r.value), headers: kafkajsHeaders(r),
    })),
  });
  return encoded.buffer;
}

function asTestRecord(r: KafkajsRecord): TestRecord {
  return {
    timestamp: Number(r.timestamp), key: r.key, value: r.value,
    headers: Object.entries(r.headers).flatMap(([key, v]) => (Array.isArray(v) ? v : [v]).map((value) => ({ key, value }))),
  };
}

describe('record batch against kafkajs', () => {
  test('record batch: kafkajs and lakestream write the same bytes for the same batch', async () => {
    const theirs = await kafkajsBatch(RECORDS, Types.None!, { firstOffset: 42, producerId: 7, producerEpoch: 2, firstSequence: 9 });
    const ours = encodeRecordBatch(sourceOf(RECORDS, { baseOffset: 42n, producerId: 7n, producerEpoch: 2, baseSequence: 9 }));
    expect(Buffer.from(ours).toString('hex')).toBe(theirs.toString('hex'));
  });

  for (const codec of ['none', 'gzip'] as const) {
    test(`record batch: decodes kafkajs's own ${codec} batch to what kafkajs was given`, async () => {
      const bytes = await kafkajsBatch(RECORDS, codec === 'none' ? Types.None! : Types.GZIP!, { firstOffset: 5, producerId: 1234, producerEpoch: 1, firstSequence: 0 });
      const [batch, ...rest] = decodeAll(bytes);
      expect(rest).toEqual([]);
      expect(batch).toMatchObject({
        baseOffset: 5n, compression: codec, recordCount: RECORDS.length, lastOffsetDelta: RECORDS.length - 1,
        producerId: 1234n, producerEpoch: 1, baseSequence: 0, baseTimestamp: BASE_TS, maxTimestamp: BASE_TS + 2 ** 35, sizeBytes: bytes.length,
      });
      expect(batch!.records.map(plain)).toEqual(RECORDS.map(plain));
      expect(batch!.records.map((r) => r.offsetDelta)).toEqual([0, 1, 2, 3]);
    });

    test(`record batch: kafkajs decodes our ${codec} batch to what we were given`, async () => {
      const ours = encodeRecordBatch(sourceOf(RECORDS, { baseOffset: 100n, producerId: 55n, producerEpoch: 3, baseSequence: 17, compression: codec }));
      const theirs = await RecordBatchDecoder(new Decoder(Buffer.from(ours)));
      expect(theirs).toMatchObject({ firstOffset: '100', producerId: '55', producerEpoch: 3, firstSequence: 17, maxTimestamp: String(BASE_TS + 2 ** 35) });
      expect(theirs.records.map((r) => r.offset)).toEqual(['100', '101', '102', '103']);
      expect(theirs.records.map((r) => plain(asTestRecord(r)))).toEqual(RECORDS.map(plain));
    });
  }

  test('record batch: kafkajs reads our batches back to back and drops a partial tail, as do we', async () => {
    const first = encodeRecordBatch(sourceOf(RECORDS.slice(0, 2), { baseOffset: 0n }));
    const second = encodeRecordBatch(sourceOf(RECORDS.slice(2), { baseOffset: 2n, compression: 'gzip' }));
    const third = encodeRecordBatch(sourceOf(RECORDS.slice(0, 1), { baseOffset: 4n }));
    const fetched = Buffer.concat([first, second, third.subarray(0, third.length - 5)]);
    const theirs = await decodeMessages(new Decoder(new Encoder().writeBytes(fetched).buffer));
    expect(theirs.map((r) => r.offset)).toEqual(['0', '1', '2', '3']);
    const ours = decodeRecordBatches(fetched, { decompressedBytesMax: 1 << 20, partialTail: 'drop' });
    expect(ours.map((b) => b.baseOffset)).toEqual([0n, 2n]);
    expect(ours.flatMap((b) => b.records).map(plain)).toEqual(theirs.map((r) => plain(asTestRecord(r))));
  });

  test('record batch: header sections decode like kafkajs reads them, duplicates and order kept', async () => {
    const [batch] = decodeAll(await kafkajsBatch(RECORDS, Types.None!));
    expect(decodeHeaders(batch!.records[1]!.headers).map((h) => h.key)).toEqual(['a', 'a', 'ünï']);
    expect(batch!.records[0]!.headers).toBeNull();
  });
});
