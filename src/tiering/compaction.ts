import { bucketRouter } from '../common/bucket-router.js';
import { tableKind } from '../common/schema.js';
import { encodeKey } from '../common/key-encoding.js';
import { fail } from '../common/errors.js';
import { property } from '../common/properties.js';
import type { Row } from '../common/values.js';
import type { ObjectStore } from '../lake/object-store.js';
import { decodeParquet, encodeParquet, type ParquetCompression } from '../lake/parquet.js';
import {
  commitSnapshot, dataFileKey, lakeTablePrefix, newWriterToken, nextSnapshot, readLakeHead, type LakeFile, type LakeSnapshot,
} from '../lake/snapshot.js';
import { foldChangelog, liveRowsByOffset, type LiveRow } from './live-rows.js';
import type { TierableTable } from './tierable.js';

function byFirstOffset(a: LakeFile, b: LakeFile): number {
  const x = BigInt(a.firstOffset);
  const y = BigInt(b.firstOffset);
  return a.kind === 'compacted' ? -1 : b.kind === 'compacted' ? 1 : x < y ? -1 : x > y ? 1 : 0;
}

/**
 * Rewrites each bucket of a primary-key table's lake into one file of live rows (latest version per
 * key, deletes applied, no before-images), read from the snapshot's own files, so the new snapshot's
 * files alone equal the table at its tiered offsets. The replaced files stay readable through older
 * snapshots until garbage collection expires them.
 */
export async function compactOnce(store: ObjectStore, table: TierableTable, now: () => number = Date.now): Promise<{ snapshot: LakeSnapshot | null; committed: boolean }> {
  const def = table.definition;
  if (tableKind(def) !== 'primary-key') fail('UNSUPPORTED_OPERATION', `table ${table.database}.${table.name} is a log table; compaction applies to primary-key tables`);
  const prefix = lakeTablePrefix(table.database, table.name);
  const head = await readLakeHead(store, prefix);
  if (!head.snapshot) return { snapshot: null, committed: false };
  const keyColumns = bucketRouter(def).keyColumns;
  const keyOf = (row: Row) => Buffer.from(encodeKey(keyColumns, keyColumns.map((c) => row[c.name] ?? null))).toString('latin1');
  const compression = property(def, 'table.datalake.compression') as ParquetCompression;
  const rowGroupRows = Number(property(def, 'table.datalake.row-group-rows'));
  const addFiles: LakeFile[] = [];
  const removeKeys: string[] = [];
  for (let bucket = 0; bucket < def.buckets; bucket++) {
    const files = head.snapshot.files.filter((f) => f.bucket === bucket).sort(byFirstOffset);
    if (files.length === 0 || (files.length === 1 && files[0]!.kind === 'compacted')) continue;
    const state = new Map<string, LiveRow>();
    for (const f of files) {
      const bytes = await store.get(f.key);
      if (!bytes) fail('STORAGE_ERROR', `lake file ${store.uri(f.key)} listed by snapshot ${head.snapshot.id} is missing`);
      foldChangelog(state, keyOf, await decodeParquet(bytes, def.columns));
      removeKeys.push(f.key);
    }
    const live = liveRowsByOffset(state);
    if (live.length === 0) continue;
    const first = live[0]!.offset;
    const last = live.at(-1)!.offset;
    const bytes = encodeParquet(def.columns, { rows: live.map((l) => l.row), bucket, offsets: live.map((l) => l.offset), timestamps: live.map((l) => l.timestamp) }, { compression, rowGroupRows });
    const key = dataFileKey(prefix, bucket, first, last);
    await store.put(key, bytes);
    addFiles.push({ key, bucket, firstOffset: first.toString(), lastOffset: last.toString(), rows: live.length, bytes: bytes.length, kind: 'compacted' });
  }
  if (removeKeys.length === 0) return { snapshot: head.snapshot, committed: false };
  const next = nextSnapshot(head.snapshot, { id: head.nextId, writer: newWriterToken(), createdAt: now(), addFiles, removeKeys, tieredOffsets: [] });
  const result = await commitSnapshot(store, prefix, next);
  return { snapshot: result.committed ? next : head.snapshot, committed: result.committed };
}
