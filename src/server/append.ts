import { ArrowBatchBuilder } from '../common/arrow-builder.js';
import { splitByBucket, storedStream, type BucketStream } from '../common/bucket-batches.js';
import { fail } from '../common/errors.js';
import { bucketRouter } from '../common/bucket-router.js';
import { tableKind, type Column } from '../common/schema.js';
import type { Row } from '../common/values.js';
import type { TableRuntime } from './table-store.js';
import type { WriteInput } from './write-input.js';
import { writeInputRowCount } from './write-input.js';

export interface WriterIdentity {
  readonly writerId: bigint;
  readonly sequence: number;
}

export interface WriteReply {
  rows: number;
  buckets: { bucket: number; baseOffset: string; rows: number }[];
}

/**
 * Appends to a log table. Each bucket gets exactly one stored batch per request (one IPC stream of
 * one record batch, however many the request's body held), stamped with the writer id and sequence,
 * so a retry is matched bucket by bucket: a request half-applied before a crash is completed, never
 * doubled.
 */
export async function appendToLogTable(table: TableRuntime, input: WriteInput, writer?: WriterIdentity): Promise<WriteReply> {
  if (tableKind(table.definition) !== 'log') {
    fail('UNSUPPORTED_OPERATION', `table ${table.qualifiedName} has a primary key; write to it with POST .../upsert and .../delete, not append`);
  }
  const rows = writeInputRowCount(input);
  const plan = rows === 0 ? new Map<number, BucketStream>() : bucketStreams(table, input, writer);
  const entries = [...plan.entries()].sort((a, b) => a[0] - b[0]);
  const results = await Promise.all(entries.map(([b, p]) => table.bucket(b).append({
    arrowIpc: p.ipc,
    recordCount: p.rows,
    ...(writer ? { writerId: writer.writerId, batchSequence: writer.sequence } : {}),
  })));
  return {
    rows,
    buckets: entries.map(([b, p], i) => ({ bucket: b, baseOffset: results[i]!.baseOffset.toString(), rows: p.rows })),
  };
}

/** What each bucket stores of a request that has rows. */
function bucketStreams(table: TableRuntime, input: WriteInput, writer: WriterIdentity | undefined): Map<number, BucketStream> {
  const columns = table.definition.columns;
  const router = bucketRouter(table.definition);
  if (!router.keyed || router.buckets === 1) {
    const stream = input.kind === 'arrow' ? storedStream(columns, input.batches) : rowsStream(columns, input.rows);
    return new Map([[router.keyed ? 0 : table.nextRoundRobinBucket(writer), stream]]);
  }
  if (input.kind === 'arrow') return splitByBucket(router, columns, input.batches);
  const plan = new Map<number, BucketStream>();
  for (const [b, rows] of router.splitRows(input.rows)) plan.set(b, rowsStream(columns, rows));
  return plan;
}

/** JSON rows (checked by rowFromJson) as a stored stream. */
function rowsStream(columns: readonly Column[], rows: readonly Row[]): BucketStream {
  const builder = new ArrowBatchBuilder(columns, rows.length);
  for (const row of rows) builder.appendRow(row);
  return { ipc: builder.finishIpc(), rows: rows.length };
}
