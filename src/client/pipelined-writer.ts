import { Writable } from 'node:stream';
import type { BatchPipeline } from './batching.js';
import type { TableContext } from './context.js';
import type { RowInput } from './rows.js';

/**
 * What the append and upsert writers share: a batch pipeline (batching, in-flight limit, idempotent
 * retries), its back-pressure, flush and close, and an object-mode Writable over it.
 */
export abstract class PipelinedWriter<K extends string, A> {
  private readonly unregister: () => void;

  protected constructor(protected readonly pipeline: BatchPipeline<K, A>, ctx: TableContext) {
    this.unregister = ctx.register(this);
  }

  /** The writer id sent as `x-writer-id` (decimal) with the next batch. */
  get writerId(): bigint {
    return this.pipeline.writerId;
  }

  /** Rows not yet acknowledged. */
  get pendingRows(): number {
    return this.pipeline.pendingRows;
  }

  /** Resolves when there is room for more rows without growing the queue of sealed batches. */
  ready(): Promise<void> {
    return this.pipeline.ready();
  }

  flush(): Promise<void> {
    return this.pipeline.flush();
  }

  /** Flushes, then refuses further rows. Rejects like flush() when rows failed. */
  async close(): Promise<void> {
    try {
      await this.pipeline.close();
    } finally {
      this.unregister();
    }
  }

  /** An object-mode Writable that hands each row to `accept`, honours back-pressure, and flushes on `end()`. */
  protected rowsWritable(highWaterMark: number, accept: (row: RowInput) => void): Writable {
    return new Writable({
      objectMode: true,
      highWaterMark,
      write: (row: RowInput, _enc, cb) => {
        try {
          accept(row);
        } catch (e) {
          cb(e as Error); // a row refused before it is batched fails the stream, not the process
          return;
        }
        this.ready().then(() => cb(), cb);
      },
      final: (cb) => {
        this.flush().then(() => cb(), cb);
      },
    });
  }
}
