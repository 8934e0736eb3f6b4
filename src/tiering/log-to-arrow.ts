import * as A from 'apache-arrow';
import { batchFromData, COMMIT_TIMESTAMP_FIELD, consecutiveInt64s, ipcToBatches, LOG_OFFSET_FIELD, STORED_CHANGE_TYPE_FIELD, arrowField } from '../common/arrow.js';
import type { Column } from '../common/schema.js';
import type { StoredBatch } from '../log/bucket-log.js';

/**
 * Stored batches as the Parquet encoder takes them: the table columns plus `_log_offset`,
 * `_commit_timestamp` and (changelogs) the stored int8 `_change_type`, starting at `from`.
 */
export function storedToArrow(stored: readonly StoredBatch[], from: bigint, columns: readonly Column[]): A.RecordBatch[] {
  const out: A.RecordBatch[] = [];
  for (const sb of stored) {
    let base = sb.baseOffset;
    for (const batch of ipcToBatches(sb.arrowIpc).batches) {
      const n = batch.numRows;
      const skip = from > base ? Math.min(n, Number(from - base)) : 0;
      if (skip < n) {
        const part = skip === 0 ? batch : batch.slice(skip, n);
        const len = n - skip;
        const offsets = consecutiveInt64s(base + BigInt(skip), len);
        const fields = [...columns.map(arrowField), LOG_OFFSET_FIELD, COMMIT_TIMESTAMP_FIELD];
        const children = columns.map((c) => part.getChild(c.name)!.data[0]!);
        children.push(
          A.makeData({ type: LOG_OFFSET_FIELD.type, length: len, nullCount: 0, data: offsets }),
          A.makeData({ type: COMMIT_TIMESTAMP_FIELD.type, length: len, nullCount: 0, data: new BigInt64Array(len).fill(BigInt(sb.commitTimestamp)) }),
        );
        if (sb.hasChangeType) {
          fields.push(STORED_CHANGE_TYPE_FIELD);
          children.push(part.getChild('_change_type')!.data[0]!);
        }
        out.push(batchFromData(new A.Schema(fields), len, children));
      }
      base += BigInt(n);
    }
  }
  return out;
}
