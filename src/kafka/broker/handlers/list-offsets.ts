/**
 * ListOffsets: -1 is the latest offset (what a consumer would read next: the high watermark, or a
 * primary-key table's visible end), -2 the earliest (the lake's first offset when the lake holds
 * older data than the local log), any other value the first offset whose record's timestamp is at
 * or after it (timestamp-search.ts), or -1 when there is none.
 */
import type { TableRuntime } from '../../../server/table-store.js';
import { earliestOffset } from '../../../server/union-read.js';
import { KafkaError } from '../../protocol/error-codes.js';
import type { BrokerContext } from '../context.js';
import { kafkaErrorOf } from '../kafka-errors.js';
import { tableOfTopic } from '../topics.js';
import { offsetForTimestamp } from '../timestamp-search.js';
import type { Handler } from './handler.js';

const LATEST = -1n;
const EARLIEST = -2n;

async function lookup(ctx: BrokerContext, table: TableRuntime, partition: number, timestamp: bigint) {
  const base = { partitionIndex: partition, leaderEpoch: 0 };
  if (partition < 0 || partition >= table.logs.length) return { ...base, errorCode: KafkaError.UNKNOWN_TOPIC_OR_PARTITION, timestamp: -1n, offset: -1n };
  const log = table.bucket(partition);
  const kv = table.kv?.[partition];
  const end = kv ? kv.visibleOffset : log.highWatermark;
  if (timestamp === LATEST) return { ...base, errorCode: KafkaError.NONE, timestamp: -1n, offset: end };
  if (timestamp === EARLIEST) return { ...base, errorCode: KafkaError.NONE, timestamp: -1n, offset: await earliestOffset(ctx.lake, table.tableId, partition, log) };
  const found = await offsetForTimestamp(table, partition, Number(timestamp), end);
  return { ...base, errorCode: KafkaError.NONE, timestamp: found ? BigInt(found.timestamp) : -1n, offset: found ? found.offset : -1n };
}

export const listOffsets: Handler<2> = async (ctx, conn, { body }) => {
  const topics = await Promise.all(body.topics.map(async (t) => {
    const refuseAll = (errorCode: number) => t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode, timestamp: -1n, offset: -1n, leaderEpoch: -1 }));
    try {
      const { db, table: name } = tableOfTopic(t.name);
      if (!ctx.access.allows(conn, 'read', db, name)) return { name: t.name, partitions: refuseAll(KafkaError.TOPIC_AUTHORIZATION_FAILED) };
      const table = ctx.topics.find(t.name);
      if (!table) return { name: t.name, partitions: refuseAll(KafkaError.UNKNOWN_TOPIC_OR_PARTITION) };
      const partitions = await Promise.all(t.partitions.map((p) => lookup(ctx, table, p.partitionIndex, p.timestamp).catch((err: unknown) => ({
        partitionIndex: p.partitionIndex, errorCode: kafkaErrorOf(err).code, timestamp: -1n, offset: -1n, leaderEpoch: -1,
      }))));
      return { name: t.name, partitions };
    } catch (err) {
      return { name: t.name, partitions: refuseAll(kafkaErrorOf(err).code) };
    }
  }));
  return { throttleTimeMs: 0, topics };
};
