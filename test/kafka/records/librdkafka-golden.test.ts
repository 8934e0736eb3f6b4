/**
 * Golden test against librdkafka 2.0.2 (kcat 1.7.1): the produce requests' record batches it wrote,
 * once per codec (test/fixtures/kafka/librdkafka-records.ts tells how they were captured), decode to
 * the lines and headers kcat was given.
 */
import fs from 'node:fs';
import { describe, expect, test } from 'vitest';
import { checkProducedBatches } from '../../../src/kafka/records/produce-rules.js';
import { decodeHeaders } from '../../../src/kafka/records/record-headers.js';
import { encodeRecordBatch } from '../../../src/kafka/records/record-batch.js';
import { fixtureFile, HEADER_ARGS, LIBRDKAFKA_CODECS, LINES } from '../../fixtures/kafka/librdkafka-records.js';
import { decodeAll, plain } from './helpers.js';

const text = (b: Uint8Array | null): string | null => (b === null ? null : Buffer.from(b).toString());

/** The key and value kcat -K: makes of each line. */
const EXPECTED = LINES.map((line) => {
  const at = line.indexOf(':');
  return at < 0 ? { key: null, value: line } : { key: line.slice(0, at), value: line.slice(at + 1) };
});
const EXPECTED_HEADERS = HEADER_ARGS.map((arg) => {
  const at = arg.indexOf('=');
  return at < 0 ? [arg, null] : [arg.slice(0, at), arg.slice(at + 1)];
});

describe('record batch against librdkafka', () => {
  for (const codec of LIBRDKAFKA_CODECS) {
    test(`record batch: decodes librdkafka's ${codec} produce batch`, () => {
      const bytes = fs.readFileSync(fixtureFile(codec, false));
      const batches = decodeAll(bytes);
      expect(batches.map((b) => [b.compression, b.recordCount, b.baseOffset, b.producerId, b.baseSequence])).toEqual([[codec, LINES.length, 0n, -1n, -1]]);
      const [batch] = batches;
      expect(batch!.records.map((r) => ({ key: text(r.key), value: text(r.value) }))).toEqual(EXPECTED);
      for (const r of batch!.records) {
        expect(decodeHeaders(r.headers).map((h) => [h.key, text(h.value)])).toEqual(EXPECTED_HEADERS);
        expect(r.timestamp).toBeGreaterThanOrEqual(batch!.baseTimestamp);
        expect(r.timestamp).toBeLessThanOrEqual(batch!.maxTimestamp);
      }
      expect(() => checkProducedBatches(batches)).not.toThrow();
    });
  }

  test('record batch: an idempotent librdkafka batch carries its producer id, epoch and sequence', () => {
    const [batch] = decodeAll(fs.readFileSync(fixtureFile('zstd', true)));
    expect(batch).toMatchObject({ producerId: 4242n, producerEpoch: 3, baseSequence: 0, compression: 'zstd', recordCount: LINES.length });
  });

  test('record batch: re-encoding librdkafka\'s records gives its uncompressed bytes back', () => {
    const original = fs.readFileSync(fixtureFile('none', false));
    const [batch] = decodeAll(original);
    const records = batch!.records;
    const ours = encodeRecordBatch({
      baseOffset: batch!.baseOffset, producerId: batch!.producerId, producerEpoch: batch!.producerEpoch, baseSequence: batch!.baseSequence,
      count: records.length, timestamp: (i) => records[i]!.timestamp, key: (i) => records[i]!.key, value: (i) => records[i]!.value,
      headers: (i) => records[i]!.headers, partitionLeaderEpoch: batch!.partitionLeaderEpoch,
    });
    expect(Buffer.from(ours).equals(original)).toBe(true);
    expect(decodeAll(ours)[0]!.records.map(plain)).toEqual(records.map(plain));
  });
});
