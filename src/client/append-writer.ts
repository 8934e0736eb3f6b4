import type { Writable } from 'node:stream';
import { LakestreamError } from '../common/errors.js';
import type { Column } from '../common/schema.js';
import type { BatchingOptions, SealedBatch } from './batching.js';
import { BatchPipeline, batchingOptions } from './batching.js';
import type { TableContext } from './context.js';
import { PipelinedWriter } from './pipelined-writer.js';
import { rowBatches } from './row-batches.js';
import type { RowInput } from './rows.js';
import { toRow } from './rows.js';
import type { WriterSequencer } from './sequence.js';
import type { WriteResult } from './wire.js';
import { parseWriteResult } from './wire.js';

export type AppendWriterOptions = BatchingOptions;

/** Where an appended row landed. Known when its batch went to one bucket (always, with one bucket). */
export interface AppendAck {
  readonly bucket: number;
  readonly offset: bigint;
}

/** Row `index` of a batch of `rowCount` rows: exact when the whole batch went to a single bucket. */
export function appendAckFor(result: WriteResult, index: number | bigint, rowCount: number): AppendAck | undefined {
  if (result.buckets.length !== 1) return undefined;
  const only = result.buckets[0]!;
  if (only.rows !== rowCount) return undefined;
  return { bucket: only.bucket, offset: only.baseOffset + BigInt(index) };
}

/**
 * The ack of row `index` from its batch's reply (whose `rows` is the batch's row count), one function
 * per index shared by every batch: a pending row's promise then holds no closure of its own, which
 * matters when tens of thousands of rows wait for their replies through every young-generation GC.
 */
const ROW_ACKS: ((result: WriteResult) => AppendAck | undefined)[] = [];
/** Batches are rarely larger; a row beyond gets a function of its own. */
const ROW_ACKS_MAX = 65_536;

function rowAck(index: number): (result: WriteResult) => AppendAck | undefined {
  const shared = ROW_ACKS[index];
  if (shared) return shared;
  const delta = BigInt(index);
  const ack = (result: WriteResult) => appendAckFor(result, delta, result.rows);
  if (index < ROW_ACKS_MAX) ROW_ACKS[index] = ack;
  return ack;
}

/** Sends one sealed batch to `/{op}` with its idempotence headers; retries re-send the same bytes. */
export async function postBatch(ctx: TableContext, op: 'append' | 'upsert' | 'delete', batch: SealedBatch<string>, query?: Record<string, string>): Promise<WriteResult> {
  const body = await ctx.http.json({
    method: 'POST',
    path: ctx.path(op),
    ...(query ? { query } : {}),
    body: batch.body,
    contentType: batch.contentType,
    headers: batch.headers,
    idempotent: true,
  });
  return parseWriteResult(body);
}

/**
 * Appends rows to a log table in batches. `append()` returns at once with a promise of the row's
 * acknowledgement; fire many, then `flush()`. For back-pressure await `ready()` (or use
 * `toWritable()`), which waits while more sealed batches are queued than can be in flight.
 */
export class AppendWriter extends PipelinedWriter<'append', AppendAck | undefined> {
  private readonly columns: readonly Column[];

  constructor(ctx: TableContext, opts: AppendWriterOptions = {}, sequencer?: WriterSequencer) {
    if (ctx.description.kind !== 'log') {
      throw new LakestreamError('UNSUPPORTED_OPERATION', `${ctx.database}.${ctx.table} has a primary key: write it with upsertWriter(), not appendWriter()`);
    }
    const options = batchingOptions(opts);
    const columns = ctx.description.columns;
    super(new BatchPipeline({
      options,
      newBatch: rowBatches(options.format, columns, {}, options.batchRows),
      transport: (batch) => postBatch(ctx, 'append', batch),
      ack: (reply, index) => reply.then(rowAck(index)),
      ...(sequencer ? { sequencer } : {}),
    }), ctx);
    this.columns = columns;
  }

  /** Buffers a row (in-memory or JSON forms); resolves when it is durable. */
  append(row: RowInput): Promise<AppendAck | undefined> {
    return this.pipeline.add('append', row);
  }

  /** Checks a row as append() converts it, throwing the error append() would fail with. */
  validate(row: RowInput): void {
    toRow(this.columns, row);
  }

  /**
   * Like append(), but a row that does not convert throws here, before anything is batched (and
   * flush() does not report it): for callers that refuse bad rows one by one.
   */
  tryAppend(row: RowInput): Promise<AppendAck | undefined> {
    return this.pipeline.tryAdd('append', row);
  }

  /** An object-mode Writable of rows that honours back-pressure; `end()` flushes. */
  toWritable(highWaterMark = 1024): Writable {
    return this.rowsWritable(highWaterMark, (row) => void this.append(row));
  }
}
