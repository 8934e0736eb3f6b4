/**
 * OffsetCommit and OffsetFetch: committed offsets live in a system primary-key table
 * (`_lakestream.kafka_group_offsets`), written after the changelog's fdatasync, so a commit that was
 * acknowledged survives kill -9 and can be read over HTTP. The coordinator checks the committer's
 * generation and member id first (a fenced member's commit is refused, as Kafka refuses it).
 */
import { KafkaError } from '../../protocol/error-codes.js';
import { kafkaErrorOf } from '../kafka-errors.js';
import { tableOfTopic } from '../topics.js';
import type { BrokerContext } from '../context.js';
import type { KafkaConnection } from '../listener.js';
import type { CommittedOffset, OffsetCommitEntry } from '../../groups/offsets.js';
import type { Handler } from './handler.js';

/** Kafka's offset.metadata.max.bytes. */
const METADATA_CHARS_MAX = 4096;

function readable(ctx: BrokerContext, conn: KafkaConnection, topic: string): number {
  try {
    const { db, table } = tableOfTopic(topic);
    if (!ctx.access.allows(conn, 'read', db, table)) return KafkaError.TOPIC_AUTHORIZATION_FAILED;
    return ctx.topics.find(topic) ? KafkaError.NONE : KafkaError.UNKNOWN_TOPIC_OR_PARTITION;
  } catch (err) {
    return kafkaErrorOf(err).code;
  }
}

export const offsetCommit: Handler<8> = async (ctx, conn, { body }) => {
  const groupError = ctx.groups.coordinator.validateCommit(body.groupId, body.generationIdOrMemberEpoch, body.memberId, body.groupInstanceId);
  const entries: OffsetCommitEntry[] = [];
  const codes = body.topics.map((t) => {
    const topicError = groupError !== KafkaError.NONE ? groupError : readable(ctx, conn, t.name);
    return t.partitions.map((p) => {
      if (topicError !== KafkaError.NONE) return topicError;
      if (p.committedMetadata !== null && p.committedMetadata.length > METADATA_CHARS_MAX) return KafkaError.OFFSET_METADATA_TOO_LARGE;
      entries.push({ topic: t.name, partition: p.partitionIndex, offset: p.committedOffset, leaderEpoch: p.committedLeaderEpoch, metadata: p.committedMetadata });
      return KafkaError.NONE;
    });
  });
  let storeError: number = KafkaError.NONE;
  if (entries.length > 0) {
    try {
      await ctx.groups.offsets.commit(body.groupId, entries);
    } catch (err) {
      const { code, message } = kafkaErrorOf(err);
      ctx.log.warn({ groupId: body.groupId, problem: message }, 'kafka: offset commit failed');
      storeError = code === KafkaError.UNKNOWN_SERVER_ERROR ? KafkaError.COORDINATOR_NOT_AVAILABLE : code;
    }
  }
  return {
    throttleTimeMs: 0,
    topics: body.topics.map((t, i) => ({
      name: t.name,
      partitions: t.partitions.map((p, j) => ({ partitionIndex: p.partitionIndex, errorCode: codes[i]![j] === KafkaError.NONE ? storeError : codes[i]![j]! })),
    })),
  };
};

export const offsetFetch: Handler<9> = async (ctx, conn, { body }) => {
  try {
    const wanted = body.topics?.map((t) => ({ topic: t.name, partitions: t.partitionIndexes }));
    const found = await ctx.groups.offsets.fetch(body.groupId, wanted);
    const byTopic = new Map<string, CommittedOffset[]>();
    for (const o of found) {
      let list = byTopic.get(o.topic);
      if (!list) byTopic.set(o.topic, (list = []));
      list.push(o);
    }
    const topics = [...byTopic].map(([name, offsets]) => {
      const denied = readable(ctx, conn, name) === KafkaError.TOPIC_AUTHORIZATION_FAILED;
      return {
        name,
        partitions: offsets.map((o) => ({
          partitionIndex: o.partition,
          committedOffset: denied ? -1n : o.offset,
          committedLeaderEpoch: o.leaderEpoch,
          metadata: denied ? null : o.metadata,
          errorCode: denied ? KafkaError.TOPIC_AUTHORIZATION_FAILED : KafkaError.NONE,
        })),
      };
    });
    return { throttleTimeMs: 0, topics, errorCode: KafkaError.NONE };
  } catch (err) {
    const { message } = kafkaErrorOf(err);
    ctx.log.warn({ groupId: body.groupId, problem: message }, 'kafka: offset fetch failed');
    return { throttleTimeMs: 0, topics: [], errorCode: KafkaError.COORDINATOR_NOT_AVAILABLE };
  }
};
