import type { Writable } from 'node:stream';
import { LakestreamError } from '../common/errors.js';
import { badChangeTypeMessage, upsertAction, type UpsertAction } from '../common/upsert-change.js';
import type { Column } from '../common/schema.js';
import type { Row } from '../common/values.js';
import type { BatchingOptions } from './batching.js';
import { BatchPipeline, batchingOptions } from './batching.js';
import type { TableContext } from './context.js';
import { PipelinedWriter } from './pipelined-writer.js';
import { postBatch } from './append-writer.js';
import { rowBatches } from './row-batches.js';
import type { RowInput } from './rows.js';
import { pickColumns, toRow } from './rows.js';
import type { WriterSequencer } from './sequence.js';
import type { WriteResult } from './wire.js';

export interface UpsertWriterOptions extends BatchingOptions {
  /**
   * Partial update: only these columns are written (the primary key is always included); the other
   * columns of an existing row keep their values.
   */
  readonly columns?: readonly string[];
}

/**
 * The columns an upsert batch carries: the whole table, or for a partial update the primary key
 * plus the named columns, in table order.
 */
export function upsertColumns(all: readonly Column[], primaryKey: readonly string[], partial: readonly string[] | undefined): Column[] {
  if (!partial) return [...all];
  pickColumns(all, partial, 'partial update');
  const wanted = new Set([...primaryKey, ...partial]);
  return all.filter((c) => wanted.has(c.name));
}

/**
 * Upserts and deletes rows of a primary-key table in batches. Each batch holds one kind of change:
 * switching between `upsert()` and `delete()` seals the open batch, so the order of changes is kept.
 * Same batching, back-pressure and idempotence as AppendWriter.
 */
export class UpsertWriter extends PipelinedWriter<'upsert' | 'delete', WriteResult> {
  private readonly rowColumns: readonly Column[];
  private readonly keyColumns: readonly Column[];
  private readonly primaryKey: readonly string[];

  constructor(ctx: TableContext, opts: UpsertWriterOptions = {}, sequencer?: WriterSequencer) {
    const d = ctx.description;
    if (d.kind !== 'primary-key' || d.primaryKey.length === 0) {
      throw new LakestreamError('UNSUPPORTED_OPERATION', `${ctx.database}.${ctx.table} is a log table: write it with appendWriter(), not upsertWriter()`);
    }
    const options = batchingOptions(opts);
    const rowColumns = upsertColumns(d.columns, d.primaryKey, opts.columns);
    const keyColumns = pickColumns(d.columns, d.primaryKey, 'primary key');
    const partial = opts.columns ? { columns: rowColumns.map((c) => c.name).join(',') } : undefined;
    const required = { required: d.primaryKey };
    const upserts = rowBatches(options.format, rowColumns, required, options.batchRows);
    const deletes = rowBatches(options.format, keyColumns, required, options.batchRows);
    super(new BatchPipeline({
      options,
      newBatch: (kind) => (kind === 'upsert' ? upserts() : deletes()),
      transport: (batch) => (batch.kind === 'upsert' ? postBatch(ctx, 'upsert', batch, partial) : postBatch(ctx, 'delete', batch)),
      // Every row of a batch gets its reply: they share the batch's promise.
      ack: (reply) => reply,
      ...(sequencer ? { sequencer } : {}),
    }), ctx);
    this.primaryKey = d.primaryKey;
    this.rowColumns = rowColumns;
    this.keyColumns = keyColumns;
  }

  /** Inserts or updates the row with this key; resolves with its batch's reply when the change is durable. */
  upsert(row: RowInput): Promise<WriteResult> {
    return this.pipeline.add('upsert', row);
  }

  /**
   * Deletes the row with this key (only key columns may be given); resolves with its batch's reply
   * when durable (the reply's bucket `rows` count the keys that existed).
   */
  delete(key: RowInput): Promise<WriteResult> {
    return this.pipeline.add('delete', key);
  }

  /**
   * What a changelog row asks by its `_change_type` (see upsertAction: `-D` deletes its key, `-U` is
   * skipped, `+I`, `+U` or none upserts), after checking the row as that write converts it. Throws
   * the error the write would fail with.
   */
  validate(row: RowInput): UpsertAction {
    return this.converted(row).action;
  }

  /** Writes a changelog row as its `_change_type` asks (see validate); undefined for a skipped `-U`. */
  change(row: RowInput): Promise<WriteResult> | undefined {
    const action = actionOf(row);
    if (action === 'skip') return undefined;
    return action === 'delete' ? this.delete(this.keyOf(row)) : this.upsert(row);
  }

  /**
   * Like change(), but a row that does not convert throws here, before anything is batched (and
   * flush() does not report it): for callers that refuse bad rows one by one.
   */
  tryChange(row: RowInput): Promise<WriteResult> | undefined {
    const action = actionOf(row);
    if (action === 'skip') return undefined;
    return action === 'delete' ? this.pipeline.tryAdd('delete', this.keyOf(row)) : this.pipeline.tryAdd('upsert', row);
  }

  private converted(row: RowInput): { action: 'skip' } | { action: 'upsert' | 'delete'; row: Row } {
    const action = actionOf(row);
    if (action === 'skip') return { action };
    if (action === 'delete') return { action, row: toRow(this.keyColumns, this.keyOf(row), { required: this.primaryKey }) };
    return { action, row: toRow(this.rowColumns, row, { required: this.primaryKey }) };
  }

  /**
   * An object-mode Writable of rows that honours back-pressure; `end()` flushes. Each row goes
   * through `change()`, so a changelog (a tail, or a delta join's output) can be piped straight in;
   * a row with an unknown `_change_type` fails the stream (as the HTTP upsert refuses it).
   */
  toWritable(highWaterMark = 1024): Writable {
    return this.rowsWritable(highWaterMark, (row) => void this.change(row));
  }

  private keyOf(row: RowInput): Record<string, unknown> {
    const key: Record<string, unknown> = {};
    for (const k of this.primaryKey) key[k] = row[k];
    return key;
  }
}

/** The row's `_change_type` as an action; INVALID_VALUE for a value that is none of them. */
function actionOf(row: RowInput): UpsertAction {
  const action = upsertAction(row._change_type);
  if (action === undefined) throw new LakestreamError('INVALID_VALUE', badChangeTypeMessage(row._change_type));
  return action;
}
