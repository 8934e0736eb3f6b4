/**
 * The record batch byte layout: a fixed little-endian header followed by the (optionally compressed)
 * Arrow IPC stream of one record batch. Written once by `encodeBatch`, read back by `checkBatch` +
 * `decodeBatchHeader` + `decodeBatchBody`, all in this file so the two sides cannot drift.
 *
 *   offset  length  field
 *   ------  ------  -----------------------------------------------------------------------------
 *        0       8  baseOffset       int64   offset of the first record
 *        8       4  batchLength      int32   bytes after this field (header rest + body)
 *       12       1  magic            int8    = 1
 *       13       4  crc              uint32  CRC-32C of every byte of the batch except this field
 *       17       2  attributes       int16   bits 0-1 compression (0 none, 1 lz4, 2 zstd),
 *                                            bit 2 change-type column present, other bits 0
 *       19       4  lastOffsetDelta  int32   = recordCount - 1 (offsets are dense)
 *       23       8  commitTimestamp  int64   epoch ms, assigned by the log at append
 *       31       8  writerId         int64   idempotent writer, -1 none
 *       39       4  batchSequence    int32   writer's sequence number, -1 none
 *       43       4  recordCount      int32   >= 1
 *       47       -  body                     Arrow IPC stream (schema + 1 batch + EOS), compressed
 *                                            as a whole by the codec named in attributes
 *
 * Unlike Kafka, the CRC also covers baseOffset, batchLength and magic (it is computed over [0, 13)
 * then [17, end)), so no single damaged byte anywhere in a batch can decode into a wrong batch.
 */
import { LakestreamError } from '../common/errors.js';
import { compress, compressionName, COMPRESSION_IDS, decompress, type CompressionName } from './compression.js';
import { crc32c } from '../common/crc32c.js';

export const BASE_OFFSET_OFFSET = 0;
export const BASE_OFFSET_LENGTH = 8;
export const BATCH_LENGTH_OFFSET = BASE_OFFSET_OFFSET + BASE_OFFSET_LENGTH;
export const BATCH_LENGTH_LENGTH = 4;
export const MAGIC_OFFSET = BATCH_LENGTH_OFFSET + BATCH_LENGTH_LENGTH;
export const MAGIC_LENGTH = 1;
export const CRC_OFFSET = MAGIC_OFFSET + MAGIC_LENGTH;
export const CRC_LENGTH = 4;
export const ATTRIBUTES_OFFSET = CRC_OFFSET + CRC_LENGTH;
export const ATTRIBUTES_LENGTH = 2;
export const LAST_OFFSET_DELTA_OFFSET = ATTRIBUTES_OFFSET + ATTRIBUTES_LENGTH;
export const LAST_OFFSET_DELTA_LENGTH = 4;
export const COMMIT_TIMESTAMP_OFFSET = LAST_OFFSET_DELTA_OFFSET + LAST_OFFSET_DELTA_LENGTH;
export const COMMIT_TIMESTAMP_LENGTH = 8;
export const WRITER_ID_OFFSET = COMMIT_TIMESTAMP_OFFSET + COMMIT_TIMESTAMP_LENGTH;
export const WRITER_ID_LENGTH = 8;
export const BATCH_SEQUENCE_OFFSET = WRITER_ID_OFFSET + WRITER_ID_LENGTH;
export const BATCH_SEQUENCE_LENGTH = 4;
export const RECORD_COUNT_OFFSET = BATCH_SEQUENCE_OFFSET + BATCH_SEQUENCE_LENGTH;
export const RECORD_COUNT_LENGTH = 4;
export const RECORDS_OFFSET = RECORD_COUNT_OFFSET + RECORD_COUNT_LENGTH;

/** Bytes of the header, i.e. of a batch with an empty body. */
export const HEADER_BYTES = RECORDS_OFFSET;
/** Bytes before and including batchLength: what must be read to learn a batch's size. */
export const LOG_OVERHEAD_BYTES = BATCH_LENGTH_OFFSET + BATCH_LENGTH_LENGTH;
export const MAGIC = 1;

/** Limits: a batch on disk, and the Arrow bytes it holds once decompressed. */
export const BATCH_BYTES_MAX = 128 * 1024 * 1024;
export const ARROW_BYTES_MAX = 256 * 1024 * 1024;

const COMPRESSION_MASK = 0b011;
const CHANGE_TYPE_BIT = 0b100;
const KNOWN_ATTRIBUTE_BITS = COMPRESSION_MASK | CHANGE_TYPE_BIT;
const INT32_MAX = 0x7fffffff;
const INT64_MAX = (1n << 63n) - 1n;

/** What the caller chooses for a batch; everything else in the header is derived. */
export interface BatchFields {
  baseOffset: bigint;
  commitTimestamp: number;
  recordCount: number;
  compression: CompressionName;
  hasChangeType: boolean;
  writerId: bigint; // -1n: none
  batchSequence: number; // -1: none
}

export interface BatchHeader extends BatchFields {
  batchLength: number;
  lastOffsetDelta: number;
  crc: number;
  /** Whole batch on disk: LOG_OVERHEAD_BYTES + batchLength. */
  sizeBytes: number;
  lastOffset: bigint;
}

export type BatchCheck =
  | { kind: 'ok'; header: BatchHeader }
  | { kind: 'torn'; reason: string } // the bytes end before the batch does
  | { kind: 'corrupt'; reason: string }; // the bytes are there but wrong

function view(buf: Uint8Array): DataView {
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
}

function batchCrc(buf: Uint8Array, pos: number, end: number): number {
  return crc32c(buf, pos + ATTRIBUTES_OFFSET, end, crc32c(buf, pos, pos + CRC_OFFSET));
}

/** Compresses the Arrow bytes with `fields.compression` and frames them. */
export function encodeBatch(fields: BatchFields, arrowIpc: Uint8Array): Uint8Array {
  assertFields(fields, arrowIpc);
  const body = compress(fields.compression, arrowIpc);
  const out = new Uint8Array(HEADER_BYTES + body.length);
  if (out.length > BATCH_BYTES_MAX) {
    throw new LakestreamError('REQUEST_TOO_LARGE', `record batch of ${out.length} bytes exceeds ${BATCH_BYTES_MAX}`);
  }
  const dv = view(out);
  const attributes = COMPRESSION_IDS[fields.compression] | (fields.hasChangeType ? CHANGE_TYPE_BIT : 0);
  dv.setBigInt64(BASE_OFFSET_OFFSET, fields.baseOffset, true);
  dv.setInt32(BATCH_LENGTH_OFFSET, out.length - LOG_OVERHEAD_BYTES, true);
  dv.setInt8(MAGIC_OFFSET, MAGIC);
  dv.setInt16(ATTRIBUTES_OFFSET, attributes, true);
  dv.setInt32(LAST_OFFSET_DELTA_OFFSET, fields.recordCount - 1, true);
  dv.setBigInt64(COMMIT_TIMESTAMP_OFFSET, BigInt(fields.commitTimestamp), true);
  dv.setBigInt64(WRITER_ID_OFFSET, fields.writerId, true);
  dv.setInt32(BATCH_SEQUENCE_OFFSET, fields.batchSequence, true);
  dv.setInt32(RECORD_COUNT_OFFSET, fields.recordCount, true);
  out.set(body, RECORDS_OFFSET);
  dv.setUint32(CRC_OFFSET, batchCrc(out, 0, out.length), true);
  return out;
}

/**
 * Reads the header fields at `pos`. Does not validate them: call `checkBatch` first for bytes from
 * disk. Only refuses to read past the buffer.
 */
export function decodeBatchHeader(buf: Uint8Array, pos: number): BatchHeader {
  if (pos < 0 || pos + HEADER_BYTES > buf.length) {
    throw new LakestreamError('STORAGE_ERROR', `batch header at ${pos} runs past ${buf.length} buffered bytes`);
  }
  const dv = view(buf);
  const attributes = dv.getInt16(pos + ATTRIBUTES_OFFSET, true);
  const baseOffset = dv.getBigInt64(pos + BASE_OFFSET_OFFSET, true);
  const batchLength = dv.getInt32(pos + BATCH_LENGTH_OFFSET, true);
  const lastOffsetDelta = dv.getInt32(pos + LAST_OFFSET_DELTA_OFFSET, true);
  return {
    baseOffset,
    batchLength,
    crc: dv.getUint32(pos + CRC_OFFSET, true),
    compression: compressionName(attributes & COMPRESSION_MASK) ?? 'none',
    hasChangeType: (attributes & CHANGE_TYPE_BIT) !== 0,
    lastOffsetDelta,
    commitTimestamp: Number(dv.getBigInt64(pos + COMMIT_TIMESTAMP_OFFSET, true)),
    writerId: dv.getBigInt64(pos + WRITER_ID_OFFSET, true),
    batchSequence: dv.getInt32(pos + BATCH_SEQUENCE_OFFSET, true),
    recordCount: dv.getInt32(pos + RECORD_COUNT_OFFSET, true),
    sizeBytes: LOG_OVERHEAD_BYTES + batchLength,
    lastOffset: baseOffset + BigInt(lastOffsetDelta),
  };
}

/**
 * Validates the batch at `pos` within `buf[.., end)`: length bounds, magic, CRC, then the header's
 * own consistency. Never throws on bad bytes; reports `torn` when the buffer ends inside the batch.
 */
export function checkBatch(buf: Uint8Array, pos: number, end = buf.length): BatchCheck {
  const available = end - pos;
  if (available < LOG_OVERHEAD_BYTES) return { kind: 'torn', reason: `${available} bytes, less than a batch length prefix` };
  const dv = view(buf);
  const batchLength = dv.getInt32(pos + BATCH_LENGTH_OFFSET, true);
  if (batchLength < HEADER_BYTES - LOG_OVERHEAD_BYTES || batchLength > BATCH_BYTES_MAX - LOG_OVERHEAD_BYTES) {
    return { kind: 'corrupt', reason: `batch length ${batchLength} out of bounds` };
  }
  const batchEnd = pos + LOG_OVERHEAD_BYTES + batchLength;
  if (batchEnd > end) return { kind: 'torn', reason: `batch of ${batchEnd - pos} bytes but ${available} available` };
  const magic = dv.getInt8(pos + MAGIC_OFFSET);
  if (magic !== MAGIC) return { kind: 'corrupt', reason: `magic ${magic}, expected ${MAGIC}` };
  const stored = dv.getUint32(pos + CRC_OFFSET, true);
  const computed = batchCrc(buf, pos, batchEnd);
  if (stored !== computed) return { kind: 'corrupt', reason: `crc ${stored} != computed ${computed}` };
  return checkHeaderFields(buf, pos);
}

/**
 * The header checks of `checkBatch` without the CRC, for a reader that holds only the head of a batch
 * (a projected read fetches a few column ranges, so it cannot checksum the whole). `buf` must hold at
 * least the header; the body need not be there.
 */
export function checkBatchHead(buf: Uint8Array, pos: number): BatchCheck {
  if (buf.length - pos < HEADER_BYTES) return { kind: 'torn', reason: `${buf.length - pos} bytes, less than a batch header` };
  const dv = view(buf);
  const batchLength = dv.getInt32(pos + BATCH_LENGTH_OFFSET, true);
  if (batchLength < HEADER_BYTES - LOG_OVERHEAD_BYTES || batchLength > BATCH_BYTES_MAX - LOG_OVERHEAD_BYTES) {
    return { kind: 'corrupt', reason: `batch length ${batchLength} out of bounds` };
  }
  const magic = dv.getInt8(pos + MAGIC_OFFSET);
  if (magic !== MAGIC) return { kind: 'corrupt', reason: `magic ${magic}, expected ${MAGIC}` };
  return checkHeaderFields(buf, pos);
}

function checkHeaderFields(buf: Uint8Array, pos: number): BatchCheck {
  const header = decodeBatchHeader(buf, pos);
  const problem = headerProblem(header, view(buf).getInt16(pos + ATTRIBUTES_OFFSET, true));
  return problem === undefined ? { kind: 'ok', header } : { kind: 'corrupt', reason: problem };
}

/** Consistency rules the encoder guarantees; a CRC-valid batch breaking one was written by a bug. */
function headerProblem(h: BatchHeader, attributes: number): string | undefined {
  if ((attributes & ~KNOWN_ATTRIBUTE_BITS) !== 0) return `unknown attribute bits ${attributes}`;
  if (compressionName(attributes & COMPRESSION_MASK) === undefined) return `unknown compression ${attributes & COMPRESSION_MASK}`;
  if (h.recordCount < 1) return `record count ${h.recordCount}`;
  if (h.lastOffsetDelta !== h.recordCount - 1) return `last offset delta ${h.lastOffsetDelta} for ${h.recordCount} records`;
  if (h.baseOffset < 0n) return `negative base offset ${h.baseOffset}`;
  if (!Number.isSafeInteger(h.commitTimestamp) || h.commitTimestamp < 0) return `commit timestamp ${h.commitTimestamp}`;
  if (h.writerId < -1n) return `writer id ${h.writerId}`;
  if (h.batchSequence < -1) return `batch sequence ${h.batchSequence}`;
  return undefined;
}

/** The decompressed Arrow IPC bytes of a batch that passed `checkBatch`. */
export function decodeBatchBody(buf: Uint8Array, pos: number, header: BatchHeader): Uint8Array {
  const end = pos + header.sizeBytes;
  if (pos < 0 || end > buf.length || header.sizeBytes < HEADER_BYTES) {
    throw new LakestreamError('STORAGE_ERROR', `batch body [${pos}, ${end}) outside ${buf.length} buffered bytes`);
  }
  return decompress(header.compression, buf.subarray(pos + RECORDS_OFFSET, end), ARROW_BYTES_MAX);
}

/** Programmer errors from the caller, not bad input from disk. */
function assertFields(f: BatchFields, arrowIpc: Uint8Array): void {
  const bad = (what: string): never => {
    throw new LakestreamError('INTERNAL', `encodeBatch: ${what}`);
  };
  if (f.baseOffset < 0n || f.baseOffset > INT64_MAX) bad(`base offset ${f.baseOffset}`);
  if (!Number.isInteger(f.recordCount) || f.recordCount < 1 || f.recordCount > INT32_MAX) bad(`record count ${f.recordCount}`);
  if (f.baseOffset + BigInt(f.recordCount - 1) > INT64_MAX) bad('last offset overflows int64');
  if (!Number.isSafeInteger(f.commitTimestamp) || f.commitTimestamp < 0) bad(`commit timestamp ${f.commitTimestamp}`);
  if (f.writerId < -1n || f.writerId > INT64_MAX) bad(`writer id ${f.writerId}`);
  if (!Number.isInteger(f.batchSequence) || f.batchSequence < -1 || f.batchSequence > INT32_MAX) bad(`batch sequence ${f.batchSequence}`);
  if (arrowIpc.length > ARROW_BYTES_MAX) {
    throw new LakestreamError('REQUEST_TOO_LARGE', `Arrow body of ${arrowIpc.length} bytes exceeds ${ARROW_BYTES_MAX}`);
  }
}
