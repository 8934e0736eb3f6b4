/**
 * What a broker demands of the batches a producer sends, beyond their being well formed: Kafka's
 * LogValidator rules for client appends (validateBatch, validateTimestamp), so a client that Kafka
 * would refuse is refused here too, with the same codes.
 *
 * Offsets are the broker's to assign (record i of a batch gets the batch's offset + i), so the inner
 * offsetDeltas are not checked: Kafka too accepts, and rewrites, clients that get them wrong. Unlike
 * Kafka, a produce request may carry several batches for one partition; each must pass.
 */
import type { RecordBatch } from './record-batch.js';
import { TIMESTAMP_TYPE_LOG_APPEND_TIME } from './record-batch.js';
import { RecordBatchError } from './record-batch-error.js';

export function checkProducedBatches(batches: readonly RecordBatch[]): void {
  if (batches.length === 0) throw new RecordBatchError('INVALID_RECORD', 'the produce request holds no record batch for the partition');
  for (const batch of batches) checkProducedBatch(batch);
}

function checkProducedBatch(b: RecordBatch): void {
  const invalid = (why: string): never => {
    throw new RecordBatchError('INVALID_RECORD', why);
  };
  if (b.recordCount <= 0) invalid(`record batch holds ${b.recordCount} records`);
  if (b.lastOffsetDelta !== b.recordCount - 1) {
    invalid(`record batch's last offset delta ${b.lastOffsetDelta} disagrees with its ${b.recordCount} records`);
  }
  if (b.isControl) invalid('clients may not write control batches');
  if (b.producerId >= 0n && b.baseSequence < 0) invalid(`record batch of producer ${b.producerId} has sequence ${b.baseSequence}`);
  if (b.timestampType === TIMESTAMP_TYPE_LOG_APPEND_TIME) {
    throw new RecordBatchError('INVALID_TIMESTAMP', 'a producer may not set the timestamp type to log append time');
  }
}
