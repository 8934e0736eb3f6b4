/**
 * Writing a record batch message without Arrow objects: `BatchBody` lays out a batch's buffers
 * 8-byte aligned and frames them with the metadata from `encodeRecordBatchMessage`, after a schema
 * message the caller encodes once (with `encodeSchemaMessage`) and reuses.
 */
import { arrowSchema } from './arrow.js';
import type { ColumnBuffers } from './arrow-columns.js';
import { encodeRecordBatchMessage, encodeSchemaMessage, IPC_END_OF_STREAM, type IpcRegion } from './arrow-ipc-layout.js';
import type { Column } from './schema.js';

const PADDING = new Uint8Array(8);

/** Accumulates one record batch message: buffers laid out 8-byte aligned. */
export class BatchBody {
  readonly nullCounts: number[] = [];
  readonly regions: IpcRegion[] = [];
  readonly chunks: Uint8Array[] = [];
  length = 0;

  /**
   * `paddedRegions`: record each buffer's length rounded up to 8, padding included, as Arrow JS's
   * writer does (so a stream can equal `batchToIpc`'s byte for byte); by default the exact length.
   */
  constructor(private readonly paddedRegions = false) {}

  column(col: ColumnBuffers): void {
    this.nullCounts.push(col.nullCount);
    for (const buf of col.buffers) {
      const pad = (8 - (buf.length % 8)) % 8;
      this.regions.push({ offset: this.length, length: this.paddedRegions ? buf.length + pad : buf.length });
      this.chunks.push(buf);
      if (pad > 0) this.chunks.push(PADDING.subarray(0, pad));
      this.length += buf.length + pad;
    }
  }

  /** A whole one-batch stream in one buffer: `schemaMessage`, this batch of `rows` rows, end-of-stream. */
  stream(schemaMessage: Uint8Array, rows: number): Buffer {
    const metadata = encodeRecordBatchMessage(rows, this.nullCounts, this.regions, this.length);
    const out = Buffer.allocUnsafe(schemaMessage.length + metadata.length + this.length + IPC_END_OF_STREAM.length);
    out.set(schemaMessage, 0);
    let at = schemaMessage.length;
    out.set(metadata, at);
    at += metadata.length;
    // Every byte is written: the chunks include their padding.
    for (const chunk of this.chunks) {
      out.set(chunk, at);
      at += chunk.length;
    }
    out.set(IPC_END_OF_STREAM, at);
    return out;
  }
}

const SCHEMA_MESSAGES = new WeakMap<readonly Column[], Uint8Array>();

/** The schema of a table's stored batches (its columns as declared) as an IPC message, encoded once per columns array. */
export function storedSchemaMessage(columns: readonly Column[]): Uint8Array {
  let message = SCHEMA_MESSAGES.get(columns);
  if (!message) SCHEMA_MESSAGES.set(columns, (message = encodeSchemaMessage(arrowSchema(columns))));
  return message;
}
