import * as A from 'apache-arrow';
import { batchFromData, COMMIT_TIMESTAMP_FIELD, LOG_OFFSET_FIELD, rowsToBatch } from '../common/arrow.js';
import { fail } from '../common/errors.js';
import type { Column } from '../common/schema.js';
import type { BucketLog } from '../log/bucket-log.js';
import { readLakeRange } from '../lake/lake-reader.js';
import { tieredOffsetOf, type LakeSnapshot } from '../lake/snapshot.js';
import type { Lake } from './lake-setup.js';
import { CHANGE_TYPES } from '../common/values.js';
import { changeTypeData, outputSchema, type RecordSlice } from './records.js';

/** The first offset of the bucket's history the lake still holds (its non-compacted files), if any. */
export function lakeEarliest(snapshot: LakeSnapshot | null, bucket: number): bigint | undefined {
  let earliest: bigint | undefined;
  for (const f of snapshot?.files ?? []) {
    if (f.bucket !== bucket || f.kind === 'compacted') continue;
    const first = BigInt(f.firstOffset);
    if (earliest === undefined || first < earliest) earliest = first;
  }
  return earliest;
}

/** The earliest offset readable through the records API: the lake's, when it reaches further back. */
export async function earliestOffset(lake: Lake, tableId: number, bucket: number, log: BucketLog): Promise<bigint> {
  const snapshot = lake.tiering.isEnabled(tableId) || log.logStartOffset > 0n ? await lake.tiering.snapshot(tableId) : null;
  const fromLake = lakeEarliest(snapshot, bucket);
  return fromLake !== undefined && fromLake < log.logStartOffset ? fromLake : log.logStartOffset;
}

/**
 * OFFSET_OUT_OF_RANGE as every read path reports it: `earliest` (the lake's first offset when it
 * reaches further back than the local log) and `latest` (the high watermark), the names a scanner's
 * `onOutOfRange` jumps to.
 */
export function outOfRange(offset: bigint, bucket: number, earliest: bigint, latest: bigint): never {
  fail('OFFSET_OUT_OF_RANGE', `offset ${offset} is outside the log of bucket ${bucket}: valid offsets are ${earliest} to ${latest}`, { earliest: earliest.toString(), latest: latest.toString() });
}

/**
 * Union read: an offset below the local log start is served from the lake's Parquet files up to the
 * tiered offset; the reader continues from `nextOffset`, which reaches the local log seamlessly.
 */
export async function readFromLake(lake: Lake, tableId: number, bucket: number, log: BucketLog, offset: bigint, maxRecords: number, columns: readonly Column[]): Promise<RecordSlice> {
  const snapshot = await lake.tiering.snapshot(tableId);
  const earliest = lakeEarliest(snapshot, bucket);
  const tiered = tieredOffsetOf(snapshot, bucket);
  if (earliest === undefined || offset < earliest || offset >= tiered) {
    outOfRange(offset, bucket, earliest !== undefined && earliest < log.logStartOffset ? earliest : log.logStartOffset, log.highWatermark);
  }
  const range = await readLakeRange(lake.store, snapshot!, bucket, offset, maxRecords, { columns, projection: columns.map((c) => c.name) });
  const n = range.rows.length;
  const schema = outputSchema(columns);
  const children = rowsToBatch(columns, range.rows).data.children.slice();
  children.push(
    A.makeData({ type: LOG_OFFSET_FIELD.type, length: n, nullCount: 0, data: BigInt64Array.from(range.offsets) }),
    A.makeData({ type: COMMIT_TIMESTAMP_FIELD.type, length: n, nullCount: 0, data: BigInt64Array.from(range.timestamps, (t) => BigInt(t)) }),
    changeTypeData(range.changeTypes ? range.changeTypes.map((t) => CHANGE_TYPES.indexOf(t)) : null, n),
  );
  return { batches: n > 0 ? [batchFromData(schema, n, children as A.Data[])] : [], nextOffset: range.nextOffset, schema };
}
