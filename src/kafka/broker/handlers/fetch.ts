/**
 * Fetch: each partition's records from its fetch offset, as Kafka record batches, up to the
 * partition's and the request's byte limits (at least one batch of the first partition with data,
 * as KIP-74 has it, so a batch above the limit never stalls a consumer). A request that finds less
 * than `minBytes` waits up to `maxWaitMs` for any of its partitions to get data (the log's high
 * watermark notifications; a primary-key table's changelog once its index holds it), then reads
 * again. Offsets below the local log start are read from the lake (union read). There are no
 * transactions, so read_committed sees what read_uncommitted sees, and no fetch sessions: every
 * fetch is a full one (session id 0), which every client accepts.
 */
import type { TableRuntime } from '../../../server/table-store.js';
import { sliceRecords } from '../../../server/records.js';
import { earliestOffset, readFromLake } from '../../../server/union-read.js';
import { KafkaError } from '../../protocol/error-codes.js';
import type { BrokerContext } from '../context.js';
import { fetchedBatches } from '../fetched-records.js';
import { kafkaErrorOf } from '../kafka-errors.js';
import type { KafkaConnection } from '../listener.js';
import { tableOfTopic } from '../topics.js';
import type { Handler } from './handler.js';

/** A fetch's wait is the client's to choose, within reason. */
const WAIT_MS_MAX = 60_000;
/** Records read from the lake per partition per fetch. */
const LAKE_RECORDS_MAX = 10_000;

interface PartitionRead {
  partitionIndex: number;
  errorCode: number;
  highWatermark: bigint;
  lastStableOffset: bigint;
  logStartOffset: bigint;
  abortedTransactions: null;
  preferredReadReplica: number;
  records: Uint8Array[];
  bytes: number;
}

interface Target {
  topic: string;
  table: TableRuntime | undefined;
  errorCode: number;
  partitions: { partition: number; fetchOffset: bigint; partitionMaxBytes: number }[];
}

export const fetch: Handler<1> = async (ctx, conn, { body }) => {
  const targets = body.topics.map((t) => resolveTarget(ctx, conn, t.topic, t.partitions));
  const bytesMax = Math.max(1, Math.min(body.maxBytes, ctx.server.config.maxFetchBytes));
  let reads = await readAll(ctx, targets, bytesMax);
  const total = () => reads.reduce((n, t) => n + t.reduce((m, p) => m + p.bytes, 0), 0);
  const waitMs = Math.min(Math.max(0, body.maxWaitMs), WAIT_MS_MAX);
  if (waitMs > 0 && total() < Math.max(1, body.minBytes) && !reads.some((t) => t.some((p) => p.errorCode !== KafkaError.NONE))) {
    await waitForAny(ctx, targets, waitMs);
    reads = await readAll(ctx, targets, bytesMax);
  }
  return {
    throttleTimeMs: 0,
    errorCode: KafkaError.NONE,
    sessionId: 0,
    responses: targets.map((t, i) => ({ topic: t.topic, partitions: reads[i]! })),
  };
};

function resolveTarget(ctx: BrokerContext, conn: KafkaConnection, topic: string, partitions: Target['partitions']): Target {
  try {
    const { db, table } = tableOfTopic(topic);
    if (!ctx.access.allows(conn, 'read', db, table)) return { topic, table: undefined, errorCode: KafkaError.TOPIC_AUTHORIZATION_FAILED, partitions };
    const found = ctx.topics.find(topic);
    return { topic, table: found, errorCode: found ? KafkaError.NONE : KafkaError.UNKNOWN_TOPIC_OR_PARTITION, partitions };
  } catch (err) {
    return { topic, table: undefined, errorCode: kafkaErrorOf(err).code, partitions };
  }
}

async function readAll(ctx: BrokerContext, targets: readonly Target[], bytesMax: number): Promise<PartitionRead[][]> {
  let budget = bytesMax;
  const out: PartitionRead[][] = [];
  for (const t of targets) {
    const reads: PartitionRead[] = [];
    for (const p of t.partitions) {
      // The log returns at least one whole batch whatever the limit (KIP-74).
      const limit = Math.max(1, Math.min(p.partitionMaxBytes, budget));
      const read = t.table && t.errorCode === KafkaError.NONE
        ? await readPartition(ctx, t.table, p.partition, p.fetchOffset, limit, budget > 0)
        : emptyRead(p.partition, t.errorCode);
      budget -= read.bytes;
      reads.push(read);
    }
    out.push(reads);
  }
  return out;
}

/** Records empty, never null, as Kafka's are with every error: librdkafka 2.0 takes a null record set (size -1) for a protocol error. */
function emptyRead(partitionIndex: number, errorCode: number, hw = -1n, start = -1n): PartitionRead {
  return { partitionIndex, errorCode, highWatermark: hw, lastStableOffset: hw, logStartOffset: start, abortedTransactions: null, preferredReadReplica: -1, records: [], bytes: 0 };
}

async function readPartition(ctx: BrokerContext, table: TableRuntime, partition: number, offset: bigint, bytesMax: number, wanted: boolean): Promise<PartitionRead> {
  if (partition < 0 || partition >= table.logs.length) return emptyRead(partition, KafkaError.UNKNOWN_TOPIC_OR_PARTITION);
  try {
    const log = table.bucket(partition);
    const kv = table.kv?.[partition];
    const end = kv ? kv.visibleOffset : log.highWatermark;
    const earliest = await earliestOffset(ctx.lake, table.tableId, partition, log);
    if (offset < earliest || offset > log.highWatermark) return emptyRead(partition, KafkaError.OFFSET_OUT_OF_RANGE, end, earliest);
    if (!wanted || offset >= end) return emptyRead(partition, KafkaError.NONE, end, earliest);
    const columns = table.definition.columns;
    const slice = offset < log.logStartOffset
      ? await readFromLake(ctx.lake, table.tableId, partition, log, offset, LAKE_RECORDS_MAX, columns)
      : sliceRecords(await log.read(offset, { maxBytes: bytesMax }), offset, Number(end - offset), columns);
    const records = fetchedBatches(table.definition, slice);
    const bytes = records.reduce((n, r) => n + r.byteLength, 0);
    ctx.server.metrics.fetched(table.qualifiedName, bytes);
    return { ...emptyRead(partition, KafkaError.NONE, end, earliest), records, bytes };
  } catch (err) {
    const { code, message } = kafkaErrorOf(err);
    ctx.log.warn({ table: table.qualifiedName, partition, problem: message }, 'kafka: fetch failed for a partition');
    return emptyRead(partition, code);
  }
}

/** Resolves when any of the fetched partitions gets data past its fetch offset, or after `waitMs`. */
async function waitForAny(ctx: BrokerContext, targets: readonly Target[], waitMs: number): Promise<void> {
  const done = new AbortController();
  const signal = AbortSignal.any([done.signal, ctx.server.shutdown]);
  const waits: Promise<void>[] = [];
  for (const t of targets) {
    if (!t.table) continue;
    for (const p of t.partitions) {
      if (p.partition < 0 || p.partition >= t.table.logs.length) continue;
      const kv = t.table.kv?.[p.partition];
      waits.push(kv ? kv.waitVisible(p.fetchOffset, waitMs, signal) : t.table.bucket(p.partition).waitForData(p.fetchOffset, waitMs, signal));
    }
  }
  if (waits.length === 0) return;
  try {
    await ctx.server.longPolls.run(() => Promise.race(waits));
  } catch {
    // Too many waiting fetches: answer now with what there is (the client fetches again).
  } finally {
    done.abort();
  }
}
