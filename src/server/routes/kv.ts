import type { FastifyInstance } from 'fastify';
import { batchToIpc, rowsToBatch } from '../../common/arrow.js';
import { fail } from '../../common/errors.js';
import { rowToJson } from '../../common/json-values.js';
import type { LookupKeys } from '../../kv/arrow-keys.js';
import { StoredRowBatchBuilder } from '../../kv/row-arrow.js';
import { StoredRowsJsonWriter } from '../../kv/row-json.js';
import type { ServerContext } from '../context.js';
import { ARROW_STREAM, asBuffer, bucketParam, intParam, wantsArrow, writerHeaders } from '../http-params.js';
import { lookupInto, lookupKeys, prefixLookupRows, requirePrimaryKey } from '../primary-key.js';
import { writePrimaryKeyTable } from '../primary-key-write.js';
import type { ScanSessions } from '../scan-sessions.js';
import type { TableRuntime } from '../table-store.js';
import { parseUpsertInput } from '../upsert-input.js';
import { parseWriteInput } from '../write-input.js';

type TableParams = { db: string; table: string };
type BucketParams = TableParams & { bucket: string };
type Query = Record<string, string | undefined>;

function targetColumns(table: TableRuntime, raw: string | undefined): string[] | undefined {
  if (raw === undefined) return undefined;
  const names = raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
  for (const n of names) {
    if (!table.definition.columns.some((c) => c.name === n)) fail('UNKNOWN_COLUMN', `columns= names '${n.slice(0, 100)}', which is not a column of ${table.qualifiedName}`);
  }
  const missingKey = table.definition.primaryKey.filter((k) => !names.includes(k));
  if (missingKey.length > 0) fail('MISSING_KEY', `a partial update must include the primary key; add ${missingKey.join(', ')} to columns=`);
  return names;
}

const JSON_UTF8 = 'application/json; charset=utf-8';
/** A first guess of a looked-up row's JSON size; the writer grows past it. */
const ROW_JSON_BYTES_GUESS = 128;

/** `{"rows":[row | null, ...]}` in key order, written from the stored bytes. */
function lookupJson(table: TableRuntime, keys: LookupKeys): Uint8Array {
  const writer = new StoredRowsJsonWriter(table.definition.columns, '{"rows":[', ']}', keys.count * ROW_JSON_BYTES_GUESS);
  lookupInto(table, keys, writer);
  return writer.finish();
}

/** One record batch, row i answering key i, with `__found` (see StoredRowBatchBuilder). */
function lookupArrow(table: TableRuntime, keys: LookupKeys): Uint8Array {
  const builder = new StoredRowBatchBuilder(table.definition.columns, keys.count);
  lookupInto(table, keys, builder);
  return builder.finishIpc();
}

export function kvRoutes(app: FastifyInstance, ctx: ServerContext, scans: ScanSessions): void {
  app.post<{ Params: TableParams; Querystring: Query }>('/v1/databases/:db/tables/:table/upsert', { config: { write: true } }, async (req) => {
    const table = ctx.tables.get(req.params.db, req.params.table);
    requirePrimaryKey(table, 'upsert');
    const writer = writerHeaders(req.headers);
    const target = targetColumns(table, req.query.columns);
    const input = parseUpsertInput(req.body, table.definition.columns, table.definition.primaryKey, ctx.config.maxRowsPerRequest, target);
    ctx.disk.admitWrite();
    const result = await writePrimaryKeyTable(table, 'upsert', input, target, writer);
    ctx.metrics.kvWritten(table.qualifiedName, 'upsert', result.rows);
    return result;
  });

  app.post<{ Params: TableParams }>('/v1/databases/:db/tables/:table/delete', { config: { write: true } }, async (req) => {
    const table = ctx.tables.get(req.params.db, req.params.table);
    requirePrimaryKey(table, 'delete');
    const writer = writerHeaders(req.headers);
    const pk = table.definition.primaryKey;
    const input = parseWriteInput(req.body, table.definition.columns, ctx.config.maxRowsPerRequest, { required: pk, only: pk });
    ctx.disk.admitWrite();
    const result = await writePrimaryKeyTable(table, 'delete', input, undefined, writer);
    ctx.metrics.kvWritten(table.qualifiedName, 'delete', result.rows);
    return result;
  });

  app.post<{ Params: TableParams }>('/v1/databases/:db/tables/:table/lookup', async (req, reply) => {
    const table = ctx.tables.get(req.params.db, req.params.table);
    const started = performance.now();
    const keys = lookupKeys(table, req.body);
    const arrow = wantsArrow(req.headers.accept);
    const body = arrow ? lookupArrow(table, keys) : lookupJson(table, keys);
    ctx.metrics.lookup(table.qualifiedName, 'lookup', keys.count, (performance.now() - started) / 1000);
    return reply.type(arrow ? ARROW_STREAM : JSON_UTF8).send(asBuffer(body));
  });

  app.post<{ Params: TableParams }>('/v1/databases/:db/tables/:table/prefix-lookup', async (req, reply) => {
    const table = ctx.tables.get(req.params.db, req.params.table);
    const started = performance.now();
    const groups = prefixLookupRows(table, req.body);
    ctx.metrics.lookup(table.qualifiedName, 'prefix', groups.length, (performance.now() - started) / 1000);
    if (wantsArrow(req.headers.accept)) {
      const counts = groups.map((g) => g.length).join(',');
      return reply.type(ARROW_STREAM).header('x-prefix-counts', counts).send(asBuffer(batchToIpc(rowsToBatch(table.definition.columns, groups.flat()))));
    }
    return { rows: groups.map((g) => g.map((r) => rowToJson(table.definition.columns, r))) };
  });

  app.get<{ Params: BucketParams; Querystring: Query }>('/v1/databases/:db/tables/:table/buckets/:bucket/rows', async (req) => {
    const table = ctx.tables.get(req.params.db, req.params.table);
    const kv = requirePrimaryKey(table, 'a snapshot scan');
    const bucket = bucketParam(req.params.bucket);
    table.bucket(bucket);
    const limit = intParam(req.query.limit, 'limit', 10_000, 1, 100_000);
    const page = await scans.page(kv[bucket]!, req.query.after, limit);
    return { rows: page.rows.map((r) => rowToJson(table.definition.columns, r)), cursor: page.cursor, logOffset: page.logOffset };
  });
}
