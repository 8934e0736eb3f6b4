/**
 * Metadata: this server as every broker and every partition's leader. A requested topic that does
 * not exist is created when auto-creation is on, the request allows it and the principal may create
 * in its database (as Kafka's auto.create.topics.enable); all topics (v0: an empty list, v1+: null)
 * are the tables the principal may see.
 */
import { KafkaError } from '../../protocol/error-codes.js';
import type { TableRuntime } from '../../../server/table-store.js';
import type { BrokerContext } from '../context.js';
import { kafkaErrorOf } from '../kafka-errors.js';
import type { KafkaConnection } from '../listener.js';
import { tableOfTopic } from '../topics.js';
import type { Handler } from './handler.js';

function partitionsOf(ctx: BrokerContext, table: TableRuntime) {
  return table.logs.map((_log, b) => {
    const leader = ctx.cluster.leaderOf(table.tableId, b);
    return { errorCode: KafkaError.NONE, partitionIndex: b, leaderId: leader, leaderEpoch: 0, replicaNodes: [leader], isrNodes: [leader], offlineReplicas: [] };
  });
}

async function describeTopic(ctx: BrokerContext, conn: KafkaConnection, topic: string, autoCreate: boolean) {
  const refused = (errorCode: number) => ({ errorCode, name: topic, isInternal: false, partitions: [] });
  try {
    const { db, table: name } = tableOfTopic(topic);
    if (!ctx.access.allows(conn, 'describe', db, name)) return refused(KafkaError.TOPIC_AUTHORIZATION_FAILED);
    let table = ctx.topics.find(topic);
    if (!table && autoCreate && ctx.access.allows(conn, 'create', db, name)) table = await ctx.topics.findOrCreate(topic);
    if (!table) return refused(KafkaError.UNKNOWN_TOPIC_OR_PARTITION);
    return { errorCode: KafkaError.NONE, name: topic, isInternal: false, partitions: partitionsOf(ctx, table) };
  } catch (err) {
    const { code, message } = kafkaErrorOf(err);
    ctx.log.warn({ remote: conn.remote, topic, problem: message }, 'kafka: metadata refused for a topic');
    return refused(code);
  }
}

export const metadata: Handler<3> = async (ctx, conn, { header, body }) => {
  const all = body.topics === null || (header.requestApiVersion === 0 && body.topics.length === 0);
  const topics = all
    ? ctx.topics.all().filter((t) => ctx.access.sees(conn, t.table.database, t.table.name)).map((t) => ({
      errorCode: KafkaError.NONE, name: t.topic, isInternal: false, partitions: partitionsOf(ctx, t.table),
    }))
    : await Promise.all((body.topics ?? []).map((t) => describeTopic(ctx, conn, t.name, body.allowAutoTopicCreation && ctx.topics.options.autoCreate)));
  return {
    throttleTimeMs: 0,
    brokers: ctx.cluster.brokers().map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port, rack: null })),
    clusterId: ctx.cluster.clusterId,
    controllerId: ctx.cluster.controllerId,
    topics,
  };
};
