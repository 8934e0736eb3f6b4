/**
 * The one place lakestream's errors become Kafka error codes (as src/server/http-errors.ts is for
 * HTTP). A code Kafka clients treat as retriable is chosen only where ours is retriable too.
 */
import { LakestreamError, isDiskFull, type ErrorCode } from '../../common/errors.js';
import { KafkaError } from '../protocol/error-codes.js';

const BY_CODE: Partial<Record<ErrorCode, number>> = {
  INVALID_NAME: KafkaError.INVALID_TOPIC_EXCEPTION,
  INVALID_TABLE_DEFINITION: KafkaError.INVALID_CONFIG,
  INVALID_PROPERTY: KafkaError.INVALID_CONFIG,
  INVALID_BUCKETS: KafkaError.INVALID_PARTITIONS,
  INVALID_VALUE: KafkaError.INVALID_RECORD,
  NULL_IN_NON_NULLABLE: KafkaError.INVALID_RECORD,
  MISSING_KEY: KafkaError.INVALID_RECORD,
  UNKNOWN_COLUMN: KafkaError.INVALID_RECORD,
  SCHEMA_MISMATCH: KafkaError.INVALID_RECORD,
  INVALID_KEY: KafkaError.INVALID_RECORD,
  TOO_MANY_ROWS: KafkaError.RECORD_LIST_TOO_LARGE,
  REQUEST_TOO_LARGE: KafkaError.MESSAGE_TOO_LARGE,
  OFFSET_OUT_OF_RANGE: KafkaError.OFFSET_OUT_OF_RANGE,
  DATABASE_NOT_FOUND: KafkaError.UNKNOWN_TOPIC_OR_PARTITION,
  TABLE_NOT_FOUND: KafkaError.UNKNOWN_TOPIC_OR_PARTITION,
  BUCKET_NOT_FOUND: KafkaError.UNKNOWN_TOPIC_OR_PARTITION,
  TABLE_EXISTS: KafkaError.TOPIC_ALREADY_EXISTS,
  OUT_OF_ORDER_SEQUENCE: KafkaError.OUT_OF_ORDER_SEQUENCE_NUMBER,
  UNAUTHENTICATED: KafkaError.SASL_AUTHENTICATION_FAILED,
  FORBIDDEN: KafkaError.TOPIC_AUTHORIZATION_FAILED,
  OVERLOADED: KafkaError.REQUEST_TIMED_OUT,
  REQUEST_TIMEOUT: KafkaError.REQUEST_TIMED_OUT,
  SHUTTING_DOWN: KafkaError.NOT_LEADER_OR_FOLLOWER,
  LAKE_UNAVAILABLE: KafkaError.KAFKA_STORAGE_ERROR,
  STORAGE_ERROR: KafkaError.KAFKA_STORAGE_ERROR,
  INSUFFICIENT_STORAGE: KafkaError.KAFKA_STORAGE_ERROR,
  UNSUPPORTED_OPERATION: KafkaError.INVALID_REQUEST,
};

/** A refusal that only Kafka has a code for (sequence numbers, group protocol states). */
export class KafkaCodeError extends Error {
  override readonly name = 'KafkaCodeError';

  constructor(readonly code: number, message: string) {
    super(message);
  }
}

/** The Kafka error code for anything a handler threw, and the message to send where the API has one. */
export function kafkaErrorOf(err: unknown): { code: number; message: string } {
  if (err instanceof KafkaCodeError) return { code: err.code, message: err.message };
  if (err instanceof LakestreamError) return { code: BY_CODE[err.code] ?? KafkaError.UNKNOWN_SERVER_ERROR, message: err.message };
  if (isDiskFull(err)) return { code: KafkaError.KAFKA_STORAGE_ERROR, message: 'the disk is full; free space, then retry' };
  return { code: KafkaError.UNKNOWN_SERVER_ERROR, message: err instanceof Error ? err.message : String(err) };
}
