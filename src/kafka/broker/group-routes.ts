/**
 * `GET /v1/kafka/groups`: the consumer groups this server coordinates, their members and the
 * partitions each holds, committed offsets and lag (the partition's latest offset minus the
 * committed one). For people and the console; the grant is `describe` on the cluster, as /metrics.
 */
import type { FastifyInstance } from 'fastify';
import { decode } from '../protocol/codec.js';
import { CONSUMER_PROTOCOL_ASSIGNMENT } from '../protocol/apis/consumer-protocol.js';
import { KafkaProtocolError, KafkaReader } from '../protocol/primitives.js';
import type { GroupServices } from './group-services.js';
import type { TopicStore } from './topic-store.js';

function assignedPartitions(protocolType: string, bytes: Uint8Array): { topic: string; partitions: number[] }[] | null {
  if (protocolType !== 'consumer' || bytes.length < 2) return null;
  try {
    const reader = new KafkaReader(bytes);
    const version = Math.min(reader.int16(), 3);
    return decode(CONSUMER_PROTOCOL_ASSIGNMENT, version, reader).assignedPartitions;
  } catch (err) {
    if (err instanceof KafkaProtocolError) return null;
    throw err;
  }
}

export function groupRoutes(app: FastifyInstance, groups: GroupServices, topics: TopicStore): void {
  app.get('/v1/kafka/groups', async () => {
    const listed = groups.coordinator.listGroups().groups;
    const described = groups.coordinator.describeGroups(listed.map((g) => g.groupId));
    return {
      groups: await Promise.all(described.map(async (g) => {
        const offsets = await groups.offsets.fetch(g.groupId, null);
        return {
          groupId: g.groupId,
          state: g.groupState,
          protocolType: g.protocolType,
          protocol: g.protocolData,
          members: g.members.map((m) => ({
            memberId: m.memberId, clientId: m.clientId, clientHost: m.clientHost,
            assignment: assignedPartitions(g.protocolType, m.memberAssignment),
          })),
          offsets: offsets.map((o) => {
            const table = topics.find(o.topic);
            const log = table && o.partition < table.logs.length ? table.bucket(o.partition) : undefined;
            const latest = log ? (table!.kv?.[o.partition]?.visibleOffset ?? log.highWatermark) : undefined;
            return {
              topic: o.topic, partition: o.partition, committedOffset: o.offset.toString(),
              latestOffset: latest?.toString() ?? null,
              lag: latest !== undefined && o.offset >= 0n ? (latest - o.offset).toString() : null,
            };
          }),
        };
      })),
    };
  });
}
