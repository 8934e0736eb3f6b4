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

/**
 * Kafka's numbers for the codes above, as Kafka's Errors.java defines them. Kept here, not imported
 * from src/kafka/protocol/error-codes.ts, only because both were written at the same time; the two
 * lists are to be unified there.
 */
export const RECORD_BATCH_ERROR_CODES = {
  CORRUPT_MESSAGE: 2,
  MESSAGE_TOO_LARGE: 10,
  INVALID_TIMESTAMP: 32,
  UNSUPPORTED_FOR_MESSAGE_FORMAT: 43,
  UNSUPPORTED_COMPRESSION_TYPE: 76,
  INVALID_RECORD: 87,
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
