import { describe, expect, test } from 'vitest';
import {
  ATTRIBUTES_OFFSET, BASE_OFFSET_OFFSET, BATCH_LENGTH_OFFSET, checkBatch, COMMIT_TIMESTAMP_OFFSET, CRC_OFFSET,
  decodeBatchBody, decodeBatchHeader, encodeBatch, HEADER_BYTES, LAST_OFFSET_DELTA_OFFSET, LOG_OVERHEAD_BYTES, MAGIC_OFFSET,
  RECORD_COUNT_OFFSET, BATCH_SEQUENCE_OFFSET, WRITER_ID_OFFSET, type BatchFields,
} from '../../src/log/batch-format.js';
import type { CompressionName } from '../../src/log/compression.js';
import { arrowRows, idsOf } from './helpers.js';

const CODECS: CompressionName[] = ['none', 'lz4', 'zstd'];

function fields(compression: CompressionName, recordCount = 5): BatchFields {
  return {
    baseOffset: 1234567890123n, commitTimestamp: 1_700_000_000_123, recordCount, compression,
    hasChangeType: true, writerId: 42n, batchSequence: 7,
  };
}

describe('batch format', () => {
  test('batch format: header fields sit at the documented offsets', () => {
    expect([BASE_OFFSET_OFFSET, BATCH_LENGTH_OFFSET, MAGIC_OFFSET, CRC_OFFSET, ATTRIBUTES_OFFSET, LAST_OFFSET_DELTA_OFFSET,
      COMMIT_TIMESTAMP_OFFSET, WRITER_ID_OFFSET, BATCH_SEQUENCE_OFFSET, RECORD_COUNT_OFFSET, HEADER_BYTES])
      .toEqual([0, 8, 12, 13, 17, 19, 23, 31, 39, 43, 47]);
    expect(LOG_OVERHEAD_BYTES).toBe(12);
  });

  for (const codec of CODECS) {
    test(`batch format: round trips with ${codec}`, () => {
      const arrow = arrowRows(100, 5);
      const bytes = encodeBatch(fields(codec), arrow);
      const check = checkBatch(bytes, 0);
      expect(check.kind).toBe('ok');
      if (check.kind !== 'ok') return;
      const h = check.header;
      expect(h).toMatchObject({
        baseOffset: 1234567890123n, lastOffset: 1234567890127n, recordCount: 5, lastOffsetDelta: 4,
        commitTimestamp: 1_700_000_000_123, writerId: 42n, batchSequence: 7, compression: codec, hasChangeType: true,
        sizeBytes: bytes.length, batchLength: bytes.length - LOG_OVERHEAD_BYTES,
      });
      expect(decodeBatchHeader(bytes, 0)).toEqual(h);
      const body = decodeBatchBody(bytes, 0, h);
      expect(Buffer.from(body).equals(Buffer.from(arrow))).toBe(true);
      expect(idsOf(body)).toEqual([100, 101, 102, 103, 104]);
    });
  }

  test('batch format: compression shrinks a repetitive body', () => {
    const arrow = arrowRows(0, 2000);
    for (const codec of ['lz4', 'zstd'] as const) {
      expect(encodeBatch(fields(codec, 2000), arrow).length).toBeLessThan(arrow.length * 0.75);
    }
  });

  test('batch format: decodes a batch in the middle of a buffer', () => {
    const a = encodeBatch({ ...fields('none', 2), baseOffset: 0n }, arrowRows(0, 2));
    const b = encodeBatch({ ...fields('lz4', 3), baseOffset: 2n }, arrowRows(2, 3));
    const buf = Buffer.concat([a, b]);
    const check = checkBatch(buf, a.length);
    expect(check.kind).toBe('ok');
    if (check.kind === 'ok') expect(idsOf(decodeBatchBody(buf, a.length, check.header))).toEqual([2, 3, 4]);
  });

  for (const codec of CODECS) {
    test(`batch format: every single-byte corruption is detected (${codec})`, () => {
      const bytes = encodeBatch(fields(codec, 3), arrowRows(0, 3));
      for (let i = 0; i < bytes.length; i++) {
        for (const mask of [0x01, 0x80, 0xff]) {
          const damaged = Uint8Array.from(bytes);
          damaged[i]! ^= mask;
          const check = checkBatch(damaged, 0);
          expect({ i, mask, kind: check.kind }).not.toEqual({ i, mask, kind: 'ok' });
        }
      }
    });
  }

  test('batch format: every truncation of the last batch is torn', () => {
    const first = encodeBatch({ ...fields('zstd', 2), baseOffset: 0n }, arrowRows(0, 2));
    const last = encodeBatch({ ...fields('zstd', 2), baseOffset: 2n }, arrowRows(2, 2));
    const file = Buffer.concat([first, last]);
    expect(checkBatch(file, first.length).kind).toBe('ok');
    for (let cut = first.length; cut < file.length; cut++) {
      const check = checkBatch(file.subarray(0, cut), first.length);
      expect({ cut, kind: check.kind }).toEqual({ cut, kind: 'torn' });
      expect(checkBatch(file.subarray(0, cut), 0).kind).toBe('ok'); // the batch before is untouched
    }
  });

  test('batch format: lengths out of bounds are corrupt, not trusted', () => {
    const bytes = encodeBatch(fields('none', 1), arrowRows(0, 1));
    const dv = new DataView(bytes.buffer);
    for (const len of [-1, 0, HEADER_BYTES - LOG_OVERHEAD_BYTES - 1, 0x7fffffff]) {
      const damaged = Uint8Array.from(bytes);
      new DataView(damaged.buffer).setInt32(BATCH_LENGTH_OFFSET, len, true);
      expect(checkBatch(damaged, 0).kind).toBe('corrupt');
    }
    expect(dv.getInt32(BATCH_LENGTH_OFFSET, true)).toBe(bytes.length - LOG_OVERHEAD_BYTES);
    expect(() => decodeBatchHeader(bytes.subarray(0, HEADER_BYTES - 1), 0)).toThrow(/runs past/);
  });

  test('batch format: refuses to encode impossible fields', () => {
    expect(() => encodeBatch({ ...fields('none'), recordCount: 0 }, arrowRows(0, 1))).toThrow(/record count/);
    expect(() => encodeBatch({ ...fields('none'), baseOffset: -1n }, arrowRows(0, 1))).toThrow(/base offset/);
    expect(() => encodeBatch({ ...fields('none'), batchSequence: -2 }, arrowRows(0, 1))).toThrow(/batch sequence/);
  });
});
