import { describe, expect, test } from 'vitest';
import { LakestreamError } from '../../src/common/errors.js';
import {
  ATTRIBUTES_OFFSET, BATCH_LENGTH_OFFSET, checkBatch, decodeBatchBody, encodeBatch, HEADER_BYTES, LOG_OVERHEAD_BYTES,
  RECORD_COUNT_OFFSET, type BatchCheck,
} from '../../src/log/batch-format.js';
import type { CompressionName } from '../../src/log/compression.js';
import { int, mulberry32, pick, type Rng } from '../common/random-values.js';
import { arrowRows, idsOf } from './helpers.js';

const SEED = Number(process.env.FUZZ_SEED ?? 0xba7c4);
const CODECS: CompressionName[] = ['none', 'lz4', 'zstd'];

function randomBatch(rng: Rng): { bytes: Uint8Array; first: number; count: number } {
  const count = int(rng, 1, 60);
  const first = int(rng, 0, 1_000_000);
  const bytes = encodeBatch({
    baseOffset: BigInt(int(rng, 0, 2 ** 40)), commitTimestamp: int(rng, 0, 2 ** 45), recordCount: count, compression: pick(rng, CODECS),
    hasChangeType: rng() < 0.5, writerId: rng() < 0.5 ? -1n : BigInt(int(rng, 0, 2 ** 50)), batchSequence: rng() < 0.5 ? -1 : int(rng, 0, 2 ** 31 - 1),
  }, arrowRows(first, count));
  return { bytes, first, count };
}

/** Damages 1..4 bytes of the batch in place: random flips, a header field overwritten, or random bytes. */
function mutate(rng: Rng, original: Uint8Array): { bytes: Uint8Array; what: string } {
  const bytes = Uint8Array.from(original);
  const dv = new DataView(bytes.buffer);
  const kind = int(rng, 0, 3);
  if (kind === 0) {
    const at = int(rng, 0, bytes.length - 1);
    bytes[at]! ^= int(rng, 1, 255);
    return { bytes, what: `flip at ${at}` };
  }
  if (kind === 1) {
    const n = int(rng, 2, 4);
    const spots: number[] = [];
    for (let i = 0; i < n; i++) {
      const at = int(rng, 0, bytes.length - 1);
      bytes[at] = int(rng, 0, 255);
      spots.push(at);
    }
    return { bytes, what: `random bytes at ${spots.join(',')}` };
  }
  if (kind === 2) {
    // A plausible-looking header value: record count / length / attributes set to an edge value.
    const field = pick(rng, [BATCH_LENGTH_OFFSET, RECORD_COUNT_OFFSET, ATTRIBUTES_OFFSET]);
    const value = pick(rng, [0, 1, -1, 0x7fffffff, -0x80000000, dv.getInt32(field, true) + 1, dv.getInt32(field, true) - 1]);
    if (field === ATTRIBUTES_OFFSET) dv.setInt16(field, value & 0xffff, true);
    else dv.setInt32(field, value, true);
    return { bytes, what: `field at ${field} := ${value}` };
  }
  // Swap two distinct bytes (a reordering the CRC must also catch).
  const a = int(rng, 0, bytes.length - 1);
  let b = int(rng, 0, bytes.length - 1);
  if (bytes[a] === bytes[b]) {
    b = (a + 1) % bytes.length;
    if (bytes[a] === bytes[b]) bytes[b] = bytes[b]! ^ 0x5a;
  }
  const t = bytes[a]!;
  bytes[a] = bytes[b]!;
  bytes[b] = t;
  return { bytes, what: `swap ${a} and ${b}` };
}

function safeCheck(buf: Uint8Array, pos: number, end?: number): BatchCheck | Error {
  try {
    return checkBatch(buf, pos, end);
  } catch (e) {
    return e as Error;
  }
}

describe('batch format fuzz', () => {
  test(`batch format: 20,000 random mutations are never ok and never throw (seed ${SEED})`, () => {
    const rng = mulberry32(SEED);
    const pool = Array.from({ length: 64 }, () => randomBatch(rng).bytes);
    const kinds = { torn: 0, corrupt: 0 };
    for (let i = 0; i < 20_000; i++) {
      const original = pick(rng, pool);
      const { bytes, what } = mutate(rng, original);
      if (Buffer.from(bytes).equals(Buffer.from(original))) continue;
      // The damaged batch alone, and followed by a healthy one (a length shrunk into the next batch).
      const next = pick(rng, pool);
      for (const buf of [bytes, Buffer.concat([bytes, next])]) {
        const r = safeCheck(buf, 0);
        if (r instanceof Error || r.kind === 'ok') {
          expect.fail(`seed ${SEED} case ${i}: ${what} -> ${r instanceof Error ? `threw ${r.message}` : 'ok'}`);
        }
        kinds[r.kind]++;
      }
    }
    expect(kinds.corrupt).toBeGreaterThan(10_000);
  });

  test(`batch format: every truncation and every extension is torn or ok, never a throw (seed ${SEED})`, () => {
    const rng = mulberry32(SEED + 1);
    for (let i = 0; i < 300; i++) {
      const { bytes, first, count } = randomBatch(rng);
      for (let cut = 0; cut < bytes.length; cut += int(rng, 1, 7)) {
        const r = safeCheck(bytes.subarray(0, cut), 0);
        if (r instanceof Error || r.kind !== 'torn') expect.fail(`seed ${SEED} case ${i}: cut at ${cut} of ${bytes.length} -> ${r instanceof Error ? r.message : r.kind}`);
        // The same with `end` instead of a shorter buffer.
        const e = safeCheck(bytes, 0, cut);
        if (e instanceof Error || e.kind !== 'torn') expect.fail(`seed ${SEED} case ${i}: end ${cut} -> ${e instanceof Error ? e.message : e.kind}`);
      }
      const garbage = Uint8Array.from({ length: int(rng, 1, 64) }, () => int(rng, 0, 255));
      const r = safeCheck(Buffer.concat([bytes, garbage]), 0);
      if (r instanceof Error || r.kind !== 'ok') expect.fail(`seed ${SEED} case ${i}: trailing garbage after an intact batch -> ${r instanceof Error ? r.message : r.kind}`);
      expect(idsOf(decodeBatchBody(bytes, 0, r.header))).toEqual(Array.from({ length: count }, (_, j) => first + j));
    }
  });

  test(`batch format: random bytes at random positions never throw (seed ${SEED})`, () => {
    const rng = mulberry32(SEED + 2);
    for (let i = 0; i < 20_000; i++) {
      const buf = Uint8Array.from({ length: int(rng, 0, 200) }, () => int(rng, 0, 255));
      if (buf.length >= LOG_OVERHEAD_BYTES && rng() < 0.5) {
        // A length that fits the buffer, so the CRC is what has to refuse it.
        new DataView(buf.buffer).setInt32(BATCH_LENGTH_OFFSET, int(rng, HEADER_BYTES - LOG_OVERHEAD_BYTES, buf.length - LOG_OVERHEAD_BYTES), true);
        buf[12] = 1;
      }
      const pos = int(rng, 0, buf.length);
      const r = safeCheck(buf, pos);
      if (r instanceof Error || r.kind === 'ok') expect.fail(`seed ${SEED} case ${i}: ${buf.length} random bytes at ${pos} -> ${r instanceof Error ? r.message : 'ok'}`);
    }
  });

  test(`batch format: a body that passes the CRC but is not what the codec wrote fails with a LakestreamError (seed ${SEED})`, () => {
    // Only a writer bug produces this (the CRC covers the body); decoding must still refuse, not crash.
    const rng = mulberry32(SEED + 3);
    for (let i = 0; i < 3_000; i++) {
      const codec = pick(rng, ['lz4', 'zstd'] as const);
      const good = encodeBatch({ baseOffset: 0n, commitTimestamp: 1, recordCount: 3, compression: codec, hasChangeType: false, writerId: -1n, batchSequence: -1 }, arrowRows(0, 3));
      const body = Uint8Array.from(good.subarray(HEADER_BYTES));
      const n = int(rng, 1, 4);
      for (let j = 0; j < n; j++) body[int(rng, 0, body.length - 1)] = int(rng, 0, 255);
      // Re-frame the damaged body as a "none" batch, then flip the codec bits: the CRC is recomputed by encodeBatch.
      const framed = encodeBatch({ baseOffset: 0n, commitTimestamp: 1, recordCount: 3, compression: 'none', hasChangeType: false, writerId: -1n, batchSequence: -1 }, body);
      const check = checkBatch(framed, 0);
      expect(check.kind).toBe('ok');
      if (check.kind !== 'ok') continue;
      try {
        const out = decodeBatchBody(framed, 0, { ...check.header, compression: codec });
        expect(out).toBeInstanceOf(Uint8Array);
      } catch (e) {
        if (!(e instanceof LakestreamError)) expect.fail(`seed ${SEED} case ${i}: ${codec} decode threw ${(e as Error).name}: ${(e as Error).message}`);
        expect(e.code).toBe('STORAGE_ERROR');
      }
    }
  });
});
