/**
 * Reads a bucket's history back from the lake for union read: the rows of [fromOffset, tieredOffset)
 * in offset order, from the snapshot's `log` / `changelog` files of that bucket. `compacted` files hold
 * live rows rather than history and are not read here.
 *
 * Planning (which files, in which order) is pure (`planLakeRead`); the I/O fetches only the planned
 * files, one at a time, and stops as soon as `maxRecords` rows are collected.
 */
import { fail } from '../common/errors.js';
import type { Column } from '../common/schema.js';
import type { ChangeType, Row } from '../common/values.js';
import type { ObjectStore } from './object-store.js';
import { decodeParquet, inspectColumns } from './parquet.js';
import type { LakeFile, LakeSnapshot } from './snapshot.js';
import { tieredOffsetOf } from './snapshot.js';

export const LAKE_READ_RECORDS_MAX = 1_000_000;

export interface LakeReadOptions {
  /** Table columns to decode with (default: those recorded in each file's footer). */
  columns?: readonly Column[];
  /** Only these columns are returned (default all). */
  projection?: readonly string[];
}

export interface LakeRange {
  rows: Row[];
  offsets: bigint[];
  timestamps: number[];
  /** Null when every file read was a log file (no change types); '+A' for log rows otherwise. */
  changeTypes: ChangeType[] | null;
  /** The offset to continue from: one past the last row returned, or where the lake ends. */
  nextOffset: bigint;
  /** The snapshot's tiered offset of the bucket: the lake holds [.., tieredOffset). */
  tieredOffset: bigint;
  /** Keys of the files read, in order. */
  filesRead: string[];
}

/** The files to read for [fromOffset, tieredOffset), in offset order. Pure. */
export function planLakeRead(snapshot: LakeSnapshot, bucket: number, fromOffset: bigint): LakeFile[] {
  const tiered = tieredOffsetOf(snapshot, bucket);
  return snapshot.files
    .filter((f) => f.bucket === bucket && f.kind !== 'compacted')
    .filter((f) => BigInt(f.lastOffset) >= fromOffset && BigInt(f.firstOffset) < tiered)
    .sort((a, b) => {
      const x = BigInt(a.firstOffset);
      const y = BigInt(b.firstOffset);
      return x < y ? -1 : x > y ? 1 : 0;
    });
}

export async function readLakeRange(store: ObjectStore, snapshot: LakeSnapshot, bucket: number, fromOffset: bigint, maxRecords: number, opts: LakeReadOptions = {}): Promise<LakeRange> {
  if (!Number.isInteger(maxRecords) || maxRecords < 1 || maxRecords > LAKE_READ_RECORDS_MAX) {
    fail('INVALID_PARAMETER', `maxRecords must be an integer from 1 to ${LAKE_READ_RECORDS_MAX}, got ${maxRecords}`);
  }
  if (fromOffset < 0n) fail('OFFSET_OUT_OF_RANGE', `offset ${fromOffset} is negative`);
  const tieredOffset = tieredOffsetOf(snapshot, bucket);
  const out: LakeRange = { rows: [], offsets: [], timestamps: [], changeTypes: null, nextOffset: fromOffset, tieredOffset, filesRead: [] };
  if (fromOffset >= tieredOffset) {
    out.nextOffset = fromOffset;
    return out;
  }
  let sawChangelog = false;
  for (const file of planLakeRead(snapshot, bucket, fromOffset)) {
    if (out.rows.length >= maxRecords) break;
    const bytes = await store.get(file.key);
    if (bytes === undefined) fail('STORAGE_ERROR', `lake file ${store.uri(file.key)} listed by snapshot ${snapshot.id} is missing`);
    out.filesRead.push(file.key);
    const columns = opts.columns ?? inspectColumns(bytes);
    const decoded = await decodeParquet(bytes, columns, { fromOffset, toOffset: tieredOffset, columns: opts.projection });
    const take = Math.min(decoded.rows.length, maxRecords - out.rows.length);
    if (decoded.changeTypes && !sawChangelog) {
      sawChangelog = true;
      out.changeTypes = out.rows.map(() => '+A');
    }
    for (let i = 0; i < take; i++) {
      const offset = decoded.offsets[i]!;
      // Files of one bucket never overlap; if a bad snapshot made them, keep offsets increasing.
      if (out.offsets.length > 0 && offset <= out.offsets.at(-1)!) continue;
      out.rows.push(decoded.rows[i]!);
      out.offsets.push(offset);
      out.timestamps.push(decoded.timestamps[i]!);
      if (out.changeTypes) out.changeTypes.push(decoded.changeTypes ? decoded.changeTypes[i]! : '+A');
    }
  }
  // Continue after the last row; with nothing left in range, the lake part of the read is done.
  out.nextOffset = out.offsets.length > 0 && out.rows.length >= maxRecords ? out.offsets.at(-1)! + 1n : tieredOffset;
  return out;
}
