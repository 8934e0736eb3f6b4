/**
 * Writer ids of idempotent writes, shared by two kinds of writer: HTTP writers (the client draws a
 * random id in [1, 2^62)) and Kafka's idempotent producers (InitProducerId hands out ids from 2^62
 * up). The halves never meet, so a Kafka producer can never be taken for an HTTP writer's retry.
 */
export const KAFKA_PRODUCER_ID_MIN = 1n << 62n;
/** The largest id an HTTP writer may use. */
export const HTTP_WRITER_ID_MAX = KAFKA_PRODUCER_ID_MIN - 1n;
