/** Building record batches from plain record lists, and reading them back as plain values, for the records tests. */
import type { KafkaCompression } from '../../../src/kafka/records/compression.js';
import { decodeRecordBatches, type KafkaRecord, type RecordBatch, type RecordBatchSource } from '../../../src/kafka/records/record-batch.js';
import { decodeHeaders, encodeHeaders, type RecordHeader } from '../../../src/kafka/records/record-headers.js';

export const CODECS: readonly KafkaCompression[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];
export const DECOMPRESSED_BYTES_MAX = 16 * 1024 * 1024;

export interface TestRecord {
  timestamp: number;
  key: Uint8Array | null;
  value: Uint8Array | null;
  headers: RecordHeader[];
}

export const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

export function sourceOf(records: readonly TestRecord[], fields: Partial<RecordBatchSource> = {}): RecordBatchSource {
  const headers = records.map((r) => encodeHeaders(r.headers));
  return {
    baseOffset: 0n, producerId: -1n, producerEpoch: -1, baseSequence: -1, count: records.length,
    timestamp: (i) => records[i]!.timestamp,
    key: (i) => records[i]!.key,
    value: (i) => records[i]!.value,
    headers: (i) => headers[i]!,
    ...fields,
  };
}

export function decodeAll(bytes: Uint8Array, partialTail: 'refuse' | 'drop' = 'refuse'): RecordBatch[] {
  return decodeRecordBatches(bytes, { decompressedBytesMax: DECOMPRESSED_BYTES_MAX, partialTail });
}

const hex = (b: Uint8Array | null): string | null => (b === null ? null : Buffer.from(b).toString('hex'));

/** A record as comparable plain data: bytes as hex, headers decoded. */
export function plain(r: KafkaRecord | TestRecord): { timestamp: number; key: string | null; value: string | null; headers: [string, string | null][] } {
  const headers = r.headers instanceof Uint8Array || r.headers === null ? decodeHeaders(r.headers) : r.headers;
  return { timestamp: r.timestamp, key: hex(r.key), value: hex(r.value), headers: headers.map((h) => [h.key, hex(h.value)]) };
}

/** Records of every awkward shape: nulls, empty key, binary and unicode headers, null header values. */
export function awkwardRecords(baseTimestamp: number): TestRecord[] {
  return [
    { timestamp: baseTimestamp, key: utf8('k0'), value: utf8('plain'), headers: [] },
    { timestamp: baseTimestamp + 5, key: null, value: utf8('null key'), headers: [{ key: 'h', value: utf8('v') }] },
    { timestamp: baseTimestamp - 3, key: new Uint8Array(0), value: null, headers: [{ key: 'nul', value: null }] },
    {
      timestamp: baseTimestamp + 2 ** 33, key: Uint8Array.of(0, 255, 128), value: new Uint8Array(0),
      headers: [{ key: 'bin', value: Uint8Array.of(0, 1, 0xfe, 0xff) }, { key: 'bin', value: new Uint8Array(0) }, { key: 'ünïcødé 🚀', value: utf8('значение') }],
    },
    { timestamp: baseTimestamp, key: utf8('big'), value: new Uint8Array(300).fill(7), headers: [{ key: '', value: null }] },
  ];
}
