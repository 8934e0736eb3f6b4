/**
 * The first offset whose record's timestamp is at or after a time. A raw-format table's timestamps
 * are the clients' (CreateTime), which may disagree with the order of the log: the time index
 * (commit times) gives the first batch committed within `CLOCK_SKEW_MS` before the time, and the
 * `timestamp` column is scanned from there, so a producer whose clock runs up to that much ahead of
 * ours is still found. Other tables' records carry their commit time, which the time index finds
 * directly.
 */
import { batchRows } from '../../common/arrow.js';
import type { TableRuntime } from '../../server/table-store.js';
import { sliceRecords } from '../../server/records.js';
import { topicFormat } from './topics.js';

const CLOCK_SKEW_MS = 5 * 60_000;
const SCAN_BYTES = 1024 * 1024;

export async function offsetForTimestamp(table: TableRuntime, partition: number, timestamp: number, end: bigint): Promise<{ offset: bigint; timestamp: number } | undefined> {
  const log = table.bucket(partition);
  const raw = topicFormat(table.definition) === 'raw';
  let offset = await log.offsetForTimestamp(raw ? timestamp - CLOCK_SKEW_MS : timestamp);
  const column = raw ? 'timestamp' : '_commit_timestamp';
  // Only the column searched is read: the `timestamp` column, or none (the system columns carry commit times).
  const columns = raw ? table.definition.columns.filter((c) => c.name === 'timestamp') : [];
  while (offset < end) {
    const slice = sliceRecords(await log.read(offset, { maxBytes: SCAN_BYTES }), offset, Number(end - offset), columns);
    if (slice.batches.length === 0) return undefined;
    for (const batch of slice.batches) {
      const rows = batchRows(batch, [column, '_log_offset', '_change_type']);
      for (const r of rows) {
        if (r._change_type === '-U') continue;
        if ((r[column] as number) >= timestamp) return { offset: r._log_offset as bigint, timestamp: r[column] as number };
      }
    }
    offset = slice.nextOffset;
  }
  return undefined;
}
