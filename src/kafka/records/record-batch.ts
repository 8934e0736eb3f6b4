/**
 * Kafka's record batch v2 (magic 2, Kafka >= 0.11; DefaultRecordBatch/DefaultRecord in Kafka's
 * clients): the bytes of a produce request's and a fetch response's `records` field, one or more
 * batches back to back. Decoder and encoder sit side by side so they cannot drift. All fixed-width
 * integers are big-endian; record fields are zigzag varints (varint.ts).
 *
 *   offset  length  field
 *   ------  ------  -----------------------------------------------------------------------------
 *        0       8  baseOffset            int64   offset of the first record (0 from producers)
 *        8       4  batchLength           int32   bytes after this field
 *       12       4  partitionLeaderEpoch  int32   stamped by the leader; not covered by the CRC
 *       16       1  magic                 int8    = 2 (0 and 1 are the pre-0.11 message sets)
 *       17       4  crc                   uint32  CRC-32C of bytes [21, end): attributes to the end
 *       21       2  attributes            int16   bits 0-2 compression (0 none, 1 gzip, 2 snappy,
 *                                                 3 lz4, 4 zstd), bit 3 timestamp type (0 create
 *                                                 time, 1 log append time), bit 4 transactional,
 *                                                 bit 5 control, bit 6 has delete horizon
 *       23       4  lastOffsetDelta       int32   offsetDelta of the last record
 *       27       8  baseTimestamp         int64   ms; records carry deltas from it
 *       35       8  maxTimestamp          int64   ms; for log append time, THE time of every record
 *       43       8  producerId            int64   -1: not idempotent
 *       51       2  producerEpoch         int16
 *       53       4  baseSequence          int32   -1: none
 *       57       4  recordCount           int32
 *       61       -  records                       recordCount records, compressed as a whole
 *                                                 by the codec named in attributes
 *
 *   record (all varints; lengths -1 = null):
 *     length varint (bytes after it), attributes int8 (unused), timestampDelta varlong,
 *     offsetDelta varint, keyLength varint, key, valueLength varint, value, headers (record-headers.ts)
 *
 * The CRC leaves out baseOffset, batchLength, partitionLeaderEpoch and magic, so that a broker can
 * stamp offsets and epochs without recomputing it; a damaged batchLength still shows, as a batch that
 * ends in the wrong place, and a damaged magic as an unknown format.
 */
import { LakestreamError } from '../../common/errors.js';
import { crc32c } from '../../common/crc32c.js';
import { compressRecords, decompressRecords, KAFKA_COMPRESSION_IDS, kafkaCompressionForId, type KafkaCompression } from './compression.js';
import { RecordBatchError } from './record-batch-error.js';
import { skipHeaderSection } from './record-headers.js';
import { ByteCursor, sizeOfVarint, sizeOfVarlong, writeVarint, writeVarlong } from './varint.js';

export const BASE_OFFSET_OFFSET = 0;
export const BASE_OFFSET_LENGTH = 8;
export const BATCH_LENGTH_OFFSET = BASE_OFFSET_OFFSET + BASE_OFFSET_LENGTH;
export const BATCH_LENGTH_LENGTH = 4;
export const PARTITION_LEADER_EPOCH_OFFSET = BATCH_LENGTH_OFFSET + BATCH_LENGTH_LENGTH;
export const PARTITION_LEADER_EPOCH_LENGTH = 4;
export const MAGIC_OFFSET = PARTITION_LEADER_EPOCH_OFFSET + PARTITION_LEADER_EPOCH_LENGTH;
export const MAGIC_LENGTH = 1;
export const CRC_OFFSET = MAGIC_OFFSET + MAGIC_LENGTH;
export const CRC_LENGTH = 4;
export const ATTRIBUTES_OFFSET = CRC_OFFSET + CRC_LENGTH;
export const ATTRIBUTES_LENGTH = 2;
export const LAST_OFFSET_DELTA_OFFSET = ATTRIBUTES_OFFSET + ATTRIBUTES_LENGTH;
export const LAST_OFFSET_DELTA_LENGTH = 4;
export const BASE_TIMESTAMP_OFFSET = LAST_OFFSET_DELTA_OFFSET + LAST_OFFSET_DELTA_LENGTH;
export const BASE_TIMESTAMP_LENGTH = 8;
export const MAX_TIMESTAMP_OFFSET = BASE_TIMESTAMP_OFFSET + BASE_TIMESTAMP_LENGTH;
export const MAX_TIMESTAMP_LENGTH = 8;
export const PRODUCER_ID_OFFSET = MAX_TIMESTAMP_OFFSET + MAX_TIMESTAMP_LENGTH;
export const PRODUCER_ID_LENGTH = 8;
export const PRODUCER_EPOCH_OFFSET = PRODUCER_ID_OFFSET + PRODUCER_ID_LENGTH;
export const PRODUCER_EPOCH_LENGTH = 2;
export const BASE_SEQUENCE_OFFSET = PRODUCER_EPOCH_OFFSET + PRODUCER_EPOCH_LENGTH;
export const BASE_SEQUENCE_LENGTH = 4;
export const RECORD_COUNT_OFFSET = BASE_SEQUENCE_OFFSET + BASE_SEQUENCE_LENGTH;
export const RECORD_COUNT_LENGTH = 4;
export const RECORDS_OFFSET = RECORD_COUNT_OFFSET + RECORD_COUNT_LENGTH;

/** Bytes of a batch header, i.e. of a batch without records. */
export const RECORD_BATCH_OVERHEAD_BYTES = RECORDS_OFFSET;
/** baseOffset and batchLength: what must be read to learn a batch's size. */
export const LOG_OVERHEAD_BYTES = BATCH_LENGTH_OFFSET + BATCH_LENGTH_LENGTH;
export const MAGIC = 2;

export const TIMESTAMP_TYPE_CREATE_TIME = 0;
export const TIMESTAMP_TYPE_LOG_APPEND_TIME = 1;
export type TimestampType = typeof TIMESTAMP_TYPE_CREATE_TIME | typeof TIMESTAMP_TYPE_LOG_APPEND_TIME;

const COMPRESSION_MASK = 0x07;
const TIMESTAMP_TYPE_BIT = 0x08;
const TRANSACTIONAL_BIT = 0x10;
const CONTROL_BIT = 0x20;
const DELETE_HORIZON_BIT = 0x40;

/**
 * The smallest record: length, attributes, timestampDelta, offsetDelta, keyLength, valueLength and
 * headerCount, one byte each. A recordCount is checked against the bytes at this rate before any
 * array is allocated for it.
 */
const RECORD_BYTES_MIN = 7;
const RECORD_BODY_BYTES_MIN = RECORD_BYTES_MIN - 1;
const INT32_MAX = 2 ** 31 - 1;
/** Deltas the encoder writes as varlongs stay within what varint.ts reads back exactly. */
const TIMESTAMP_DELTA_MAX = 2 ** 52;

export interface KafkaRecord {
  offsetDelta: number;
  /** Absolute, ms: baseTimestamp + timestampDelta, or the batch's maxTimestamp for log append time. */
  timestamp: number;
  key: Uint8Array | null;
  value: Uint8Array | null;
  /** The raw header section (record-headers.ts), or null when the record has no headers. */
  headers: Uint8Array | null;
}

export interface RecordBatch {
  baseOffset: bigint;
  batchLength: number;
  partitionLeaderEpoch: number;
  crc: number;
  attributes: number;
  compression: KafkaCompression;
  timestampType: TimestampType;
  isTransactional: boolean;
  isControl: boolean;
  hasDeleteHorizonMs: boolean;
  lastOffsetDelta: number;
  baseTimestamp: number;
  maxTimestamp: number;
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  recordCount: number;
  /** The whole batch in the input: LOG_OVERHEAD_BYTES + batchLength. */
  sizeBytes: number;
  /** Views of the input, or of the decompressed records section. */
  records: KafkaRecord[];
}

export interface DecodeRecordBatchesOptions {
  /** Bound on each batch's records section once decompressed; beyond it is MESSAGE_TOO_LARGE. */
  decompressedBytesMax: number;
  /**
   * A batch cut off by the end of the input. 'refuse' (a produce request): CORRUPT_MESSAGE.
   * 'drop' (a fetch response): Kafka ends a fetch inside a batch when the byte budget runs out, so
   * the partial batch is left out.
   */
  partialTail: 'refuse' | 'drop';
}

// ---------------------------------------------------------------------------------------------
// Decoding

/** Every batch in `records`, checked: lengths, magic, CRC, then each record against its length. */
export function decodeRecordBatches(records: Uint8Array, options: DecodeRecordBatchesOptions): RecordBatch[] {
  const dv = new DataView(records.buffer, records.byteOffset, records.byteLength);
  const batches: RecordBatch[] = [];
  let pos = 0;
  while (pos < records.length) {
    const sizeBytes = batchSizeAt(records, dv, pos, options.partialTail);
    if (sizeBytes === undefined) break;
    try {
      batches.push(decodeBatch(records, dv, pos, sizeBytes, options.decompressedBytesMax));
    } catch (err) {
      if (err instanceof RecordBatchError) throw new RecordBatchError(err.kafkaError, `record batch at byte ${pos}: ${err.message}`);
      throw err;
    }
    pos += sizeBytes;
  }
  return batches;
}

/** The size of the batch at `pos`, or undefined for a partial tail that may be dropped. */
function batchSizeAt(buf: Uint8Array, dv: DataView, pos: number, partialTail: 'refuse' | 'drop'): number | undefined {
  const available = buf.length - pos;
  const partial = (why: string): undefined => {
    if (partialTail === 'drop') return undefined;
    throw new RecordBatchError('CORRUPT_MESSAGE', `record batch at byte ${pos} is cut off: ${why}`);
  };
  if (available < LOG_OVERHEAD_BYTES) return partial(`${available} bytes, less than a batch length prefix`);
  if (available > MAGIC_OFFSET) {
    // Checked before any length rule, so a pre-0.11 client gets this message and not a length complaint.
    const magic = dv.getInt8(pos + MAGIC_OFFSET);
    if (magic === 0 || magic === 1) {
      throw new RecordBatchError(
        'UNSUPPORTED_FOR_MESSAGE_FORMAT',
        `record batch magic ${magic} (Kafka < 0.11 message format) is not supported; use a client that sends record batch v2`,
      );
    }
  }
  const batchLength = dv.getInt32(pos + BATCH_LENGTH_OFFSET);
  if (batchLength < RECORD_BATCH_OVERHEAD_BYTES - LOG_OVERHEAD_BYTES) {
    throw new RecordBatchError('CORRUPT_MESSAGE', `record batch at byte ${pos} has batch length ${batchLength}, less than its ${RECORD_BATCH_OVERHEAD_BYTES - LOG_OVERHEAD_BYTES}-byte header`);
  }
  if (batchLength > available - LOG_OVERHEAD_BYTES) return partial(`batch length ${batchLength} but ${available - LOG_OVERHEAD_BYTES} bytes follow`);
  return LOG_OVERHEAD_BYTES + batchLength;
}

function decodeBatch(buf: Uint8Array, dv: DataView, pos: number, sizeBytes: number, decompressedBytesMax: number): RecordBatch {
  const end = pos + sizeBytes;
  const magic = dv.getInt8(pos + MAGIC_OFFSET);
  if (magic !== MAGIC) throw new RecordBatchError('CORRUPT_MESSAGE', `magic ${magic} is not a Kafka record batch format (expected ${MAGIC})`);
  const stored = dv.getUint32(pos + CRC_OFFSET);
  const computed = crc32c(buf, pos + ATTRIBUTES_OFFSET, end);
  if (stored !== computed) {
    throw new RecordBatchError('CORRUPT_MESSAGE', `CRC-32C mismatch: the batch says ${hex32(stored)}, its ${end - pos - ATTRIBUTES_OFFSET} bytes hash to ${hex32(computed)}`);
  }
  const attributes = dv.getInt16(pos + ATTRIBUTES_OFFSET);
  const compression = kafkaCompressionForId(attributes & COMPRESSION_MASK);
  if (compression === undefined) throw new RecordBatchError('UNSUPPORTED_COMPRESSION_TYPE', `unknown compression id ${attributes & COMPRESSION_MASK}`);
  const recordCount = dv.getInt32(pos + RECORD_COUNT_OFFSET);
  if (recordCount < 0) throw new RecordBatchError('INVALID_RECORD', `record count ${recordCount}`);
  const baseTimestamp = int64Ms(dv, pos + BASE_TIMESTAMP_OFFSET, 'base timestamp');
  const maxTimestamp = int64Ms(dv, pos + MAX_TIMESTAMP_OFFSET, 'max timestamp');
  const timestampType: TimestampType = (attributes & TIMESTAMP_TYPE_BIT) !== 0 ? TIMESTAMP_TYPE_LOG_APPEND_TIME : TIMESTAMP_TYPE_CREATE_TIME;
  const section = decompressRecords(compression, buf.subarray(pos + RECORDS_OFFSET, end), decompressedBytesMax);
  return {
    baseOffset: dv.getBigInt64(pos + BASE_OFFSET_OFFSET),
    batchLength: sizeBytes - LOG_OVERHEAD_BYTES,
    partitionLeaderEpoch: dv.getInt32(pos + PARTITION_LEADER_EPOCH_OFFSET),
    crc: stored,
    attributes,
    compression,
    timestampType,
    isTransactional: (attributes & TRANSACTIONAL_BIT) !== 0,
    isControl: (attributes & CONTROL_BIT) !== 0,
    hasDeleteHorizonMs: (attributes & DELETE_HORIZON_BIT) !== 0,
    lastOffsetDelta: dv.getInt32(pos + LAST_OFFSET_DELTA_OFFSET),
    baseTimestamp,
    maxTimestamp,
    producerId: dv.getBigInt64(pos + PRODUCER_ID_OFFSET),
    producerEpoch: dv.getInt16(pos + PRODUCER_EPOCH_OFFSET),
    baseSequence: dv.getInt32(pos + BASE_SEQUENCE_OFFSET),
    recordCount,
    sizeBytes,
    records: decodeRecords(section, recordCount, baseTimestamp, timestampType === TIMESTAMP_TYPE_LOG_APPEND_TIME ? maxTimestamp : undefined),
  };
}

function int64Ms(dv: DataView, at: number, what: string): number {
  const value = dv.getBigInt64(at);
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new RecordBatchError('INVALID_RECORD', `${what} ${value} is beyond +-2^53 ms`);
  }
  return Number(value);
}

function hex32(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}

/**
 * The records of one batch's (decompressed) section, which they must fill exactly. Each record is
 * parsed inside the bounds its length gives, so no field can reach into the next record.
 */
function decodeRecords(section: Uint8Array, count: number, baseTimestamp: number, logAppendTime: number | undefined): KafkaRecord[] {
  if (count > section.length / RECORD_BYTES_MIN) {
    throw new RecordBatchError('INVALID_RECORD', `record count ${count} cannot fit in ${section.length} bytes of records`);
  }
  const records: KafkaRecord[] = new Array(count);
  const cursor = new ByteCursor(section, 0, section.length);
  for (let i = 0; i < count; i++) {
    cursor.end = section.length;
    const length = cursor.varint('record length');
    if (length < RECORD_BODY_BYTES_MIN || length > cursor.remaining) {
      throw new RecordBatchError('INVALID_RECORD', `record ${i} has length ${length} with ${cursor.remaining} bytes left`);
    }
    const start = cursor.pos;
    cursor.end = start + length;
    cursor.skip(1, 'record attributes');
    const timestampDelta = cursor.varlong('timestamp delta');
    const offsetDelta = cursor.varint('offset delta');
    const key = nullableBytes(cursor, 'key length', 'key');
    const value = nullableBytes(cursor, 'value length', 'value');
    const headersStart = cursor.pos;
    const headerCount = skipHeaderSection(cursor);
    if (cursor.pos !== cursor.end) {
      throw new RecordBatchError('INVALID_RECORD', `record ${i} has length ${length} but its fields take ${cursor.pos - start} bytes`);
    }
    const timestamp = logAppendTime ?? baseTimestamp + timestampDelta;
    if (timestamp > Number.MAX_SAFE_INTEGER || timestamp < Number.MIN_SAFE_INTEGER) {
      throw new RecordBatchError('INVALID_RECORD', `record ${i} has timestamp delta ${timestampDelta} beyond +-2^53 ms from ${baseTimestamp}`);
    }
    records[i] = { offsetDelta, timestamp, key, value, headers: headerCount === 0 ? null : section.subarray(headersStart, cursor.pos) };
  }
  if (cursor.pos !== section.length) {
    throw new RecordBatchError('INVALID_RECORD', `${section.length - cursor.pos} bytes after the last of its ${count} records`);
  }
  return records;
}

/** Both names are constants, so the per-record path builds no strings. */
function nullableBytes(cursor: ByteCursor, lengthName: string, name: string): Uint8Array | null {
  const length = cursor.varint(lengthName);
  if (length === -1) return null;
  if (length < -1) throw new RecordBatchError('INVALID_RECORD', `${lengthName} ${length}`);
  return cursor.bytes(length, name);
}

// ---------------------------------------------------------------------------------------------
// Encoding

/**
 * One batch, described column by column so a fetch can encode straight from stored columns without a
 * record object per row. Record i gets offsetDelta i.
 */
export interface RecordBatchSource {
  baseOffset: bigint;
  producerId: bigint; // -1n: none
  producerEpoch: number; // -1: none
  baseSequence: number; // -1: none
  /** Records, >= 1. */
  count: number;
  /**
   * Record i's offset minus baseOffset; i when absent. A compacted stream skips offsets (rows a
   * reader does not see), so its deltas rise with gaps, and `lastOffsetDelta` covers what was skipped.
   */
  offsetDelta?(i: number): number;
  /** The batch's last offset delta, >= the last record's; count - 1 when absent. */
  lastOffsetDelta?: number;
  /** ms; the first record's timestamp becomes the batch's baseTimestamp. */
  timestamp(i: number): number;
  key(i: number): Uint8Array | null;
  value(i: number): Uint8Array | null;
  /** A raw header section as `KafkaRecord.headers` holds it, or null for none. */
  headers(i: number): Uint8Array | null;
  compression?: KafkaCompression;
  /** The leader epoch the broker reports in Metadata; 0 when absent. */
  partitionLeaderEpoch?: number;
  /**
   * When set, the batch is log-append-time: readers give every record this time (it becomes the
   * maxTimestamp) while the records keep their own timestamps as deltas, as Kafka's broker writes it.
   */
  logAppendTime?: number;
}

/** The scratch buffer the encoder writes into; kept across calls up to SCRATCH_BYTES_KEPT_MAX. */
const SCRATCH_BYTES_INITIAL = 1 << 16;
const SCRATCH_BYTES_KEPT_MAX = 1 << 24;
let scratch: Uint8Array = new Uint8Array(SCRATCH_BYTES_INITIAL);

function growScratch(used: number, needed: number): Uint8Array {
  const grown = new Uint8Array(Math.max(needed, scratch.length * 2));
  grown.set(scratch.subarray(0, used));
  scratch = grown;
  return grown;
}

/** Short copies by hand: `set` costs more than the loop below some tens of bytes. */
const COPY_LOOP_BYTES_MAX = 32;

function copyInto(buf: Uint8Array, pos: number, bytes: Uint8Array): number {
  const n = bytes.length;
  if (n <= COPY_LOOP_BYTES_MAX) {
    for (let i = 0; i < n; i++) buf[pos + i] = bytes[i]!;
  } else {
    buf.set(bytes, pos);
  }
  return pos + n;
}

/** Writes the batch into the scratch buffer in one pass, then copies (or compresses) it out. */
export function encodeRecordBatch(source: RecordBatchSource): Uint8Array {
  assertSource(source);
  const count = source.count;
  const baseTimestamp = source.timestamp(0);
  let maxTimestamp = baseTimestamp;
  let buf = scratch;
  let pos = RECORDS_OFFSET;
  const deltaOf = source.offsetDelta;
  for (let i = 0; i < count; i++) {
    const offsetDelta = deltaOf ? deltaOf(i) : i;
    const timestamp = i === 0 ? baseTimestamp : source.timestamp(i);
    const timestampDelta = timestamp - baseTimestamp;
    if (!Number.isSafeInteger(timestamp) || timestampDelta > TIMESTAMP_DELTA_MAX || timestampDelta < -TIMESTAMP_DELTA_MAX) {
      throw new LakestreamError('INTERNAL', `encodeRecordBatch: record ${i} has timestamp ${timestamp} (base ${baseTimestamp})`);
    }
    if (timestamp > maxTimestamp) maxTimestamp = timestamp;
    const key = source.key(i);
    const value = source.value(i);
    const headers = source.headers(i);
    const keyLength = key === null ? -1 : key.length;
    const valueLength = value === null ? -1 : value.length;
    const noHeaders = headers === null || headers.length === 0;
    const headersBytes = noHeaders ? 1 : headers.length;
    const bodyBytes = 1 + sizeOfVarlong(timestampDelta) + sizeOfVarint(offsetDelta) +
      sizeOfVarint(keyLength) + (key === null ? 0 : keyLength) +
      sizeOfVarint(valueLength) + (value === null ? 0 : valueLength) + headersBytes;
    const recordEnd = pos + sizeOfVarint(bodyBytes) + bodyBytes;
    if (recordEnd > buf.length) buf = growScratch(pos, recordEnd);
    pos = writeVarint(buf, pos, bodyBytes);
    buf[pos++] = 0; // record attributes: none defined
    pos = writeVarlong(buf, pos, timestampDelta);
    pos = writeVarint(buf, pos, offsetDelta);
    pos = writeVarint(buf, pos, keyLength);
    if (key !== null) pos = copyInto(buf, pos, key);
    pos = writeVarint(buf, pos, valueLength);
    if (value !== null) pos = copyInto(buf, pos, value);
    if (noHeaders) buf[pos++] = 0; // header count 0
    else pos = copyInto(buf, pos, headers);
  }
  const out = finishBatch(source, buf, pos, baseTimestamp, maxTimestamp);
  if (scratch.length > SCRATCH_BYTES_KEPT_MAX) scratch = new Uint8Array(SCRATCH_BYTES_INITIAL);
  return out;
}

/** Copies out (or compresses) the records section, then writes the header and the CRC. */
function finishBatch(source: RecordBatchSource, buf: Uint8Array, end: number, baseTimestamp: number, maxTimestamp: number): Uint8Array {
  const compression = source.compression ?? 'none';
  let out: Uint8Array;
  if (compression === 'none') {
    out = buf.slice(0, end);
  } else {
    const compressed = compressRecords(compression, buf.subarray(RECORDS_OFFSET, end));
    out = new Uint8Array(RECORDS_OFFSET + compressed.length);
    out.set(compressed, RECORDS_OFFSET);
  }
  if (out.length - LOG_OVERHEAD_BYTES > INT32_MAX) {
    throw new LakestreamError('INTERNAL', `encodeRecordBatch: batch of ${out.length} bytes overflows batchLength`);
  }
  const logAppend = source.logAppendTime !== undefined;
  const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
  dv.setBigInt64(BASE_OFFSET_OFFSET, source.baseOffset);
  dv.setInt32(BATCH_LENGTH_OFFSET, out.length - LOG_OVERHEAD_BYTES);
  dv.setInt32(PARTITION_LEADER_EPOCH_OFFSET, source.partitionLeaderEpoch ?? 0);
  dv.setInt8(MAGIC_OFFSET, MAGIC);
  dv.setInt16(ATTRIBUTES_OFFSET, KAFKA_COMPRESSION_IDS[compression] | (logAppend ? TIMESTAMP_TYPE_BIT : 0));
  dv.setInt32(LAST_OFFSET_DELTA_OFFSET, source.lastOffsetDelta ?? source.count - 1);
  dv.setBigInt64(BASE_TIMESTAMP_OFFSET, BigInt(baseTimestamp));
  dv.setBigInt64(MAX_TIMESTAMP_OFFSET, BigInt(logAppend ? source.logAppendTime! : maxTimestamp));
  dv.setBigInt64(PRODUCER_ID_OFFSET, source.producerId);
  dv.setInt16(PRODUCER_EPOCH_OFFSET, source.producerEpoch);
  dv.setInt32(BASE_SEQUENCE_OFFSET, source.baseSequence);
  dv.setInt32(RECORD_COUNT_OFFSET, source.count);
  dv.setUint32(CRC_OFFSET, crc32c(out, ATTRIBUTES_OFFSET, out.length));
  return out;
}

/** Programmer errors from the caller, not bad input from a client. */
function assertSource(s: RecordBatchSource): void {
  const bad = (what: string): never => {
    throw new LakestreamError('INTERNAL', `encodeRecordBatch: ${what}`);
  };
  if (!Number.isInteger(s.count) || s.count < 1 || s.count > INT32_MAX) bad(`record count ${s.count}`);
  if (s.lastOffsetDelta !== undefined && (!Number.isInteger(s.lastOffsetDelta) || s.lastOffsetDelta < s.count - 1 || s.lastOffsetDelta > INT32_MAX)) bad(`last offset delta ${s.lastOffsetDelta}`);
  if (s.logAppendTime !== undefined && !Number.isSafeInteger(s.logAppendTime)) bad(`log append time ${s.logAppendTime}`);
  if (!Number.isInteger(s.producerEpoch) || s.producerEpoch < -1 || s.producerEpoch > 0x7fff) bad(`producer epoch ${s.producerEpoch}`);
  if (!Number.isInteger(s.baseSequence) || s.baseSequence < -1 || s.baseSequence > INT32_MAX) bad(`base sequence ${s.baseSequence}`);
}
