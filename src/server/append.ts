import type * as A from 'apache-arrow';
import { batchToIpc, rowsToBatch } from '../common/arrow.js';
import { fail } from '../common/errors.js';
import { bucketRouter } from '../common/bucket-router.js';
import { tableKind } from '../common/schema.js';
import type { TableRuntime } from './table-store.js';
import type { WriteInput } from './write-input.js';
import { writeInputRowCount, writeInputRows } from './write-input.js';

export interface WriterIdentity {
  readonly writerId: bigint;
  readonly sequence: number;
}

export interface WriteReply {
  rows: number;
  buckets: { bucket: number; baseOffset: string; rows: number }[];
}

/**
 * Appends to a log table. Each bucket gets exactly one stored batch per request (one IPC stream that
 * may hold several record batches), stamped with the writer id and sequence, so a retry is matched
 * bucket by bucket: a request half-applied before a crash is completed, never doubled.
 */
export async function appendToLogTable(table: TableRuntime, input: WriteInput, writer?: WriterIdentity): Promise<WriteReply> {
  if (tableKind(table.definition) !== 'log') {
    fail('UNSUPPORTED_OPERATION', `table ${table.qualifiedName} has a primary key; write to it with POST .../upsert and .../delete, not append`);
  }
  const def = table.definition;
  const router = bucketRouter(def);
  const plan = new Map<number, { ipc: Uint8Array; rows: number }>();
  if (!router.keyed || router.buckets === 1) {
    const rows = writeInputRowCount(input);
    if (rows > 0) {
      const batches: A.RecordBatch[] = input.kind === 'arrow' ? input.batches : [rowsToBatch(def.columns, input.rows)];
      plan.set(router.keyed ? 0 : table.nextRoundRobinBucket(writer), { ipc: batchToIpc(batches), rows });
    }
  } else {
    for (const [b, rows] of router.splitRows(writeInputRows(input))) {
      plan.set(b, { ipc: batchToIpc(rowsToBatch(def.columns, rows)), rows: rows.length });
    }
  }
  const entries = [...plan.entries()].sort((a, b) => a[0] - b[0]);
  const results = await Promise.all(entries.map(([b, p]) => table.bucket(b).append({
    arrowIpc: p.ipc,
    recordCount: p.rows,
    ...(writer ? { writerId: writer.writerId, batchSequence: writer.sequence } : {}),
  })));
  return {
    rows: writeInputRowCount(input),
    buckets: entries.map(([b, p], i) => ({ bucket: b, baseOffset: results[i]!.baseOffset.toString(), rows: p.rows })),
  };
}
