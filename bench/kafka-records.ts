/**
 * kafka-records: Kafka record batch v2 encode and decode speed on one core, in process. 200,000
 * records of 100-byte values and 16-byte keys, held as a fetch would find them in stored columns (one
 * data buffer and an offsets array per column, so key(i) and value(i) are views), encoded into
 * batches of 1,000 records (the fetch path) and decoded back (the produce path); best of 5 runs.
 * No peer: the figure is the fetch target of the Kafka listener, >= 1 M records/s.
 */
import { seededRandom } from '../src/common/seeded-random.js';
import type { KafkaCompression } from '../src/kafka/records/compression.js';
import { decodeRecordBatches, encodeRecordBatch } from '../src/kafka/records/record-batch.js';
import { machine, round, target } from './lib.js';

const RECORDS = 200_000;
const BATCH_RECORDS = 1_000;
const VALUE_BYTES = 100;
const KEY_BYTES = 16;
const REPEATS = 5;
const BASE_TS = 1_700_000_000_000;

interface Column {
  data: Uint8Array;
  offsets: Int32Array;
}

function column(width: number, rnd: () => number): Column {
  const data = Uint8Array.from({ length: RECORDS * width }, () => Math.floor(rnd() * 64) + 32);
  const offsets = Int32Array.from({ length: RECORDS + 1 }, (_, i) => i * width);
  return { data, offsets };
}

function encodeAll(keys: Column, values: Column, compression: KafkaCompression): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let first = 0; first < RECORDS; first += BATCH_RECORDS) {
    out.push(encodeRecordBatch({
      baseOffset: BigInt(first), producerId: -1n, producerEpoch: -1, baseSequence: -1, count: BATCH_RECORDS, compression,
      timestamp: (i) => BASE_TS + first + i,
      key: (i) => keys.data.subarray(keys.offsets[first + i]!, keys.offsets[first + i + 1]!),
      value: (i) => values.data.subarray(values.offsets[first + i]!, values.offsets[first + i + 1]!),
      headers: () => null,
    }));
  }
  return out;
}

function bestMs(fn: () => void): number {
  let best = Infinity;
  for (let rep = 0; rep < REPEATS; rep++) {
    const started = performance.now();
    fn();
    best = Math.min(best, performance.now() - started);
  }
  return best;
}

function speed(keys: Column, values: Column, compression: KafkaCompression): Record<string, number> {
  let batches: Uint8Array[] = [];
  const encodeMs = bestMs(() => {
    batches = encodeAll(keys, values, compression);
  });
  const bytes = batches.reduce((n, b) => n + b.length, 0);
  let decoded = 0;
  const decodeMs = bestMs(() => {
    decoded = 0;
    for (const b of batches) decoded += decodeRecordBatches(b, { decompressedBytesMax: 1 << 24, partialTail: 'refuse' })[0]!.records.length;
  });
  // A fast codec of wrong bytes is no figure: the last record must read back.
  const lastBatch = decodeRecordBatches(batches[batches.length - 1]!, { decompressedBytesMax: 1 << 24, partialTail: 'refuse' })[0]!;
  const last = lastBatch.records[BATCH_RECORDS - 1]!;
  const expected = values.data.subarray((RECORDS - 1) * VALUE_BYTES, RECORDS * VALUE_BYTES);
  if (decoded !== RECORDS || last.timestamp !== BASE_TS + RECORDS - 1 || !Buffer.from(last.value!).equals(Buffer.from(expected))) {
    throw new Error(`kafka-records ${compression}: the last record did not read back`);
  }
  return {
    encodeRecordsPerSec: Math.round(RECORDS / (encodeMs / 1000)),
    encodeMBPerSec: round(bytes / 1e6 / (encodeMs / 1000), 1),
    decodeRecordsPerSec: Math.round(RECORDS / (decodeMs / 1000)),
    bytesPerRecord: round(bytes / RECORDS, 1),
  };
}

export async function run(): Promise<Record<string, unknown>> {
  const rnd = seededRandom(11);
  const keys = column(KEY_BYTES, rnd);
  const values = column(VALUE_BYTES, rnd);
  const results = Object.fromEntries((['none', 'lz4', 'zstd', 'snappy', 'gzip'] as const).map((c) => [c, speed(keys, values, c)]));
  return {
    bench: 'kafka-records',
    setup: { records: RECORDS, batchRecords: BATCH_RECORDS, valueBytes: VALUE_BYTES, keyBytes: KEY_BYTES, figure: `best of ${REPEATS} runs` },
    lakestream: results,
    peer: null,
    targets: [
      target('record batch v2 encode records/s, uncompressed (fetch)', results.none!.encodeRecordsPerSec!, '>=', 1_000_000, 'records/s'),
      target('record batch v2 decode records/s, uncompressed (produce)', results.none!.decodeRecordsPerSec!, '>=', 1_000_000, 'records/s'),
    ],
    machine: machine(),
  };
}
