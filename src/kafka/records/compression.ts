/**
 * Kafka's record compression codecs (attribute bits 0-2 of a v2 batch), applied to the records
 * section as a whole. Every decompression is bounded by the caller's `decompressedBytesMax`, and the
 * bound is checked before the output is allocated wherever the format declares its size, so a few
 * kilobytes from a client can never make the broker allocate gigabytes.
 *
 * - gzip: zlib's gunzip with `maxOutputLength`.
 * - snappy: raw snappy (librdkafka, kafka-python), or xerial-framed snappy (the Java client): the magic
 *   0x82 'SNAPPY' 0x00, version int32, compatible int32, then blocks of (int32 length, raw snappy).
 *   Raw snappy starts with its uncompressed length as a varint, which bounds each block up front.
 * - lz4: one standard LZ4 frame (Kafka's KafkaLZ4BlockOutputStream since magic 1, librdkafka's LZ4F).
 *   The frame is walked first: its block sizes and block maximum bound the output before decoding,
 *   to within one block (at most 4 MiB) of the bound.
 * - zstd: streaming decompression, since librdkafka and zstd-jni may omit the frame content size; the
 *   output grows chunk by chunk and stops at the bound.
 */
import zlib from 'node:zlib';
import lz4 from 'lz4-napi';
import * as snappy from 'snappy';
import * as zstd from 'zstd-napi';
import zstdBinding from 'zstd-napi/binding.js';
import { RecordBatchError } from './record-batch-error.js';

export type KafkaCompression = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';

/** Kafka's CompressionType ids, as stored in attribute bits 0-2. */
export const KAFKA_COMPRESSION_IDS: Readonly<Record<KafkaCompression, number>> = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 };
const NAMES_BY_ID: readonly KafkaCompression[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

/** zstd level 3 is zstd's own default and what librdkafka and the Java client use. */
const ZSTD_LEVEL = 3;

export function kafkaCompressionForId(id: number): KafkaCompression | undefined {
  return NAMES_BY_ID[id];
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Compresses an encoded records section; snappy is written raw, which every Kafka client reads. */
export function compressRecords(codec: KafkaCompression, bytes: Uint8Array): Uint8Array {
  switch (codec) {
    case 'none':
      return bytes;
    case 'gzip':
      return zlib.gzipSync(bytes);
    case 'snappy':
      return snappy.compressSync(bytes);
    case 'lz4':
      return lz4.compressFrameSync(asBuffer(bytes));
    case 'zstd':
      return zstd.compress(bytes, { compressionLevel: ZSTD_LEVEL });
  }
}

/**
 * Decompresses a records section. Output beyond `decompressedBytesMax` is MESSAGE_TOO_LARGE; bytes the
 * codec cannot decode are INVALID_RECORD (the batch CRC has passed by then, so the client wrote them).
 */
export function decompressRecords(codec: KafkaCompression, bytes: Uint8Array, decompressedBytesMax: number): Uint8Array {
  if (codec === 'none') return bytes;
  let out: Uint8Array;
  try {
    out = DECOMPRESSORS[codec](bytes, decompressedBytesMax);
  } catch (err) {
    if (err instanceof RecordBatchError) throw err;
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge(codec, decompressedBytesMax);
    throw new RecordBatchError('INVALID_RECORD', `cannot decompress ${codec} records: ${(err as Error).message}`);
  }
  if (out.length > decompressedBytesMax) throw tooLarge(codec, decompressedBytesMax);
  return out;
}

function tooLarge(codec: KafkaCompression, decompressedBytesMax: number): RecordBatchError {
  return new RecordBatchError('MESSAGE_TOO_LARGE', `${codec} records decompress to more than ${decompressedBytesMax} bytes`);
}

function malformed(codec: KafkaCompression, what: string): RecordBatchError {
  return new RecordBatchError('INVALID_RECORD', `cannot decompress ${codec} records: ${what}`);
}

type Decompressor = (bytes: Uint8Array, outputBytesMax: number) => Uint8Array;

const DECOMPRESSORS: Readonly<Record<Exclude<KafkaCompression, 'none'>, Decompressor>> = {
  gzip: (bytes, max) => zlib.gunzipSync(bytes, { maxOutputLength: Math.max(1, max) }),
  snappy: decompressSnappy,
  lz4: decompressLz4,
  zstd: decompressZstd,
};

// ---------------------------------------------------------------------------------------------
// snappy

const XERIAL_MAGIC = Uint8Array.of(0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00);
/** Magic, version int32, compatible-version int32. */
const XERIAL_HEADER_BYTES = XERIAL_MAGIC.length + 8;
const XERIAL_BLOCK_LENGTH_BYTES = 4;

function isXerial(bytes: Uint8Array): boolean {
  if (bytes.length < XERIAL_HEADER_BYTES) return false;
  for (let i = 0; i < XERIAL_MAGIC.length; i++) if (bytes[i] !== XERIAL_MAGIC[i]) return false;
  return true;
}

/** The uncompressed length a raw snappy block declares (a varint of at most 32 bits, LE base 128). */
function snappyDeclaredLength(block: Uint8Array): number {
  let result = 0;
  for (let i = 0; i < 5; i++) {
    if (i >= block.length) throw malformed('snappy', 'block ends inside its length');
    const b = block[i]!;
    result += (b & 0x7f) * 2 ** (7 * i);
    if ((b & 0x80) === 0) return result;
  }
  throw malformed('snappy', 'block length varint longer than 5 bytes');
}

function uncompressSnappyBlock(block: Uint8Array, room: number): Buffer {
  if (snappyDeclaredLength(block) > room) throw tooLarge('snappy', room);
  return snappy.uncompressSync(block, { asBuffer: true }) as Buffer;
}

function decompressSnappy(bytes: Uint8Array, max: number): Uint8Array {
  if (!isXerial(bytes)) return uncompressSnappyBlock(bytes, max);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const blocks: Buffer[] = [];
  let total = 0;
  let pos = XERIAL_HEADER_BYTES;
  while (pos < bytes.length) {
    if (bytes.length - pos < XERIAL_BLOCK_LENGTH_BYTES) throw malformed('snappy', `xerial block length at ${pos} is cut off`);
    const length = dv.getInt32(pos);
    pos += XERIAL_BLOCK_LENGTH_BYTES;
    if (length < 0 || length > bytes.length - pos) {
      throw malformed('snappy', `xerial block of ${length} bytes at ${pos} but ${bytes.length - pos} remain`);
    }
    const block = uncompressSnappyBlock(bytes.subarray(pos, pos + length), max - total);
    total += block.length;
    blocks.push(block);
    pos += length;
  }
  return blocks.length === 1 ? blocks[0]! : Buffer.concat(blocks, total);
}

// ---------------------------------------------------------------------------------------------
// lz4 (frame format, https://github.com/lz4/lz4/blob/dev/doc/lz4_Frame_format.md)

const LZ4_MAGIC = 0x184d2204;
const LZ4_FLG_VERSION_MASK = 0xc0;
const LZ4_FLG_VERSION_01 = 0x40;
const LZ4_FLG_BLOCK_CHECKSUM = 0x10;
const LZ4_FLG_CONTENT_SIZE = 0x08;
const LZ4_FLG_CONTENT_CHECKSUM = 0x04;
const LZ4_FLG_DICT_ID = 0x01;
const LZ4_BLOCK_UNCOMPRESSED_BIT = 0x80000000;
const LZ4_CHECKSUM_BYTES = 4;
/** BD bits 4-6: 4 = 64 KiB, 5 = 256 KiB, 6 = 1 MiB, 7 = 4 MiB. */
const LZ4_BLOCK_BYTES_MAX_BY_ID: Readonly<Record<number, number>> = { 4: 1 << 16, 5: 1 << 18, 6: 1 << 20, 7: 1 << 22 };

/**
 * The most bytes the frame can decode to, from its structure alone: its declared content size when it
 * has one, else each compressed block's maximum plus each stored block's size; and the slack to allow
 * on top of the caller's bound. Encoders fill every block but the last, so a legitimate frame's bound
 * overshoots its output by less than one block: decoding is refused only beyond the caller's bound
 * plus that block, and the decoded length is checked against the caller's bound itself.
 * Also refuses a frame that is cut off or followed by other bytes.
 */
function lz4OutputBytesBound(bytes: Uint8Array): { boundBytes: number; slackBytes: number } {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const need = (pos: number, n: number, what: string): void => {
    if (bytes.length - pos < n) throw malformed('lz4', `frame ends inside its ${what} at byte ${pos}`);
  };
  need(0, 7, 'header');
  if (dv.getUint32(0, true) !== LZ4_MAGIC) throw malformed('lz4', `not an LZ4 frame (magic 0x${dv.getUint32(0, true).toString(16)})`);
  const flg = bytes[4]!;
  if ((flg & LZ4_FLG_VERSION_MASK) !== LZ4_FLG_VERSION_01) throw malformed('lz4', `frame version bits ${flg >> 6}`);
  const blockBytesMax = LZ4_BLOCK_BYTES_MAX_BY_ID[(bytes[5]! >> 4) & 0x07];
  if (blockBytesMax === undefined) throw malformed('lz4', `block maximum id ${(bytes[5]! >> 4) & 0x07}`);
  let pos = 6;
  let contentBytes: number | undefined;
  if ((flg & LZ4_FLG_CONTENT_SIZE) !== 0) {
    need(pos, 9, 'content size');
    contentBytes = Number(dv.getBigUint64(pos, true));
    pos += 8;
  }
  if ((flg & LZ4_FLG_DICT_ID) !== 0) pos += 4;
  pos += 1; // header checksum, verified by the decoder
  const blockChecksumBytes = (flg & LZ4_FLG_BLOCK_CHECKSUM) !== 0 ? LZ4_CHECKSUM_BYTES : 0;
  let bound = 0;
  for (;;) {
    need(pos, 4, 'block size');
    const word = dv.getUint32(pos, true);
    pos += 4;
    if (word === 0) break;
    const stored = (word & LZ4_BLOCK_UNCOMPRESSED_BIT) !== 0;
    const size = word & ~LZ4_BLOCK_UNCOMPRESSED_BIT;
    if (size > blockBytesMax) throw malformed('lz4', `block of ${size} bytes exceeds the frame's ${blockBytesMax}`);
    need(pos, size + blockChecksumBytes, 'block');
    pos += size + blockChecksumBytes;
    bound += stored ? size : blockBytesMax;
  }
  if ((flg & LZ4_FLG_CONTENT_CHECKSUM) !== 0) {
    need(pos, LZ4_CHECKSUM_BYTES, 'content checksum');
    pos += LZ4_CHECKSUM_BYTES;
  }
  if (pos !== bytes.length) throw malformed('lz4', `${bytes.length - pos} bytes after the end of the frame`);
  return contentBytes === undefined ? { boundBytes: bound, slackBytes: blockBytesMax } : { boundBytes: contentBytes, slackBytes: 0 };
}

function decompressLz4(bytes: Uint8Array, max: number): Uint8Array {
  const { boundBytes, slackBytes } = lz4OutputBytesBound(bytes);
  if (boundBytes > max + slackBytes) throw tooLarge('lz4', max);
  return lz4.decompressFrameSync(asBuffer(bytes));
}

// ---------------------------------------------------------------------------------------------
// zstd

const ZSTD_CHUNK_BYTES_MIN = 128 * 1024;
let zstdContext: InstanceType<typeof zstdBinding.DCtx> | undefined;

/**
 * Streams the frames into chunks, each at most the room left under the bound plus one byte, so output
 * past the bound is noticed after one byte, not after a chunk. A frame that declares its content size
 * gets it as the first chunk (refused up front if it is beyond the bound).
 */
function decompressZstd(bytes: Uint8Array, max: number): Uint8Array {
  const dctx = (zstdContext ??= new zstdBinding.DCtx());
  dctx.reset(zstdBinding.ResetDirective.sessionOnly); // a previous call may have failed mid-frame
  const declared = zstdBinding.getFrameContentSize(bytes);
  if (declared !== null && declared > max) throw tooLarge('zstd', max);
  const chunks: Buffer[] = [];
  let total = 0;
  let src = bytes;
  let next = declared !== null && declared > 0 ? declared : Math.max(ZSTD_CHUNK_BYTES_MIN, bytes.length * 4);
  for (;;) {
    const dst = Buffer.allocUnsafe(Math.min(next, max - total + 1));
    const [remaining, produced, consumed] = dctx.decompressStream(dst, src);
    total += produced;
    if (total > max) throw tooLarge('zstd', max);
    if (produced > 0) chunks.push(dst.subarray(0, produced));
    src = src.subarray(consumed);
    if (remaining === 0 && src.length === 0) break;
    if (produced < dst.length && consumed === 0) throw malformed('zstd', src.length === 0 ? 'frame is cut off' : 'no progress');
    next = Math.max(ZSTD_CHUNK_BYTES_MIN, total);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total);
}
