/**
 * The Kafka error codes the group coordinator answers with, by Kafka's names and numbers
 * (clients/src/main/java/org/apache/kafka/common/protocol/Errors.java). A subset of the codes
 * src/kafka/protocol/error-codes.ts holds; the numbers are Kafka's and the same in both.
 */
export const GroupError = {
  NONE: 0,
  OFFSET_METADATA_TOO_LARGE: 12,
  COORDINATOR_NOT_AVAILABLE: 15,
  ILLEGAL_GENERATION: 22,
  INCONSISTENT_GROUP_PROTOCOL: 23,
  INVALID_GROUP_ID: 24,
  UNKNOWN_MEMBER_ID: 25,
  INVALID_SESSION_TIMEOUT: 26,
  REBALANCE_IN_PROGRESS: 27,
  INVALID_REQUEST: 42,
  MEMBER_ID_REQUIRED: 79,
  GROUP_MAX_SIZE_REACHED: 81,
} as const;
