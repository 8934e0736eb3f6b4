import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fail, LakestreamError } from '../common/errors.js';
import { jsonToValue } from '../common/json-values.js';
import type { Column } from '../common/schema.js';
import type { ChangeType, Row } from '../common/values.js';
import { createObjectStore } from '../lake/object-store.js';
import { encodeParquet } from '../lake/parquet.js';
import { currentStateSql, quoteIdent, referencedTables, type TableSources } from './lake-views.js';
import { missingTableOf, quoteTableReferences, unknownTableReference } from './table-references.js';

export interface QueryOptions {
  readonly server: string;
  readonly token?: string;
  /** Also read the hot tail above the tiered offsets from the server's log. */
  readonly fresh: boolean;
  /** For s3:// lakes: the endpoint (MinIO...); credentials come from the AWS_* environment. */
  readonly s3Endpoint?: string;
}

export interface QueryResult {
  readonly columns: string[];
  readonly rows: Record<string, unknown>[];
  /** Where rows came from when it is not the lake snapshot alone, or what was left out (for stderr). */
  readonly notes: readonly string[];
}

async function getJson(opts: QueryOptions, urlPath: string): Promise<any> {
  let res: Response;
  try {
    res = await fetch(opts.server + urlPath, { headers: opts.token ? { authorization: `Bearer ${opts.token}` } : {} });
  } catch (e) {
    // Worded as the client words it, so the CLI adds the same advice (--server, LAKESTREAM_SERVER).
    const reason = (e as { cause?: { code?: string; message?: string } }).cause?.code ?? (e as Error).message;
    throw new LakestreamError('NETWORK', `GET ${urlPath}: cannot reach the server at ${opts.server} (${reason})`);
  }
  const body: any = await res.json().catch(() => ({}));
  if (!res.ok) throw new LakestreamError(body?.error?.code ?? 'INTERNAL', body?.error?.message ?? `${urlPath}: HTTP ${res.status}`);
  return body;
}

async function knownTables(opts: QueryOptions): Promise<{ database: string; name: string }[]> {
  const { databases } = await getJson(opts, '/v1/databases');
  const out: { database: string; name: string }[] = [];
  for (const db of databases as string[]) {
    const { tables } = await getJson(opts, `/v1/databases/${encodeURIComponent(db)}/tables`);
    for (const name of tables as string[]) out.push({ database: db, name });
  }
  return out;
}

/** A lake file as a path DuckDB can open: local files as they are, S3 objects downloaded once. */
async function localPath(uri: string, tmp: string, opts: QueryOptions): Promise<string> {
  if (uri.startsWith('file://')) return fileURLToPath(uri);
  const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (!m) fail('BAD_REQUEST', `cannot read lake file ${uri}`);
  const store = createObjectStore(`s3://${m[1]}`, opts.s3Endpoint ? { s3Endpoint: opts.s3Endpoint } : {});
  const bytes = await store.get(m[2]!);
  if (!bytes) fail('STORAGE_ERROR', `lake file ${uri} is missing`);
  const file = path.join(tmp, `${fs.readdirSync(tmp).length}.parquet`);
  fs.writeFileSync(file, bytes);
  return file;
}

/** A row as the server's JSON gives it (nulls kept whatever the column says: the server decides). */
function rowOf(columns: readonly Column[], rec: Record<string, unknown>): Row {
  const row: Row = {};
  for (const c of columns) row[c.name] = jsonToValue({ ...c, nullable: true }, rec[c.name]);
  return row;
}

/** The records above the tiered offset of one bucket, as one Parquet file shaped like the lake's. */
async function hotTail(opts: QueryOptions, base: string, columns: readonly Column[], bucket: number, from: string, tmp: string): Promise<string | undefined> {
  const rows: Row[] = [];
  const offsets: bigint[] = [];
  const timestamps: number[] = [];
  const types: ChangeType[] = [];
  let offset = from;
  for (;;) {
    const page = await getJson(opts, `${base}/buckets/${bucket}/records?offset=${offset}&maxRecords=100000`);
    for (const rec of page.records as Record<string, unknown>[]) {
      rows.push(rowOf(columns, rec));
      offsets.push(BigInt(rec._log_offset as number | string));
      timestamps.push(rec._commit_timestamp as number);
      types.push(rec._change_type as ChangeType);
    }
    if (page.nextOffset === page.highWatermark || page.records.length === 0) break;
    offset = page.nextOffset;
  }
  if (rows.length === 0) return undefined;
  const file = path.join(tmp, `tail-${bucket}-${fs.readdirSync(tmp).length}.parquet`);
  fs.writeFileSync(file, encodeParquet(columns, { rows, bucket, offsets, timestamps, changeTypes: types }, { compression: 'snappy', rowGroupRows: 100_000 }));
  return file;
}

/** One bucket's current rows from the server's index (a snapshot scan), as one Parquet file of live rows. */
async function bucketRows(opts: QueryOptions, base: string, columns: readonly Column[], bucket: number, tmp: string): Promise<string | undefined> {
  const rows: Row[] = [];
  let after: string | null = null;
  do {
    const page: { rows: Record<string, unknown>[]; cursor: string | null } = await getJson(opts, `${base}/buckets/${bucket}/rows?limit=100000${after ? `&after=${encodeURIComponent(after)}` : ''}`);
    for (const rec of page.rows) rows.push(rowOf(columns, rec));
    after = page.cursor;
  } while (after);
  if (rows.length === 0) return undefined;
  const file = path.join(tmp, `rows-${bucket}-${fs.readdirSync(tmp).length}.parquet`);
  // One row per key and no changelog beside it: the offsets only need to increase, as a file's must.
  const offsets = rows.map((_, i) => BigInt(i));
  fs.writeFileSync(file, encodeParquet(columns, { rows, bucket, offsets, timestamps: rows.map(() => 0) }, { compression: 'snappy', rowGroupRows: 100_000 }));
  return file;
}

/**
 * A table that does not tier into the lake, read from the server instead of returning nothing: a
 * primary-key table's current rows from its index, a log table's records from the earliest offset.
 */
async function serverSources(opts: QueryOptions, base: string, def: TableSources, buckets: number, tmp: string): Promise<TableSources> {
  const files: string[] = [];
  for (let b = 0; b < buckets; b++) {
    const from = def.primaryKey.length > 0 ? undefined : (await getJson(opts, `${base}/buckets/${b}/offsets?at=earliest`)).offset as string;
    const file = from === undefined ? await bucketRows(opts, base, def.columns, b, tmp) : await hotTail(opts, base, def.columns, b, from, tmp);
    if (file) files.push(file);
  }
  return { ...def, baseFiles: files, changeFiles: [] };
}

async function sourcesOf(opts: QueryOptions, t: { database: string; name: string }, tmp: string, notes: string[]): Promise<TableSources> {
  const base = `/v1/databases/${encodeURIComponent(t.database)}/tables/${encodeURIComponent(t.name)}`;
  const def = await getJson(opts, base);
  const lake = await getJson(opts, `${base}/lake`);
  if (lake.status?.enabled !== true) {
    notes.push(`${t.database}.${t.name} does not tier into the lake (table.datalake.enabled is not true): read from the server${def.primaryKey.length > 0 ? "'s index" : "'s log"} instead`);
    const empty: TableSources = { database: t.database, name: t.name, columns: def.columns, primaryKey: def.primaryKey, baseFiles: [], changeFiles: [] };
    return serverSources(opts, base, empty, def.buckets, tmp);
  }
  if (!opts.fresh) {
    const pending = (lake.lag as { pendingRecords: string }[]).reduce((n, l) => n + BigInt(l.pendingRecords), 0n);
    if (pending > 0n) notes.push(`${t.database}.${t.name}: ${pending} records are not in the lake yet; --fresh reads them too`);
  }
  const baseFiles: string[] = [];
  const changeFiles: string[] = [];
  for (const f of lake.files as { uri: string; kind: string }[]) {
    (f.kind === 'changelog' ? changeFiles : baseFiles).push(await localPath(f.uri, tmp, opts));
  }
  if (opts.fresh) {
    for (const b of lake.buckets as { bucket: number; tieredOffset: string }[]) {
      const tail = await hotTail(opts, base, def.columns, b.bucket, b.tieredOffset, tmp);
      if (tail) (def.primaryKey.length > 0 ? changeFiles : baseFiles).push(tail);
    }
  }
  return { database: t.database, name: t.name, columns: def.columns, primaryKey: def.primaryKey, baseFiles, changeFiles };
}

async function loadDuckDb(): Promise<typeof import('@duckdb/node-api')> {
  try {
    return await import('@duckdb/node-api');
  } catch {
    return fail('UNSUPPORTED_OPERATION', 'lakestream query needs DuckDB: npm install @duckdb/node-api (an optional dependency)');
  }
}

/**
 * Runs SQL with DuckDB over the current lake snapshots of the tables it names (`db.table`), plus the
 * hot tail above the tiered offsets with `fresh`; primary-key tables are merged by key.
 */
export async function runQuery(sql: string, opts: QueryOptions): Promise<QueryResult> {
  const known = await knownTables(opts);
  const unknown = unknownTableReference(sql, known);
  if (unknown) fail('TABLE_NOT_FOUND', `table ${unknown.database}.${unknown.name} does not exist`);
  const tables = referencedTables(sql, known);
  const notes: string[] = [];
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lakestream-query-'));
  try {
    const duckdb = await loadDuckDb();
    const db = await duckdb.DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    try {
      for (const t of tables) {
        const src = await sourcesOf(opts, t, tmp, notes);
        await conn.run(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(t.database)}`);
        await conn.run(`CREATE VIEW ${quoteIdent(t.database)}.${quoteIdent(t.name)} AS ${currentStateSql(src)}`);
      }
      const reader = await conn.runAndReadAll(quoteTableReferences(sql, tables));
      return { columns: reader.columnNames(), rows: reader.getRowObjectsJS() as Record<string, unknown>[], notes };
    } catch (e) {
      if (e instanceof LakestreamError) throw e;
      const missing = missingTableOf((e as Error).message, sql);
      if (missing) fail('TABLE_NOT_FOUND', `table ${missing} does not exist${missing.includes('.') ? '' : '; name tables as db.table'}`);
      return fail('BAD_REQUEST', `DuckDB: ${(e as Error).message}`);
    } finally {
      conn.closeSync();
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
