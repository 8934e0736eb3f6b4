/**
 * A write request's Arrow batches as the streams the buckets store: for each bucket, one IPC stream
 * (schema, one record batch, end-of-stream) of the rows routed there, in request order, cut from the
 * request's buffers (arrow-gather.ts) and framed without Arrow objects (arrow-ipc-write.ts). A
 * stored stream holds one record batch because projected reads (arrow-ipc-layout.ts) read the first.
 */
import type * as A from 'apache-arrow';
import { columnOfData, type ColumnBuffers } from './arrow-columns.js';
import { gatherColumn, pickOf, type RowPick } from './arrow-gather.js';
import { BatchBody, storedSchemaMessage } from './arrow-ipc-write.js';
import type { BucketRouter } from './bucket-router.js';
import type { Column } from './schema.js';

export interface BucketStream {
  readonly ipc: Uint8Array;
  readonly rows: number;
}

/** The buffers of each column of a batch conformed to `columns`. */
function columnsOf(columns: readonly Column[], batch: A.RecordBatch): ColumnBuffers[] {
  return columns.map((c, j) => columnOfData(c.type, batch.data.children[j]!));
}

/** One stored stream of the picked rows: `picks[k]` from `batches[k]` (absent: none of its rows). */
function streamOf(columns: readonly Column[], batches: readonly ColumnBuffers[][], picks: readonly (RowPick | undefined)[], rows: number): Uint8Array {
  // Padded regions: the same framing as Arrow JS's writer, which stored every batch so far.
  const body = new BatchBody(true);
  for (let j = 0; j < columns.length; j++) {
    const parts = [];
    for (let k = 0; k < batches.length; k++) if (picks[k] !== undefined) parts.push({ column: batches[k]![j]!, rows: picks[k]! });
    body.column(gatherColumn(columns[j]!.type, parts));
  }
  return body.stream(storedSchemaMessage(columns), rows);
}

/** Every row of the batches (conformed to `columns`), as one stored stream. */
export function storedStream(columns: readonly Column[], batches: readonly A.RecordBatch[]): BucketStream {
  const rows = batches.reduce((n, b) => n + b.numRows, 0);
  const picks = batches.map((b) => (b.numRows > 0 ? { from: 0, to: b.numRows } : undefined));
  return { ipc: streamOf(columns, batches.map((b) => columnsOf(columns, b)), picks, rows), rows };
}

/**
 * The rows of the batches (conformed to `columns`) by bucket, as the router places them: a stored
 * stream for each bucket that gets rows. Fails, writing nothing, on a key the router refuses.
 */
export function splitByBucket(router: BucketRouter, columns: readonly Column[], batches: readonly A.RecordBatch[]): Map<number, BucketStream> {
  const picks = new Map<number, (RowPick | undefined)[]>();
  const counts = new Map<number, number>();
  batches.forEach((batch, k) => {
    for (const [bucket, pick] of picksByBucket(router, batch)) {
      let list = picks.get(bucket);
      if (!list) picks.set(bucket, (list = new Array<RowPick | undefined>(batches.length)));
      list[k] = pick.rows;
      counts.set(bucket, (counts.get(bucket) ?? 0) + pick.count);
    }
  });
  const buffers = batches.map((b) => columnsOf(columns, b));
  const out = new Map<number, BucketStream>();
  for (const [bucket, list] of picks) {
    const rows = counts.get(bucket)!;
    out.set(bucket, { ipc: streamOf(columns, buffers, list, rows), rows });
  }
  return out;
}

/** The rows of one batch by bucket (a counting sort of their buckets, so each keeps request order). */
function picksByBucket(router: BucketRouter, batch: A.RecordBatch): Map<number, { rows: RowPick; count: number }> {
  const of = router.bucketsOfBatch(batch);
  const starts = new Uint32Array(router.buckets + 1);
  for (let i = 0; i < of.length; i++) starts[of[i]! + 1]!++;
  for (let b = 0; b < router.buckets; b++) starts[b + 1]! += starts[b]!;
  const order = new Uint32Array(of.length);
  const next = starts.slice(0, router.buckets);
  for (let i = 0; i < of.length; i++) order[next[of[i]!]!++] = i;
  const out = new Map<number, { rows: RowPick; count: number }>();
  for (let b = 0; b < router.buckets; b++) {
    const count = starts[b + 1]! - starts[b]!;
    if (count > 0) out.set(b, { rows: pickOf(order.subarray(starts[b]!, starts[b + 1]!)), count });
  }
  return out;
}
