/**
 * CreateTopics, DeleteTopics and DescribeConfigs over the catalog. Replication is the server's
 * business (one server today): any replication factor is accepted as -1 is. Partition assignments
 * cannot be chosen (buckets are placed by lakestream) and are refused.
 */
import { KafkaError } from '../../protocol/error-codes.js';
import { kafkaErrorOf } from '../kafka-errors.js';
import { tableOfTopic, topicConfigs } from '../topics.js';
import type { Handler } from './handler.js';

export const createTopics: Handler<19> = async (ctx, conn, { body }) => {
  const topics = [];
  for (const t of body.topics) {
    try {
      const { db, table } = tableOfTopic(t.name);
      if (!ctx.access.allows(conn, 'create', db, table)) {
        topics.push({ name: t.name, errorCode: KafkaError.TOPIC_AUTHORIZATION_FAILED, errorMessage: `no create grant on ${db}.${table}` });
        continue;
      }
      if (t.assignments.length > 0) {
        topics.push({ name: t.name, errorCode: KafkaError.INVALID_REQUEST, errorMessage: 'lakestream places partitions itself; create the topic with numPartitions instead of assignments' });
        continue;
      }
      const configs = new Map<string, string>();
      for (const c of t.configs) if (c.value !== null) configs.set(c.name, c.value);
      const partitions = t.numPartitions === -1 ? ctx.topics.options.defaultPartitions : t.numPartitions;
      await ctx.topics.create(t.name, { partitions, configs }, body.validateOnly);
      topics.push({ name: t.name, errorCode: KafkaError.NONE, errorMessage: null });
    } catch (err) {
      const { code, message } = kafkaErrorOf(err);
      ctx.log.warn({ remote: conn.remote, topic: t.name, problem: message }, 'kafka: CreateTopics refused a topic');
      topics.push({ name: t.name, errorCode: code, errorMessage: message });
    }
  }
  return { throttleTimeMs: 0, topics };
};

export const deleteTopics: Handler<20> = async (ctx, conn, { body }) => {
  const responses = [];
  for (const name of body.topicNames) {
    try {
      const { db, table } = tableOfTopic(name);
      if (!ctx.access.allows(conn, 'drop', db, table)) {
        responses.push({ name, errorCode: KafkaError.TOPIC_AUTHORIZATION_FAILED });
        continue;
      }
      await ctx.topics.drop(name);
      responses.push({ name, errorCode: KafkaError.NONE });
    } catch (err) {
      responses.push({ name, errorCode: kafkaErrorOf(err).code });
    }
  }
  return { throttleTimeMs: 0, responses };
};

const TOPIC_RESOURCE = 2;
const BROKER_RESOURCE = 4;
/** Kafka's ConfigSource: DYNAMIC_TOPIC_CONFIG. */
const TOPIC_CONFIG_SOURCE = 1;

export const describeConfigs: Handler<32> = async (ctx, conn, { body }) => {
  const results = body.resources.map((r) => {
    const base = { resourceType: r.resourceType, resourceName: r.resourceName };
    if (r.resourceType === BROKER_RESOURCE) return { ...base, errorCode: KafkaError.NONE, errorMessage: null, configs: [] };
    if (r.resourceType !== TOPIC_RESOURCE) return { ...base, errorCode: KafkaError.INVALID_REQUEST, errorMessage: 'only topic and broker configs can be described', configs: [] };
    try {
      const { db, table } = tableOfTopic(r.resourceName);
      if (!ctx.access.allows(conn, 'describe', db, table)) return { ...base, errorCode: KafkaError.TOPIC_AUTHORIZATION_FAILED, errorMessage: null, configs: [] };
      const runtime = ctx.topics.find(r.resourceName);
      if (!runtime) return { ...base, errorCode: KafkaError.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `topic '${r.resourceName}' does not exist`, configs: [] };
      const configs = Object.entries(topicConfigs(runtime.definition))
        .filter(([name]) => r.configurationKeys === null || r.configurationKeys.includes(name))
        .map(([name, value]) => ({ name, value, readOnly: true, isDefault: false, configSource: TOPIC_CONFIG_SOURCE, isSensitive: false, synonyms: [] }));
      return { ...base, errorCode: KafkaError.NONE, errorMessage: null, configs };
    } catch (err) {
      const { code, message } = kafkaErrorOf(err);
      return { ...base, errorCode: code, errorMessage: message, configs: [] };
    }
  });
  return { throttleTimeMs: 0, results };
};
