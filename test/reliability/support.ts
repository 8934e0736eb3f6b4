/**
 * Shared helpers of the reliability suites: HTTP calls that survive a restarted server, reading a
 * bucket's whole history through the records API (a union read once retention has dropped the
 * local start), and reading a table's lake straight from the lake folder.
 */
import path from 'node:path';
import type { Column } from '../../src/common/schema.js';
import { LocalObjectStore } from '../../src/lake/local-store.js';
import { decodeParquet } from '../../src/lake/parquet.js';
import { lakeTablePrefix, readLakeHead, tieredOffsetOf, type LakeSnapshot } from '../../src/lake/snapshot.js';
import { call, type Reply } from '../e2e/helpers.js';

export { mulberry32, int, pick, type Rng } from '../common/random-values.js';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A call that retries network errors (a pooled socket of the killed server) a few times. */
export async function callRetry<T = any>(base: string, method: string, urlPath: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply<T>> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await call<T>(base, method, urlPath, body, headers);
    } catch (e) {
      if (attempt >= 5) throw e;
      await sleep(100 * (attempt + 1));
    }
  }
}

export async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(200);
  }
}

export interface Bucketed {
  /** Records in offset order from offset 0. */
  records: Record<string, any>[];
  highWatermark: bigint;
  earliest: bigint;
}

/** Every record of a bucket from its earliest offset, through the records API (JSON). */
export async function readBucket(url: string, tablePath: string, bucket: number, pageRecords = 20_000): Promise<Bucketed> {
  const earliestReply = await callRetry(url, 'GET', `${tablePath}/buckets/${bucket}/offsets?at=earliest`);
  if (earliestReply.status !== 200) throw new Error(`offsets?at=earliest of ${tablePath}/${bucket}: ${earliestReply.status} ${JSON.stringify(earliestReply.body)}`);
  const earliest = BigInt(earliestReply.body.offset);
  const records: Record<string, any>[] = [];
  let offset = earliest;
  for (;;) {
    const r = await callRetry(url, 'GET', `${tablePath}/buckets/${bucket}/records?offset=${offset}&maxRecords=${pageRecords}`);
    if (r.status !== 200) throw new Error(`records of ${tablePath}/${bucket} at ${offset}: ${r.status} ${JSON.stringify(r.body).slice(0, 500)}`);
    records.push(...r.body.records);
    const next = BigInt(r.body.nextOffset);
    const hw = BigInt(r.body.highWatermark);
    if (next >= hw) return { records, highWatermark: hw, earliest };
    if (next === offset) throw new Error(`records of ${tablePath}/${bucket} made no progress at ${offset} (high watermark ${hw})`);
    offset = next;
  }
}

export interface LakeBucketContent {
  tieredOffset: bigint;
  offsets: bigint[];
  rows: Record<string, unknown>[];
  changeTypes: (string | null)[];
  files: number;
}

/** The latest lake snapshot of a table in a `file://` lake, with every listed file decoded. */
export async function readLake(lakeDir: string, db: string, table: string, columns: readonly Column[], buckets: number): Promise<{ snapshot: LakeSnapshot | null; buckets: LakeBucketContent[] }> {
  const store = new LocalObjectStore(path.resolve(lakeDir));
  const head = await readLakeHead(store, lakeTablePrefix(db, table));
  const out: LakeBucketContent[] = [];
  for (let b = 0; b < buckets; b++) {
    const files = (head.snapshot?.files ?? []).filter((f) => f.bucket === b).sort((x, y) => (BigInt(x.firstOffset) < BigInt(y.firstOffset) ? -1 : 1));
    const content: LakeBucketContent = { tieredOffset: tieredOffsetOf(head.snapshot, b), offsets: [], rows: [], changeTypes: [], files: files.length };
    for (const f of files) {
      const bytes = await store.get(f.key);
      if (!bytes) throw new Error(`lake snapshot ${head.snapshot!.id} lists ${f.key}, which is missing`);
      const decoded = await decodeParquet(bytes, columns);
      if (decoded.offsets.length !== f.rows) throw new Error(`lake file ${f.key}: snapshot says ${f.rows} rows, file has ${decoded.offsets.length}`);
      if (decoded.offsets.length > 0 && (decoded.offsets[0] !== BigInt(f.firstOffset) || decoded.offsets.at(-1) !== BigInt(f.lastOffset))) {
        throw new Error(`lake file ${f.key}: offsets ${decoded.offsets[0]}..${decoded.offsets.at(-1)} but the snapshot says ${f.firstOffset}..${f.lastOffset}`);
      }
      content.offsets.push(...decoded.offsets);
      content.rows.push(...decoded.rows);
      content.changeTypes.push(...(decoded.changeTypes ?? decoded.offsets.map(() => null)));
    }
    out.push(content);
  }
  return { snapshot: head.snapshot, buckets: out };
}

/** Problems of a lake bucket's offsets: must be exactly 0, 1, ..., tieredOffset - 1. */
export function lakeOffsetProblems(content: LakeBucketContent): string[] {
  const problems: string[] = [];
  const seen = new Set<bigint>();
  content.offsets.forEach((o, i) => {
    if (seen.has(o)) problems.push(`duplicate __offset ${o}`);
    seen.add(o);
    if (o !== BigInt(i)) problems.push(`__offset ${o} at position ${i} (gap or disorder)`);
  });
  if (BigInt(content.offsets.length) !== content.tieredOffset) problems.push(`${content.offsets.length} rows in the lake but tiered offset ${content.tieredOffset}`);
  return problems.slice(0, 10);
}
