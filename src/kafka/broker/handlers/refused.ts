/**
 * APIs answered only with an error, so that a client fails at once with a message instead of
 * hanging or retrying: Kafka transactions (out of scope) and CreatePartitions (a table's buckets are
 * fixed at creation). Each refusal is logged with what to do instead.
 */
import { KafkaError } from '../../protocol/error-codes.js';
import type { BrokerContext } from '../context.js';
import type { KafkaConnection } from '../listener.js';
import type { Handler } from './handler.js';

const NO_TRANSACTIONS = KafkaError.TRANSACTIONAL_ID_AUTHORIZATION_FAILED;

function refusedTransaction(ctx: BrokerContext, conn: KafkaConnection, api: string): void {
  ctx.log.warn({ remote: conn.remote, api }, 'kafka: refused a transactional request: lakestream does not serve Kafka transactions; use an idempotent producer without transactional.id');
}

export const addPartitionsToTxn: Handler<24> = async (ctx, conn, { body }) => {
  refusedTransaction(ctx, conn, 'AddPartitionsToTxn');
  return {
    throttleTimeMs: 0,
    resultsByTopicV3AndBelow: body.v3AndBelowTopics.map((t) => ({ name: t.name, resultsByPartition: t.partitions.map((p) => ({ partitionIndex: p, partitionErrorCode: NO_TRANSACTIONS })) })),
  };
};

export const addOffsetsToTxn: Handler<25> = async (ctx, conn) => {
  refusedTransaction(ctx, conn, 'AddOffsetsToTxn');
  return { throttleTimeMs: 0, errorCode: NO_TRANSACTIONS };
};

export const endTxn: Handler<26> = async (ctx, conn) => {
  refusedTransaction(ctx, conn, 'EndTxn');
  return { throttleTimeMs: 0, errorCode: NO_TRANSACTIONS };
};

export const txnOffsetCommit: Handler<28> = async (ctx, conn, { body }) => {
  refusedTransaction(ctx, conn, 'TxnOffsetCommit');
  return {
    throttleTimeMs: 0,
    topics: body.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: NO_TRANSACTIONS })) })),
  };
};

export const createPartitions: Handler<37> = async (ctx, conn, { body }) => {
  ctx.log.warn({ remote: conn.remote, topics: body.topics.map((t) => t.name) }, 'kafka: refused CreatePartitions: a table\'s buckets are fixed when it is created');
  return {
    throttleTimeMs: 0,
    results: body.topics.map((t) => ({
      name: t.name,
      errorCode: KafkaError.INVALID_PARTITIONS,
      errorMessage: 'lakestream cannot add partitions to a topic: its buckets are fixed when the table is created; create a new topic with more partitions',
    })),
  };
};
