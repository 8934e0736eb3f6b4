/**
 * The one error type of src/kafka/records: a record batch refused, carrying the Kafka error code the
 * broker answers with, so the mapping happens here once and not in every handler.
 *
 * Which code, and why:
 * - CORRUPT_MESSAGE: the bytes did not arrive as the client wrote them (torn, lengths past the end,
 *   CRC mismatch, an unknown magic). Kafka clients treat it as retriable, and a resend may well be clean.
 * - INVALID_RECORD: the CRC matched, so these are the client's own bytes, and they are malformed
 *   (a record length that disagrees with its fields, a count that cannot fit, undecodable compressed
 *   data). Not retriable: the same bytes would fail again.
 * - UNSUPPORTED_FOR_MESSAGE_FORMAT: magic 0 or 1, the pre-0.11 message sets lakestream does not read.
 * - UNSUPPORTED_COMPRESSION_TYPE: a compression id Kafka does not define.
 * - MESSAGE_TOO_LARGE: records that decompress beyond the caller's bound (a zip bomb, or just too much).
 * - INVALID_TIMESTAMP: a producer claiming log append time, which only a broker may assign.
 */

import { KafkaError } from '../protocol/error-codes.js';

/** The codes above, by Kafka's names (the numbers are protocol/error-codes.ts's). */
export const RECORD_BATCH_ERROR_CODES = {
  CORRUPT_MESSAGE: KafkaError.CORRUPT_MESSAGE,
  MESSAGE_TOO_LARGE: KafkaError.MESSAGE_TOO_LARGE,
  INVALID_TIMESTAMP: KafkaError.INVALID_TIMESTAMP,
  UNSUPPORTED_FOR_MESSAGE_FORMAT: KafkaError.UNSUPPORTED_FOR_MESSAGE_FORMAT,
  UNSUPPORTED_COMPRESSION_TYPE: KafkaError.UNSUPPORTED_COMPRESSION_TYPE,
  INVALID_RECORD: KafkaError.INVALID_RECORD,
} as const;

export type RecordBatchErrorName = keyof typeof RECORD_BATCH_ERROR_CODES;

export class RecordBatchError extends Error {
  override readonly name = 'RecordBatchError';
  /** Kafka's numeric error code for the produce response. */
  readonly kafkaCode: number;

  constructor(readonly kafkaError: RecordBatchErrorName, message: string) {
    super(message);
    this.kafkaCode = RECORD_BATCH_ERROR_CODES[kafkaError];
  }
}
