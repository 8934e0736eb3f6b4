/**
 * Produce: each partition's record batches become one append to the bucket (a log table) or one
 * upsert/delete request (a primary-key table), acknowledged after the log's fdatasync, as HTTP
 * writes are (acks=1 and acks=all mean the same on one server). acks=0 gets no response.
 *
 * Idempotent producers: the producer id is the writer id and a batch's base sequence its batch
 * sequence, so the log recognises a retried batch and answers it with its original offset. A batch
 * whose sequence skips ahead of the producer's last one on the partition is refused with
 * OUT_OF_ORDER_SEQUENCE_NUMBER (a batch in between was lost), one too old to be judged with
 * DUPLICATE_SEQUENCE_NUMBER, as Kafka does.
 */
import { ArrowBatchBuilder } from '../../../common/arrow-builder.js';
import { tableKind } from '../../../common/schema.js';
import { writePrimaryKeyTable } from '../../../server/primary-key-write.js';
import type { TableRuntime } from '../../../server/table-store.js';
import { KafkaError } from '../../protocol/error-codes.js';
import { checkProducedBatches } from '../../records/produce-rules.js';
import { decodeRecordBatches, type RecordBatch } from '../../records/record-batch.js';
import { RecordBatchError } from '../../records/record-batch-error.js';
import type { BrokerContext } from '../context.js';
import { kafkaErrorOf } from '../kafka-errors.js';
import type { KafkaConnection } from '../listener.js';
import { producedRows } from '../produced-rows.js';
import { tableOfTopic } from '../topics.js';
import type { Handler } from './handler.js';

const ACKS = new Set([0, 1, -1]);

interface PartitionResult {
  index: number;
  errorCode: number;
  baseOffset: bigint;
  logStartOffset: bigint;
}

export const produce: Handler<0> = async (ctx, conn, { body }) => {
  const acksValid = ACKS.has(body.acks);
  const responses = await Promise.all(body.topicData.map(async (topic) => {
    const refuseAll = (errorCode: number) => topic.partitionData.map((p) => ({ index: p.index, errorCode, baseOffset: -1n, logStartOffset: -1n }));
    if (!acksValid) return { name: topic.name, partitionResponses: refuseAll(KafkaError.INVALID_REQUIRED_ACKS) };
    if (body.transactionalId !== null) return { name: topic.name, partitionResponses: refuseAll(KafkaError.TRANSACTIONAL_ID_AUTHORIZATION_FAILED) };
    let table: TableRuntime | undefined;
    try {
      const { db, table: name } = tableOfTopic(topic.name);
      if (!ctx.access.allows(conn, 'write', db, name)) return { name: topic.name, partitionResponses: refuseAll(KafkaError.TOPIC_AUTHORIZATION_FAILED) };
      table = ctx.access.allows(conn, 'create', db, name) ? await ctx.topics.findOrCreate(topic.name) : ctx.topics.find(topic.name);
    } catch (err) {
      return { name: topic.name, partitionResponses: refuseAll(kafkaErrorOf(err).code) };
    }
    if (!table) return { name: topic.name, partitionResponses: refuseAll(KafkaError.UNKNOWN_TOPIC_OR_PARTITION) };
    const found = table;
    const partitionResponses = await Promise.all(topic.partitionData.map((p) => producePartition(ctx, conn, found, topic.name, p.index, p.records)));
    return { name: topic.name, partitionResponses };
  }));
  if (body.acks === 0) return null;
  return { responses, throttleTimeMs: 0 };
};

async function producePartition(ctx: BrokerContext, conn: KafkaConnection, table: TableRuntime, topic: string, partition: number, records: Uint8Array | null): Promise<PartitionResult> {
  const result = (errorCode: number, baseOffset = -1n): PartitionResult => ({ index: partition, errorCode, baseOffset, logStartOffset: -1n });
  if (partition < 0 || partition >= table.logs.length) return result(KafkaError.UNKNOWN_TOPIC_OR_PARTITION);
  try {
    const batches = decodeRecordBatches(records ?? new Uint8Array(0), { decompressedBytesMax: ctx.server.config.maxRequestBytes * 4, partialTail: 'refuse' });
    checkProducedBatches(batches);
    ctx.server.disk.admitWrite();
    let first: bigint | undefined;
    for (const batch of batches) {
      const offset = await appendBatch(ctx, table, partition, batch);
      first ??= offset;
    }
    return { ...result(KafkaError.NONE, first ?? -1n), logStartOffset: table.bucket(partition).logStartOffset };
  } catch (err) {
    if (err instanceof RecordBatchError) {
      ctx.log.warn({ remote: conn.remote, topic, partition, problem: err.message }, 'kafka: produce refused');
      return result(err.kafkaCode);
    }
    const { code, message } = kafkaErrorOf(err);
    ctx.log.warn({ remote: conn.remote, topic, partition, problem: message }, 'kafka: produce refused');
    return result(code);
  }
}

/** Writes one batch; resolves with its first offset (the original one for a retried batch). */
async function appendBatch(ctx: BrokerContext, table: TableRuntime, partition: number, batch: RecordBatch): Promise<bigint> {
  const { rows, deletes } = producedRows(table.definition, partition, batch.records);
  const idempotent = batch.producerId >= 0n;
  const writer = idempotent ? { writerId: batch.producerId, sequence: batch.baseSequence } : undefined;
  const sequence = writer ? ctx.producerIds.checkSequence(table.bucket(partition), writer.writerId, writer.sequence) : undefined;
  let baseOffset: bigint;
  if (tableKind(table.definition) === 'log') {
    const builder = new ArrowBatchBuilder(table.definition.columns, rows.length);
    for (const row of rows) builder.appendRow(row);
    const appended = await table.bucket(partition).append({
      arrowIpc: builder.finishIpc(),
      recordCount: rows.length,
      ...(writer ? { writerId: writer.writerId, batchSequence: writer.sequence } : {}),
    });
    baseOffset = appended.baseOffset;
  } else {
    const reply = await writePrimaryKeyTable(table, 'upsert', { kind: 'rows', rows, deletes }, undefined, writer);
    baseOffset = BigInt(reply.buckets[0]?.baseOffset ?? table.bucket(partition).highWatermark);
  }
  if (writer && sequence === 'new') ctx.producerIds.recordSequence(table.bucket(partition), writer.writerId, writer.sequence, batch.recordCount);
  if (tableKind(table.definition) === 'log') ctx.server.metrics.appended(table.qualifiedName, rows.length, batch.sizeBytes);
  else ctx.server.metrics.kvWritten(table.qualifiedName, 'upsert', rows.length);
  return baseOffset;
}
