import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import * as snappy from 'snappy';
import { describe, expect, test } from 'vitest';
import * as zstd from 'zstd-napi';
import { compressRecords, decompressRecords, KAFKA_COMPRESSION_IDS, kafkaCompressionForId, type KafkaCompression } from '../../../src/kafka/records/compression.js';
import { RecordBatchError } from '../../../src/kafka/records/record-batch-error.js';
import { ROOT } from '../../e2e/helpers.js';

const LZ4_CLI_DIR = path.join(ROOT, 'test/fixtures/kafka/lz4-cli');
/** What every frame in test/fixtures/kafka/lz4-cli holds (see its README). */
const LZ4_CLI_INPUT = Buffer.from(Array.from({ length: 8000 }, (_, i) => `lz4 line ${i}\n`).join(''));
const MIB = 1 << 20;
const CODECS: readonly Exclude<KafkaCompression, 'none'>[] = ['gzip', 'snappy', 'lz4', 'zstd'];

function refusal(fn: () => unknown): RecordBatchError {
  try {
    fn();
  } catch (err) {
    if (err instanceof RecordBatchError) return err;
    throw err;
  }
  throw new Error('expected a RecordBatchError, nothing was thrown');
}

/** Java's SnappyOutputStream (xerial) framing: magic, version 1, compatible 1, then (int32 length, raw block)s. */
function xerial(data: Uint8Array, blockBytes: number): Buffer {
  const parts: Buffer[] = [Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1])];
  for (let at = 0; at < data.length; at += blockBytes) {
    const block = snappy.compressSync(data.subarray(at, at + blockBytes));
    const length = Buffer.alloc(4);
    length.writeInt32BE(block.length);
    parts.push(length, block);
  }
  return Buffer.concat(parts);
}

/** An LZ4 frame header (no content size, no checksums, 4 MiB blocks) followed by `blocks` and the end mark. */
function lz4Frame(blocks: Buffer[]): Buffer {
  // FLG 0x60: version 01, independent blocks. BD 0x70: 4 MiB. HC: xxh32(FLG,BD) >> 8 & 0xff for these two bytes.
  return Buffer.concat([Buffer.from([0x04, 0x22, 0x4d, 0x18, 0x60, 0x70, 0x73]), ...blocks, Buffer.alloc(4)]);
}

describe('kafka compression', () => {
  test('compression: ids are Kafka\'s CompressionType ids', () => {
    expect(KAFKA_COMPRESSION_IDS).toEqual({ none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 });
    expect([0, 1, 2, 3, 4, 5, 7].map(kafkaCompressionForId)).toEqual(['none', 'gzip', 'snappy', 'lz4', 'zstd', undefined, undefined]);
  });

  for (const codec of CODECS) {
    test(`compression: ${codec} round trips empty, small and larger inputs`, () => {
      for (const input of [new Uint8Array(0), Buffer.from('hello kafka'), LZ4_CLI_INPUT, new Uint8Array(MIB).map((_, i) => (i * 7919) % 251)]) {
        const packed = compressRecords(codec, input);
        expect(Buffer.from(decompressRecords(codec, packed, input.length)).equals(Buffer.from(input))).toBe(true);
      }
    });

    test(`compression: ${codec} refuses a bomb beyond the bound without inflating it`, () => {
      const bomb = compressRecords(codec, new Uint8Array(8 * MIB));
      expect(bomb.length).toBeLessThan(MIB);
      const err = refusal(() => decompressRecords(codec, bomb, MIB));
      expect([err.kafkaError, err.kafkaCode, err.message]).toEqual(['MESSAGE_TOO_LARGE', 10, `${codec} records decompress to more than ${MIB} bytes`]);
      expect(decompressRecords(codec, bomb, 8 * MIB).length).toBe(8 * MIB);
    });

    test(`compression: ${codec} garbage and truncations are INVALID_RECORD`, () => {
      const packed = compressRecords(codec, LZ4_CLI_INPUT);
      for (const bad of [Buffer.from('not compressed at all, not even close'), packed.subarray(0, packed.length >> 1), packed.subarray(0, 3)]) {
        expect(refusal(() => decompressRecords(codec, bad, 16 * MIB)).kafkaError).toBe('INVALID_RECORD');
      }
    });
  }

  test('compression: none passes the bytes through as they are', () => {
    const bytes = Buffer.from('as is');
    expect(compressRecords('none', bytes)).toBe(bytes);
    expect(decompressRecords('none', bytes, 0)).toBe(bytes);
  });

  test('compression: gzip reads concatenated members, as Java\'s GZIPInputStream does', () => {
    const two = Buffer.concat([zlib.gzipSync('first '), zlib.gzipSync('second')]);
    expect(Buffer.from(decompressRecords('gzip', two, MIB)).toString()).toBe('first second');
  });

  test('compression: snappy reads xerial frames (the Java client) as well as raw snappy (librdkafka)', () => {
    for (const blockBytes of [32 * 1024, 1000, LZ4_CLI_INPUT.length]) {
      const framed = xerial(LZ4_CLI_INPUT, blockBytes);
      expect(Buffer.from(decompressRecords('snappy', framed, MIB)).equals(LZ4_CLI_INPUT)).toBe(true);
    }
    expect(Buffer.from(decompressRecords('snappy', snappy.compressSync(LZ4_CLI_INPUT), MIB)).equals(LZ4_CLI_INPUT)).toBe(true);
    expect(decompressRecords('snappy', xerial(new Uint8Array(0), 1), MIB).length).toBe(0);
  });

  test('compression: snappy bounds each block by its declared length before decoding it', () => {
    // A raw block claiming 2^31 bytes, then garbage: refused without allocating.
    const claim = Buffer.from([0x80, 0x80, 0x80, 0x80, 0x08, 0x00, 0x01, 0x02]);
    expect(refusal(() => decompressRecords('snappy', claim, MIB)).kafkaError).toBe('MESSAGE_TOO_LARGE');
    // Xerial blocks each under the bound whose sum is over it.
    const framed = xerial(new Uint8Array(3 * MIB), 512 * 1024);
    expect(refusal(() => decompressRecords('snappy', framed, 2 * MIB)).kafkaError).toBe('MESSAGE_TOO_LARGE');
    // A xerial block length past the end, and a cut-off length field.
    const good = xerial(LZ4_CLI_INPUT, 32 * 1024);
    expect(refusal(() => decompressRecords('snappy', good.subarray(0, good.length - 10), MIB)).message).toMatch(/xerial block of \d+ bytes/);
    expect(refusal(() => decompressRecords('snappy', Buffer.concat([good, Buffer.from([0, 0])]), MIB)).message).toMatch(/xerial block length at \d+ is cut off/);
  });

  for (const file of fs.readdirSync(LZ4_CLI_DIR).filter((f) => f.endsWith('.lz4'))) {
    test(`compression: lz4 decodes the reference tool's frame ${file}`, () => {
      const frame = fs.readFileSync(path.join(LZ4_CLI_DIR, file));
      expect(Buffer.from(decompressRecords('lz4', frame, MIB)).equals(LZ4_CLI_INPUT)).toBe(true);
      expect(refusal(() => decompressRecords('lz4', frame, 100_000)).kafkaError).toBe('MESSAGE_TOO_LARGE');
      expect(refusal(() => decompressRecords('lz4', frame.subarray(0, frame.length - 1), MIB)).kafkaError).toBe('INVALID_RECORD');
      expect(refusal(() => decompressRecords('lz4', Buffer.concat([frame, Buffer.from([0])]), MIB)).message).toContain('1 bytes after the end of the frame');
    });
  }

  test('compression: lz4 bounds a frame by its blocks before decoding it', () => {
    // 100 tiny compressed blocks: each may expand to 4 MiB, so the frame may be 400 MiB.
    const tinyBlock = Buffer.from([0x02, 0x00, 0x00, 0x00, 0x10, 0x61]); // size 2, one literal "a"
    const frame = lz4Frame(Array.from({ length: 100 }, () => tinyBlock));
    expect(refusal(() => decompressRecords('lz4', frame, 64 * MIB)).kafkaError).toBe('MESSAGE_TOO_LARGE');
    // A block larger than the frame's maximum.
    const huge = Buffer.alloc(4);
    huge.writeUInt32LE((4 << 20) + 1);
    expect(refusal(() => decompressRecords('lz4', lz4Frame([huge]), 64 * MIB)).message).toMatch(/block of \d+ bytes exceeds/);
    // A declared content size over the bound is refused from the header alone.
    const withSize = fs.readFileSync(path.join(LZ4_CLI_DIR, '256k-block-checksum-content-size.lz4'));
    expect(refusal(() => decompressRecords('lz4', withSize, LZ4_CLI_INPUT.length - 1)).kafkaError).toBe('MESSAGE_TOO_LARGE');
  });

  test('compression: zstd without a content size (librdkafka, zstd-jni) streams to the bound and stops', async () => {
    const stream = new zstd.CompressStream();
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    const ended = new Promise((resolve) => stream.on('end', resolve));
    stream.end(Buffer.alloc(8 * MIB, 0x61));
    await ended;
    const frame = Buffer.concat(chunks);
    expect(Buffer.from(decompressRecords('zstd', frame, 8 * MIB)).equals(Buffer.alloc(8 * MIB, 0x61))).toBe(true);
    expect(refusal(() => decompressRecords('zstd', frame, 8 * MIB - 1)).kafkaError).toBe('MESSAGE_TOO_LARGE');
  });

  test('compression: zstd reads frames back to back', () => {
    const two = Buffer.concat([zstd.compress(Buffer.from('first ')), zstd.compress(Buffer.from('second'))]);
    expect(Buffer.from(decompressRecords('zstd', two, MIB)).toString()).toBe('first second');
  });

  test('compression: a zstd frame declaring more than the bound is refused from its header', () => {
    const frame = zstd.compress(new Uint8Array(4 * MIB));
    expect(refusal(() => decompressRecords('zstd', frame, MIB)).kafkaError).toBe('MESSAGE_TOO_LARGE');
    // Decoding after a refusal mid-frame starts cleanly.
    expect(decompressRecords('zstd', zstd.compress(Buffer.from('after')), MIB).length).toBe(5);
  });
});
