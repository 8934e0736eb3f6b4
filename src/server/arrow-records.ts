/**
 * The Arrow answer of a fetch, assembled from stored column buffers without building Arrow objects:
 * the schema message, then per batch a record batch message whose body is the projected columns'
 * buffers (views of what the log read) followed by the three system columns, then end-of-stream.
 * Rows from `offset`, at most `maxRecords`; a batch cut at either end is sliced.
 */
import { consecutiveInt64s } from '../common/arrow.js';
import { columnProblem, sliceColumn, type ColumnBuffers } from '../common/arrow-columns.js';
import { encodeRecordBatchMessage, encodeSchemaMessage, IPC_END_OF_STREAM } from '../common/arrow-ipc-layout.js';
import { BatchBody } from '../common/arrow-ipc-write.js';
import { LakestreamError } from '../common/errors.js';
import type { Column } from '../common/schema.js';
import type { ColumnBatch } from '../log/column-read.js';
import { changeTypeBuffers, outputSchema, timestampValues } from './records.js';

const EMPTY = new Uint8Array(0);

function bytesOf(view: ArrayBufferView): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

function systemColumns(body: BatchBody, batch: ColumnBatch, first: bigint, from: number, length: number): void {
  body.column({ nullCount: 0, buffers: [EMPTY, bytesOf(consecutiveInt64s(first, length))] });
  body.column({ nullCount: 0, buffers: [EMPTY, bytesOf(timestampValues(batch.commitTimestamp, length))] });
  const codes = batch.changeTypes ? batch.changeTypes.subarray(from, from + length) : null;
  if (codes && codes.length < length) throw new LakestreamError('STORAGE_ERROR', `stored change types cover ${codes.length} of ${length} rows`);
  const types = changeTypeBuffers(codes, length);
  body.column({ nullCount: 0, buffers: [EMPTY, bytesOf(types.offsets), types.data] });
}

function userColumn(c: Column, col: ColumnBuffers, batch: ColumnBatch, from: number, to: number): ColumnBuffers {
  const problem = columnProblem(c.type, col, batch.recordCount);
  if (problem) throw new LakestreamError('STORAGE_ERROR', `stored batch at offset ${batch.baseOffset}, column '${c.name}': ${problem}`);
  return from === 0 && to === batch.recordCount ? col : sliceColumn(c.type, col, from, to);
}

/** The stream as chunks (views of the read buffers, not copied into one), its byte count and the next offset. */
export function columnBatchesToIpc(columns: readonly Column[], batches: readonly ColumnBatch[], offset: bigint, maxRecords: number): { chunks: Uint8Array[]; bytes: number; nextOffset: bigint } {
  const chunks: Uint8Array[] = [encodeSchemaMessage(outputSchema(columns))];
  let next = offset;
  let budget = maxRecords;
  for (const batch of batches) {
    if (budget <= 0) break;
    const base = batch.baseOffset;
    const from = next > base ? Number(next - base) : 0;
    const to = Math.min(batch.recordCount, from + budget);
    if (from >= to) continue;
    const body = new BatchBody();
    columns.forEach((c, i) => body.column(userColumn(c, batch.columns[i]!, batch, from, to)));
    systemColumns(body, batch, base + BigInt(from), from, to - from);
    chunks.push(encodeRecordBatchMessage(to - from, body.nullCounts, body.regions, body.length), ...body.chunks);
    budget -= to - from;
    next = base + BigInt(to);
  }
  chunks.push(IPC_END_OF_STREAM);
  return { chunks, bytes: chunks.reduce((n, c) => n + c.length, 0), nextOffset: next };
}
