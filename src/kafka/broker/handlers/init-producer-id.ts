/**
 * InitProducerId: an idempotent producer's id (epoch 0). Transactions are not served: a
 * transactional id is refused with TRANSACTIONAL_ID_AUTHORIZATION_FAILED, which clients report to
 * the application at once instead of retrying.
 */
import { KafkaError } from '../../protocol/error-codes.js';
import { kafkaErrorOf } from '../kafka-errors.js';
import type { Handler } from './handler.js';

export const initProducerId: Handler<22> = async (ctx, conn, { body }) => {
  if (body.transactionalId !== null) {
    ctx.log.warn({ remote: conn.remote, transactionalId: body.transactionalId }, 'kafka: refused a transactional producer: lakestream does not serve Kafka transactions; use an idempotent producer (enable.idempotence) without transactional.id');
    return { throttleTimeMs: 0, errorCode: KafkaError.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, producerId: -1n, producerEpoch: -1 };
  }
  try {
    return { throttleTimeMs: 0, errorCode: KafkaError.NONE, producerId: await ctx.producerIds.allocate(), producerEpoch: 0 };
  } catch (err) {
    return { throttleTimeMs: 0, errorCode: kafkaErrorOf(err).code, producerId: -1n, producerEpoch: -1 };
  }
};
