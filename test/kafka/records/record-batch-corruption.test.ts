/**
 * Damaged record batches: every single-byte flip and every truncation is caught, and bytes damaged
 * behind a recomputed CRC (a client that builds batches wrongly, or a codec fed garbage) are refused
 * with a RecordBatchError and nothing else: no RangeError, no TypeError, no codec exception.
 */
import { describe, expect, test } from 'vitest';
import { crc32c } from '../../../src/common/crc32c.js';
import {
  ATTRIBUTES_OFFSET, BASE_OFFSET_OFFSET, BATCH_LENGTH_OFFSET, CRC_OFFSET, encodeRecordBatch, LOG_OVERHEAD_BYTES,
  PARTITION_LEADER_EPOCH_OFFSET, RECORDS_OFFSET, type RecordBatch,
} from '../../../src/kafka/records/record-batch.js';
import { RecordBatchError } from '../../../src/kafka/records/record-batch-error.js';
import { int, mulberry32, pick, type Rng } from '../../common/random-values.js';
import { awkwardRecords, CODECS, decodeAll, plain, sourceOf, utf8 } from './helpers.js';

const SEED = Number(process.env.FUZZ_SEED ?? 0x4b61666b);
const BASE_TS = 1_700_000_000_000;

function small(codec: (typeof CODECS)[number]): Uint8Array {
  return encodeRecordBatch(sourceOf([
    { timestamp: BASE_TS, key: utf8('k'), value: utf8('value one'), headers: [{ key: 'h', value: null }] },
    { timestamp: BASE_TS + 1, key: null, value: utf8('two'), headers: [] },
  ], { baseOffset: 3n, compression: codec }));
}

type Outcome = { kind: 'batches'; batches: RecordBatch[] } | { kind: 'refused'; error: RecordBatchError };

/** Decodes, and lets anything but a RecordBatchError escape to fail the test. */
function outcome(bytes: Uint8Array, partialTail: 'refuse' | 'drop' = 'refuse'): Outcome {
  try {
    return { kind: 'batches', batches: decodeAll(bytes, partialTail) };
  } catch (err) {
    if (err instanceof RecordBatchError) return { kind: 'refused', error: err };
    throw new Error(`not a RecordBatchError: ${(err as Error).stack ?? String(err)}`);
  }
}

/** What a batch says, without the two fields the CRC does not cover. */
function content(b: RecordBatch): unknown {
  const { baseOffset: _b, partitionLeaderEpoch: _p, records, ...rest } = b;
  return { ...rest, records: records.map(plain) };
}

function fixLengthAndCrc(batch: Uint8Array): Uint8Array {
  const dv = new DataView(batch.buffer, batch.byteOffset, batch.byteLength);
  dv.setInt32(BATCH_LENGTH_OFFSET, batch.length - LOG_OVERHEAD_BYTES);
  dv.setUint32(CRC_OFFSET, crc32c(batch, ATTRIBUTES_OFFSET, batch.length));
  return batch;
}

/** Damage behind the CRC: flips, overwrites, a cut or a splice inside the records section. */
function mutateBehindCrc(rng: Rng, original: Uint8Array): Uint8Array {
  let bytes = Uint8Array.from(original);
  const at = (): number => int(rng, ATTRIBUTES_OFFSET, bytes.length - 1);
  switch (int(rng, 0, 4)) {
    case 0:
      bytes[at()]! ^= 1 << int(rng, 0, 7);
      break;
    case 1:
      for (let n = int(rng, 2, 6); n > 0; n--) bytes[at()] = int(rng, 0, 255);
      break;
    case 2:
      bytes = bytes.slice(0, int(rng, RECORDS_OFFSET, bytes.length - 1));
      break;
    case 3: {
      const cut = int(rng, RECORDS_OFFSET, bytes.length);
      const extra = Uint8Array.from({ length: int(rng, 1, 8) }, () => pick(rng, [0x00, 0x01, 0x7f, 0x80, 0xff, int(rng, 0, 255)]));
      bytes = Uint8Array.from([...bytes.subarray(0, cut), ...extra, ...bytes.subarray(cut)]);
      break;
    }
    default:
      // a plausible field value: a small varint somewhere in the records
      bytes[at()] = pick(rng, [0x00, 0x01, 0x02, 0x03, 0x7e, 0x7f, 0x80, 0xfe, 0xff]);
  }
  return fixLengthAndCrc(bytes);
}

describe('record batch corruption', () => {
  for (const codec of CODECS) {
    test(`record batch: every single-byte flip is caught or touches only a field outside the CRC (${codec})`, () => {
      const bytes = small(codec);
      const original = content(decodeAll(bytes)[0]!);
      const outsideCrc = (i: number): boolean =>
        (i >= BASE_OFFSET_OFFSET && i < BATCH_LENGTH_OFFSET) || (i >= PARTITION_LEADER_EPOCH_OFFSET && i < PARTITION_LEADER_EPOCH_OFFSET + 4);
      for (let i = 0; i < bytes.length; i++) {
        for (const mask of [0x01, 0x80, 0xff]) {
          const damaged = Uint8Array.from(bytes);
          damaged[i]! ^= mask;
          const result = outcome(damaged);
          if (result.kind === 'refused') continue;
          // baseOffset and partitionLeaderEpoch are stamped by brokers, so Kafka leaves them out of the CRC.
          expect({ i, mask, outsideCrc: outsideCrc(i) }).toEqual({ i, mask, outsideCrc: true });
          expect(result.batches.map(content)).toEqual([original]);
        }
      }
    });

    test(`record batch: every truncation is refused in a produce and dropped in a fetch (${codec})`, () => {
      const whole = small(codec);
      const first = encodeRecordBatch(sourceOf(awkwardRecords(BASE_TS), { compression: codec }));
      for (let cut = 1; cut < whole.length; cut++) {
        const result = outcome(Buffer.concat([first, whole.subarray(0, cut)]));
        expect({ cut, kind: result.kind, code: result.kind === 'refused' ? result.error.kafkaError : undefined })
          .toEqual({ cut, kind: 'refused', code: 'CORRUPT_MESSAGE' });
        const fetched = outcome(Buffer.concat([first, whole.subarray(0, cut)]), 'drop');
        expect(fetched.kind === 'batches' ? fetched.batches.length : -1).toBe(1);
      }
    });
  }

  test('record batch: damage behind a recomputed CRC is refused with a RecordBatchError or decodes consistently', () => {
    const rng = mulberry32(SEED);
    const originals = CODECS.flatMap((compression) => [
      encodeRecordBatch(sourceOf(awkwardRecords(BASE_TS), { compression })),
      small(compression),
    ]);
    let refused = 0;
    for (let round = 0; round < 4000; round++) {
      const damaged = mutateBehindCrc(rng, pick(rng, originals));
      const result = outcome(damaged);
      if (result.kind === 'refused') {
        refused++;
        expect(['INVALID_RECORD', 'MESSAGE_TOO_LARGE', 'UNSUPPORTED_COMPRESSION_TYPE', 'CORRUPT_MESSAGE']).toContain(result.error.kafkaError);
        continue;
      }
      for (const batch of result.batches) {
        expect(batch.records.length).toBe(batch.recordCount);
        expect(batch.sizeBytes).toBe(damaged.length);
      }
    }
    expect(refused).toBeGreaterThan(2000);
  });

  test('record batch: random bytes of every length are refused or decoded, never thrown otherwise', () => {
    const rng = mulberry32(SEED + 1);
    for (let round = 0; round < 3000; round++) {
      const bytes = Uint8Array.from({ length: int(rng, 0, 200) }, () => int(rng, 0, 255));
      if (bytes.length > 16 && rng() < 0.5) bytes[16] = 2; // get past the magic check more often
      if (bytes.length > 12 && rng() < 0.5) new DataView(bytes.buffer).setInt32(BATCH_LENGTH_OFFSET, bytes.length - LOG_OVERHEAD_BYTES);
      for (const partialTail of ['refuse', 'drop'] as const) outcome(bytes.length > 61 && rng() < 0.5 ? fixLengthAndCrc(bytes) : bytes, partialTail);
    }
  });
});
