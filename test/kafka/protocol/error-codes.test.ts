import { describe, expect, test } from 'vitest';
import { KafkaError, kafkaErrorName } from '../../../src/kafka/protocol/error-codes.js';

describe('error codes', () => {
  test('error codes: the numbers clients act on are Kafka\'s', () => {
    expect(KafkaError).toMatchObject({
      UNKNOWN_SERVER_ERROR: -1, NONE: 0, OFFSET_OUT_OF_RANGE: 1, UNKNOWN_TOPIC_OR_PARTITION: 3, NOT_LEADER_OR_FOLLOWER: 6,
      NOT_COORDINATOR: 16, REBALANCE_IN_PROGRESS: 27, UNSUPPORTED_VERSION: 35, TOPIC_ALREADY_EXISTS: 36, INVALID_REQUEST: 42,
      TRANSACTION_COORDINATOR_FENCED: 52, SASL_AUTHENTICATION_FAILED: 58, MEMBER_ID_REQUIRED: 79, UNSTABLE_OFFSET_COMMIT: 88,
    });
  });

  test('error codes: every code has one name, and kafkaErrorName finds it', () => {
    const codes = Object.values(KafkaError);
    expect(new Set(codes).size).toBe(codes.length);
    expect(kafkaErrorName(25)).toBe('UNKNOWN_MEMBER_ID');
    expect(kafkaErrorName(-1)).toBe('UNKNOWN_SERVER_ERROR');
    expect(kafkaErrorName(9999)).toBe('UNKNOWN_ERROR_CODE_9999');
  });
});
