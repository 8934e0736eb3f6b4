import { failpoint } from '../common/failpoints.js';
import { property } from '../common/properties.js';
import { tableKind } from '../common/schema.js';
import { parseSizeBytes } from '../common/units.js';
import type { BucketLog, StoredBatch } from '../log/bucket-log.js';
import type { ObjectStore } from '../lake/object-store.js';
import { encodeParquetFromArrow, type ParquetCompression } from '../lake/parquet.js';
import {
  commitSnapshot, dataFileKey, lakeTablePrefix, newWriterToken, nextSnapshot, readLakeHead, tieredOffsetOf,
  type BucketTieredOffset, type LakeFile, type LakeSnapshot,
} from '../lake/snapshot.js';
import { storedToArrow } from './log-to-arrow.js';
import type { TierableTable } from './tierable.js';

export interface RoundResult {
  /** The lake head after the round (the new snapshot when one was committed). */
  readonly snapshot: LakeSnapshot | null;
  readonly committed: boolean;
  readonly rowsTiered: number;
  readonly files: number;
  /** False when a bucket had more than one file's worth: run another round at once. */
  readonly caughtUp: boolean;
}

const READ_CHUNK_BYTES = 8 * 1024 * 1024;

/**
 * Reads whole batches from `from` until about `maxBytes` or the high watermark as it was when the
 * read began; `behind` says the byte limit stopped it first (another round should follow at once).
 */
async function readSpan(log: BucketLog, from: bigint, maxBytes: number): Promise<{ batches: StoredBatch[]; behind: boolean }> {
  const out: StoredBatch[] = [];
  let at = from;
  let bytes = 0;
  const end = log.highWatermark;
  while (at < end && bytes < maxBytes) {
    const batches = await log.read(at, { maxBytes: Math.min(READ_CHUNK_BYTES, maxBytes - bytes) });
    if (batches.length === 0) break;
    for (const b of batches) {
      out.push(b);
      bytes += b.storedBytes;
    }
    at = batches.at(-1)!.lastOffset + 1n;
  }
  return { batches: out, behind: at < end };
}

/**
 * One tiering round of a table: each bucket's log from its tiered offset (at most one file's worth)
 * becomes a Parquet object; then one snapshot lists them all. Two-phase: objects first, the snapshot
 * last, so a crash at any point leaves the old snapshot or the new one; uploads of a lost or crashed
 * round are orphans that garbage collection removes.
 */
export async function tierOnce(store: ObjectStore, table: TierableTable, now: () => number = Date.now): Promise<RoundResult> {
  const def = table.definition;
  const prefix = lakeTablePrefix(table.database, table.name);
  const head = await readLakeHead(store, prefix);
  const fileBytes = parseSizeBytes(property(def, 'table.datalake.file-size')!);
  const encodeOpts = {
    compression: property(def, 'table.datalake.compression') as ParquetCompression,
    rowGroupRows: Number(property(def, 'table.datalake.row-group-rows')),
  };
  const kind = tableKind(def) === 'primary-key' ? 'changelog' : 'log';
  const files: LakeFile[] = [];
  const offsets: BucketTieredOffset[] = [];
  let caughtUp = true;
  let rowsTiered = 0;
  for (const [bucket, log] of table.logs.entries()) {
    let from = tieredOffsetOf(head.snapshot, bucket);
    if (from < log.logStartOffset) from = log.logStartOffset;
    const { batches: stored, behind } = await readSpan(log, from, fileBytes);
    if (stored.length === 0) continue;
    if (behind) caughtUp = false;
    const batches = storedToArrow(stored, from, def.columns);
    const last = stored.at(-1)!.lastOffset;
    const bytes = encodeParquetFromArrow(def.columns, batches, { ...encodeOpts, bucket, changelog: kind === 'changelog' });
    const key = dataFileKey(prefix, bucket, from, last);
    await store.put(key, bytes);
    const rows = Number(last - from + 1n);
    files.push({ key, bucket, firstOffset: from.toString(), lastOffset: last.toString(), rows, bytes: bytes.length, kind });
    offsets.push({ bucket, tieredOffset: (last + 1n).toString() });
    rowsTiered += rows;
  }
  if (files.length === 0) return { snapshot: head.snapshot, committed: false, rowsTiered: 0, files: 0, caughtUp };
  failpoint('tiering.before-commit');
  const next = nextSnapshot(head.snapshot, { id: head.nextId, writer: newWriterToken(), createdAt: now(), addFiles: files, tieredOffsets: offsets });
  const result = await commitSnapshot(store, prefix, next);
  failpoint('tiering.after-commit');
  return { snapshot: result.committed ? next : head.snapshot, committed: result.committed, rowsTiered: result.committed ? rowsTiered : 0, files: files.length, caughtUp };
}
