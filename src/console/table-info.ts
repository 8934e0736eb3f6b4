/**
 * A table as the overview lists it, from one of two sources: the server's summary in
 * `GET /v1/metrics/recent` (one request for every table; needs describe on *), or, for a principal
 * without that grant, the catalog routes table by table, leaving out what it may not describe.
 */
import type { Access } from './access.js';
import { paths, type Api } from './api.js';
import type { BucketStats, LakeReply, TableDescription, TableSummary } from './api-types.js';

export interface TableInfo {
  readonly db: string;
  readonly table: string;
  /** False: listed (the principal has some grant on it) but it may not describe it. */
  readonly described: boolean;
  readonly kind?: string;
  readonly buckets?: number;
  /** The sum of the buckets' high watermarks: every record its log has taken. */
  readonly records?: bigint;
  readonly bytes?: number;
  readonly highWatermarks?: readonly string[];
  /** null: the table does not tier; undefined: not known (no read grant). */
  readonly tiering?: { readonly pendingRecords: bigint; readonly lagMs: number } | null;
}

export function fromSummary(s: TableSummary): TableInfo {
  const dot = s.table.indexOf('.');
  return {
    db: s.table.slice(0, dot), table: s.table.slice(dot + 1), described: true, kind: s.kind, buckets: s.buckets, records: BigInt(s.records),
    bytes: s.bytes, highWatermarks: s.highWatermarks, tiering: s.tiering && { pendingRecords: BigInt(s.tiering.pendingRecords), lagMs: s.tiering.lagMs },
  };
}

export const lakeEnabled = (d: TableDescription): boolean => d.properties['table.datalake.enabled'] === 'true';

/** A table's description and its buckets' positions (describe grant). */
export async function describeWithBuckets(api: Api, db: string, table: string, signal: AbortSignal): Promise<{ description: TableDescription; buckets: BucketStats[] }> {
  const description = await api.get<TableDescription>(paths.table(db, table), signal);
  const buckets = await Promise.all(Array.from({ length: description.buckets }, (_, b) => api.get<BucketStats>(paths.bucket(db, table, b), signal)));
  return { description, buckets };
}

/** The lake's lag summed over buckets (records) and maxed (age). */
export function lakeLag(lake: LakeReply): { pendingRecords: bigint; lagMs: number } {
  return { pendingRecords: lake.lag.reduce((n, l) => n + BigInt(l.pendingRecords), 0n), lagMs: lake.lag.reduce((m, l) => Math.max(m, l.lagMs), 0) };
}

async function fromCatalog(api: Api, access: Access, db: string, table: string, signal: AbortSignal): Promise<TableInfo> {
  if (!access.mayTable('describe', db, table)) return { db, table, described: false };
  const { description, buckets } = await describeWithBuckets(api, db, table, signal);
  let tiering: TableInfo['tiering'] = null;
  if (lakeEnabled(description)) {
    tiering = access.mayTable('read', db, table) ? lakeLag(await api.get<LakeReply>(`${paths.table(db, table)}/lake`, signal)) : undefined;
  }
  const highWatermarks = buckets.map((b) => b.highWatermark);
  return {
    db, table, described: true, kind: description.kind, buckets: description.buckets, highWatermarks, tiering,
    records: highWatermarks.reduce((n, hw) => n + BigInt(hw), 0n), bytes: buckets.reduce((n, b) => n + b.bytes, 0),
  };
}

/** Every table the principal has a grant on, from the catalog routes. */
export async function tablesFromCatalog(api: Api, access: Access, signal: AbortSignal): Promise<TableInfo[]> {
  const { databases } = await api.get<{ databases: string[] }>('/v1/databases', signal);
  const lists = await Promise.all(databases.map(async (db) => (await api.get<{ tables: string[] }>(paths.tables(db), signal)).tables.map((table) => ({ db, table }))));
  const tables = lists.flat().sort((a, b) => a.db.localeCompare(b.db) || a.table.localeCompare(b.table));
  return Promise.all(tables.map((t) => fromCatalog(api, access, t.db, t.table, signal)));
}
