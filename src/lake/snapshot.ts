/**
 * Lake snapshots: an immutable list of Parquet files plus the tiered offset of every bucket.
 *
 * Layout under the lake root (the store's root is the warehouse):
 *
 *   <db>/<table>/bucket=<n>/<firstOffset>-<lastOffset>-<uuid>.parquet    data files
 *   <db>/<table>/_snapshots/<20-digit id>.json                           snapshots, id 1, 2, ...
 *
 * Commit is two-phase, as in Fluss's LakeCommitter: the tierer uploads its data files first, then
 * commits the snapshot object that lists them. The snapshot id is the compare-and-swap slot:
 *
 *   1. `head` the slot: taken -> lost (cheap, and catches most races on stores without CAS);
 *   2. `put` with ifNoneMatch: a real create-exclusive on the local store and on S3 stores that
 *      honour `If-None-Match: *` (AWS S3, R2, recent MinIO) -> `created: false` means lost;
 *   3. read the slot back and check it holds our `writer` token: the second line of defence for
 *      stores that ignore conditional puts (s3rver, fauxqs, old MinIO), where the last writer wins
 *      the object and the earlier one sees a foreign token.
 *
 * Only a winner may record tiered offsets. On a store without CAS, step 3 catches a racing writer
 * whose put lands before our read-back; one whose put lands after it cannot be caught by any
 * reader-side check, so such stores rely on there being one tierer per table (the server's
 * leadership) and the fence is a safety net, not a lock. `writer` must be unique per commit attempt
 * (see `newWriterToken`).
 *
 * Uploads whose commit lost, or whose tierer crashed, are orphans: `findOrphans` lists data objects
 * no snapshot references once they are older than a grace period (so an upload in flight is kept).
 */
import { randomUUID } from 'node:crypto';
import * as os from 'node:os';
import { fail, LakestreamError } from '../common/errors.js';
import type { ObjectStore } from './object-store.js';

export type LakeFileKind = 'log' | 'changelog' | 'compacted';

export interface LakeFile {
  /** Key relative to the lake root. */
  key: string;
  bucket: number;
  /** First and last offset in the file, inclusive, as decimal strings (int64 in JSON). */
  firstOffset: string;
  lastOffset: string;
  rows: number;
  bytes: number;
  kind: LakeFileKind;
}

export interface BucketTieredOffset {
  bucket: number;
  /** Everything below this offset is in the lake (decimal string). */
  tieredOffset: string;
}

export interface LakeSnapshot {
  id: number;
  parentId: number | null;
  /** Epoch ms. */
  createdAt: number;
  /** Token of the committer; unique per commit attempt. */
  writer: string;
  buckets: BucketTieredOffset[];
  files: LakeFile[];
}

export const SNAPSHOTS_DIR = '_snapshots';
export const SNAPSHOT_ID_DIGITS = 20;
export const SNAPSHOT_BYTES_MAX = 256 * 1024 * 1024;
const SNAPSHOT_FILE = /^(\d{20})\.json$/;
const DATA_FILE = /^bucket=(\d+)\/(\d+)-(\d+)-([0-9a-f-]{36})\.parquet$/;
const DECIMAL = /^(0|[1-9]\d{0,18})$/;
const INT64_MAX = 2n ** 63n - 1n;

// ---------------------------------------------------------------------------------------------
// Pure helpers

/** `<db>/<table>`: the prefix of a table's lake objects under the lake root. */
export function lakeTablePrefix(database: string, table: string): string {
  for (const [what, name] of [['database', database], ['table', table]] as const) {
    if (!/^[A-Za-z0-9_][A-Za-z0-9_-]{0,127}$/.test(name)) fail('INVALID_NAME', `${what} name '${name.slice(0, 200)}' cannot name a lake folder`);
  }
  return `${database}/${table}`;
}

export function snapshotKey(tablePrefix: string, id: number): string {
  if (!Number.isSafeInteger(id) || id < 1) fail('INVALID_PARAMETER', `snapshot id must be a positive integer, got ${id}`);
  return `${tablePrefix}/${SNAPSHOTS_DIR}/${String(id).padStart(SNAPSHOT_ID_DIGITS, '0')}.json`;
}

/** The id of a snapshot key under `tablePrefix`, or null when the key is not a snapshot. */
export function parseSnapshotKey(tablePrefix: string, key: string): number | null {
  const dir = `${tablePrefix}/${SNAPSHOTS_DIR}/`;
  if (!key.startsWith(dir)) return null;
  const m = SNAPSHOT_FILE.exec(key.slice(dir.length));
  if (!m) return null;
  const id = Number(m[1]);
  return Number.isSafeInteger(id) && id >= 1 ? id : null;
}

export function bucketPrefix(tablePrefix: string, bucket: number): string {
  return `${tablePrefix}/bucket=${bucket}/`;
}

/** `<db>/<table>/bucket=<n>/<first>-<last>-<uuid>.parquet`; offsets are written without padding. */
export function dataFileKey(tablePrefix: string, bucket: number, firstOffset: bigint, lastOffset: bigint, uuid: string = randomUUID()): string {
  if (!Number.isInteger(bucket) || bucket < 0) fail('INVALID_PARAMETER', `bucket must be a non-negative integer, got ${bucket}`);
  if (firstOffset < 0n || lastOffset < firstOffset) fail('INVALID_PARAMETER', `offset range ${firstOffset}-${lastOffset} is invalid`);
  return `${bucketPrefix(tablePrefix, bucket)}${firstOffset}-${lastOffset}-${uuid}.parquet`;
}

/** Parses a data file key back into bucket and offset range; null for anything else. */
export function parseDataFileKey(tablePrefix: string, key: string): { bucket: number; firstOffset: bigint; lastOffset: bigint; uuid: string } | null {
  const base = `${tablePrefix}/`;
  if (!key.startsWith(base)) return null;
  const m = DATA_FILE.exec(key.slice(base.length));
  if (!m) return null;
  return { bucket: Number(m[1]), firstOffset: BigInt(m[2]!), lastOffset: BigInt(m[3]!), uuid: m[4]! };
}

/** A writer token: `<name>@<host>:<pid>:<uuid>`, unique per call. */
export function newWriterToken(name = 'lakestream'): string {
  return `${name}@${os.hostname()}:${process.pid}:${randomUUID()}`;
}

function parseOffset(text: unknown, what: string): bigint {
  if (typeof text !== 'string' || !DECIMAL.test(text) || BigInt(text) > INT64_MAX) fail('STORAGE_ERROR', `${what} must be a non-negative int64 decimal string, got ${JSON.stringify(text)}`);
  return BigInt(text);
}

/**
 * Merges tiered offsets: every bucket of `previous` keeps its offset unless `updates` moves it.
 * A tiered offset never moves backwards (that would un-tier data other readers already rely on).
 */
export function mergeTieredOffsets(previous: readonly BucketTieredOffset[], updates: readonly BucketTieredOffset[]): BucketTieredOffset[] {
  const merged = new Map<number, bigint>();
  for (const b of previous) merged.set(b.bucket, parseOffset(b.tieredOffset, `bucket ${b.bucket} tiered offset`));
  const seen = new Set<number>();
  for (const u of updates) {
    if (!Number.isInteger(u.bucket) || u.bucket < 0) fail('INVALID_PARAMETER', `bucket must be a non-negative integer, got ${u.bucket}`);
    if (seen.has(u.bucket)) fail('INVALID_PARAMETER', `bucket ${u.bucket} is updated twice`);
    seen.add(u.bucket);
    const next = parseOffset(u.tieredOffset, `bucket ${u.bucket} tiered offset`);
    const prev = merged.get(u.bucket);
    if (prev !== undefined && next < prev) fail('INVALID_PARAMETER', `bucket ${u.bucket}: tiered offset cannot move back from ${prev} to ${next}`);
    merged.set(u.bucket, next);
  }
  return [...merged].sort((a, b) => a[0] - b[0]).map(([bucket, off]) => ({ bucket, tieredOffset: off.toString() }));
}

export interface SnapshotUpdate {
  /** The id to commit at: `readLakeHead().nextId`. */
  id: number;
  writer: string;
  createdAt: number;
  /** Files uploaded for this snapshot. */
  addFiles: readonly LakeFile[];
  /** Keys of files this snapshot no longer lists (compaction replaced them). */
  removeKeys?: readonly string[];
  tieredOffsets: readonly BucketTieredOffset[];
}

/** The next snapshot from the previous one (or none) and a round's changes. Pure. */
export function nextSnapshot(previous: LakeSnapshot | null, update: SnapshotUpdate): LakeSnapshot {
  if (previous && update.id <= previous.id) fail('INVALID_PARAMETER', `snapshot id ${update.id} must be above the previous ${previous.id}`);
  if (typeof update.writer !== 'string' || update.writer === '') fail('INVALID_PARAMETER', 'the writer token must be a non-empty string');
  const remove = new Set(update.removeKeys ?? []);
  const kept = (previous?.files ?? []).filter((f) => !remove.has(f.key));
  if (kept.length + remove.size !== (previous?.files.length ?? 0)) {
    const missing = [...remove].find((k) => !(previous?.files ?? []).some((f) => f.key === k));
    fail('INVALID_PARAMETER', `cannot remove ${missing}: the previous snapshot does not list it`);
  }
  const keys = new Set(kept.map((f) => f.key));
  for (const f of update.addFiles) {
    checkLakeFile(f);
    if (keys.has(f.key)) fail('INVALID_PARAMETER', `file ${f.key} is already in the snapshot`);
    keys.add(f.key);
  }
  const snapshot: LakeSnapshot = {
    id: update.id,
    parentId: previous?.id ?? null,
    createdAt: update.createdAt,
    writer: update.writer,
    buckets: mergeTieredOffsets(previous?.buckets ?? [], update.tieredOffsets),
    files: [...kept, ...update.addFiles.map((f) => ({ ...f }))],
  };
  return snapshot;
}

function checkLakeFile(f: unknown): asserts f is LakeFile {
  const o = f as Record<string, unknown>;
  if (typeof o !== 'object' || o === null) fail('STORAGE_ERROR', 'a snapshot file entry must be an object');
  if (typeof o.key !== 'string' || o.key === '') fail('STORAGE_ERROR', 'a snapshot file entry needs a key');
  if (!Number.isInteger(o.bucket) || (o.bucket as number) < 0) fail('STORAGE_ERROR', `file ${o.key}: bad bucket ${JSON.stringify(o.bucket)}`);
  const first = parseOffset(o.firstOffset, `file ${o.key} firstOffset`);
  const last = parseOffset(o.lastOffset, `file ${o.key} lastOffset`);
  if (last < first) fail('STORAGE_ERROR', `file ${o.key}: lastOffset ${last} is below firstOffset ${first}`);
  if (!Number.isSafeInteger(o.rows) || (o.rows as number) < 0) fail('STORAGE_ERROR', `file ${o.key}: bad rows ${JSON.stringify(o.rows)}`);
  if (!Number.isSafeInteger(o.bytes) || (o.bytes as number) < 0) fail('STORAGE_ERROR', `file ${o.key}: bad bytes ${JSON.stringify(o.bytes)}`);
  if (o.kind !== 'log' && o.kind !== 'changelog' && o.kind !== 'compacted') fail('STORAGE_ERROR', `file ${o.key}: bad kind ${JSON.stringify(o.kind)}`);
}

export function encodeSnapshot(s: LakeSnapshot): Uint8Array {
  return new TextEncoder().encode(`${JSON.stringify(s, null, 1)}\n`);
}

/** Parses and validates a snapshot object; anything malformed is a STORAGE_ERROR naming the problem. */
export function decodeSnapshot(bytes: Uint8Array, where = 'snapshot'): LakeSnapshot {
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (e) {
    return fail('STORAGE_ERROR', `${where} is not valid JSON (${bytes.length} bytes): ${(e as Error).message}`);
  }
  try {
    const o = raw as Record<string, unknown>;
    if (typeof o !== 'object' || o === null || Array.isArray(o)) fail('STORAGE_ERROR', 'not an object');
    if (!Number.isSafeInteger(o.id) || (o.id as number) < 1) fail('STORAGE_ERROR', `bad id ${JSON.stringify(o.id)}`);
    if (o.parentId !== null && (!Number.isSafeInteger(o.parentId) || (o.parentId as number) >= (o.id as number))) fail('STORAGE_ERROR', `bad parentId ${JSON.stringify(o.parentId)}`);
    if (!Number.isSafeInteger(o.createdAt)) fail('STORAGE_ERROR', `bad createdAt ${JSON.stringify(o.createdAt)}`);
    if (typeof o.writer !== 'string') fail('STORAGE_ERROR', 'bad writer');
    if (!Array.isArray(o.buckets) || !Array.isArray(o.files)) fail('STORAGE_ERROR', 'buckets and files must be arrays');
    for (const b of o.buckets as Record<string, unknown>[]) {
      if (!Number.isInteger(b?.bucket) || (b.bucket as number) < 0) fail('STORAGE_ERROR', `bad bucket ${JSON.stringify(b?.bucket)}`);
      parseOffset(b.tieredOffset, `bucket ${b.bucket} tieredOffset`);
    }
    for (const f of o.files as unknown[]) checkLakeFile(f);
    return {
      id: o.id as number, parentId: o.parentId as number | null, createdAt: o.createdAt as number, writer: o.writer,
      buckets: (o.buckets as BucketTieredOffset[]).map((b) => ({ bucket: b.bucket, tieredOffset: b.tieredOffset })),
      files: (o.files as LakeFile[]).map((f) => ({ key: f.key, bucket: f.bucket, firstOffset: f.firstOffset, lastOffset: f.lastOffset, rows: f.rows, bytes: f.bytes, kind: f.kind })),
    };
  } catch (e) {
    if (e instanceof LakestreamError) e.message = `${where}: ${e.message}`;
    throw e;
  }
}

/** The tiered offset of a bucket in a snapshot (0 when the bucket was never tiered). */
export function tieredOffsetOf(snapshot: LakeSnapshot | null, bucket: number): bigint {
  const b = snapshot?.buckets.find((x) => x.bucket === bucket);
  return b ? BigInt(b.tieredOffset) : 0n;
}

// ---------------------------------------------------------------------------------------------
// Store operations

/** Ids of the snapshot objects present, ascending. */
export async function listSnapshots(store: ObjectStore, tablePrefix: string): Promise<number[]> {
  const objects = await store.list(`${tablePrefix}/${SNAPSHOTS_DIR}/`);
  const ids: number[] = [];
  for (const o of objects) {
    const id = parseSnapshotKey(tablePrefix, o.key);
    if (id !== null) ids.push(id);
  }
  return ids.sort((a, b) => a - b);
}

/** Reads one snapshot; undefined when there is no such object. */
export async function readSnapshot(store: ObjectStore, tablePrefix: string, id: number): Promise<LakeSnapshot | undefined> {
  const key = snapshotKey(tablePrefix, id);
  const bytes = await store.get(key);
  if (bytes === undefined) return undefined;
  if (bytes.length > SNAPSHOT_BYTES_MAX) fail('STORAGE_ERROR', `${key} is ${bytes.length} bytes, above the ${SNAPSHOT_BYTES_MAX}-byte limit`);
  const s = decodeSnapshot(bytes, key);
  if (s.id !== id) fail('STORAGE_ERROR', `${key} holds snapshot id ${s.id}`);
  return s;
}

export interface LakeHead {
  /** The newest readable snapshot, or null when the table has none. */
  snapshot: LakeSnapshot | null;
  /** The id the next commit must use: one above the highest id present, readable or not. */
  nextId: number;
  /** Snapshot objects above `snapshot` that could not be read (torn writes on non-atomic stores). */
  unreadableIds: number[];
}

/**
 * The table's lake head. A snapshot object that does not parse (a torn write left by a store
 * without atomic puts) was never a commit: it is skipped, but its id stays taken so the next commit
 * does not collide with it forever.
 */
export async function readLakeHead(store: ObjectStore, tablePrefix: string): Promise<LakeHead> {
  const ids = await listSnapshots(store, tablePrefix);
  const unreadableIds: number[] = [];
  for (let i = ids.length - 1; i >= 0; i--) {
    const id = ids[i]!;
    const key = snapshotKey(tablePrefix, id);
    // Storage errors propagate: only the content decides whether a snapshot is unreadable.
    const bytes = await store.get(key);
    if (bytes === undefined) continue; // deleted between list and get (snapshot expiry)
    let s: LakeSnapshot;
    try {
      s = decodeSnapshot(bytes, key);
      if (s.id !== id) fail('STORAGE_ERROR', `${key} holds snapshot id ${s.id}`);
    } catch (e) {
      if (!(e instanceof LakestreamError)) throw e;
      unreadableIds.push(id);
      continue;
    }
    return { snapshot: s, nextId: ids.at(-1)! + 1, unreadableIds };
  }
  return { snapshot: null, nextId: (ids.at(-1) ?? 0) + 1, unreadableIds };
}

/** The newest readable snapshot of a table, or null. */
export async function latestSnapshot(store: ObjectStore, tablePrefix: string): Promise<LakeSnapshot | null> {
  return (await readLakeHead(store, tablePrefix)).snapshot;
}

export interface CommitResult {
  committed: boolean;
  /** Why a commit lost: the slot was taken before we wrote, the conditional put refused, or the read-back showed another writer. */
  reason?: 'slot-taken' | 'conditional-put-refused' | 'fenced-by-read-back';
  key: string;
}

/**
 * Commits `next` (data files already uploaded). Returns `{ committed: false }` when another writer
 * owns the slot; the caller must then not record tiered offsets, and should re-read the head and
 * retry with a fresh snapshot (its uploaded files stay orphans until collected).
 */
export async function commitSnapshot(store: ObjectStore, tablePrefix: string, next: LakeSnapshot): Promise<CommitResult> {
  const key = snapshotKey(tablePrefix, next.id);
  if (next.parentId !== null && next.parentId >= next.id) fail('INVALID_PARAMETER', `snapshot ${next.id} cannot have parent ${next.parentId}`);
  if ((await store.head(key)) !== undefined) return { committed: false, reason: 'slot-taken', key };
  const { created } = await store.put(key, encodeSnapshot(next), { ifNoneMatch: true });
  if (!created) return { committed: false, reason: 'conditional-put-refused', key };
  const back = await store.get(key);
  let ours = false;
  if (back !== undefined) {
    try {
      const s = decodeSnapshot(back, key);
      ours = s.writer === next.writer && s.id === next.id;
    } catch (e) {
      if (!(e instanceof LakestreamError)) throw e;
      ours = false; // someone else's torn write: not ours either way
    }
  }
  return ours ? { committed: true, key } : { committed: false, reason: 'fenced-by-read-back', key };
}

export interface Orphan {
  key: string;
  size: number;
  lastModified: number;
}

export interface FindOrphansOptions {
  /** "Now" for the age check, epoch ms. Default Date.now(). */
  now?: number;
  /** Keys referenced elsewhere (older snapshots kept for time travel) that must not be reported. */
  alsoReferenced?: Iterable<string>;
}

/**
 * Data objects of the table that `snapshot` does not list and that are older than `olderThanMs`
 * (so an upload whose commit is still in flight is kept). Files dropped by compaction count as
 * orphans unless `alsoReferenced` keeps them. Only `bucket=<n>/...parquet` objects are considered.
 */
export async function findOrphans(store: ObjectStore, tablePrefix: string, snapshot: LakeSnapshot | null, olderThanMs: number, opts: FindOrphansOptions = {}): Promise<Orphan[]> {
  if (!(olderThanMs >= 0)) fail('INVALID_PARAMETER', `olderThanMs must be >= 0, got ${olderThanMs}`);
  const now = opts.now ?? Date.now();
  const referenced = new Set<string>(snapshot?.files.map((f) => f.key) ?? []);
  for (const k of opts.alsoReferenced ?? []) referenced.add(k);
  const objects = await store.list(`${tablePrefix}/bucket=`);
  return objects
    .filter((o) => parseDataFileKey(tablePrefix, o.key) !== null && !referenced.has(o.key) && now - o.lastModified > olderThanMs)
    .map((o) => ({ key: o.key, size: o.size, lastModified: o.lastModified }));
}
