import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { fail } from '../../common/errors.js';
import { appendToLogTable } from '../append.js';
import type { ServerContext } from '../context.js';
import { columnBatchesToIpc } from '../arrow-records.js';
import { ARROW_STREAM, asBuffer, bucketParam, intParam, offsetParam, wantsArrow, writerHeaders } from '../http-params.js';
import { projectedColumns, recordsToIpc, recordsToJson, sliceRecords } from '../records.js';
import type { Lake } from '../lake-setup.js';
import { bodyBytes } from '../metrics.js';
import { earliestOffset, outOfRange, readFromLake } from '../union-read.js';
import { parseWriteInput } from '../write-input.js';

type TableParams = { db: string; table: string };
type BucketParams = TableParams & { bucket: string };
type Query = Record<string, string | undefined>;

const WAIT_MS_MAX = 60_000;
const MAX_RECORDS_MAX = 1_000_000;

export function logRoutes(app: FastifyInstance, ctx: ServerContext, lake: Lake): void {
  app.post<{ Params: TableParams }>('/v1/databases/:db/tables/:table/append', { config: { write: true } }, async (req) => {
    const table = ctx.tables.get(req.params.db, req.params.table);
    const writer = writerHeaders(req.headers);
    const input = parseWriteInput(req.body, table.definition.columns, ctx.config.maxRowsPerRequest);
    ctx.disk.admitWrite();
    const result = await appendToLogTable(table, input, writer);
    ctx.metrics.appended(table.qualifiedName, result.rows, bodyBytes(req.headers));
    return result;
  });

  // Counted once sent: content-length is the body's size on every path (JSON, Arrow buffer or stream).
  const onResponse = (req: FastifyRequest<{ Params: BucketParams }>, reply: FastifyReply, done: () => void) => {
    if (reply.statusCode === 200) ctx.metrics.fetched(`${req.params.db}.${req.params.table}`, Number(reply.getHeader('content-length') ?? 0));
    done();
  };
  app.get<{ Params: BucketParams; Querystring: Query }>('/v1/databases/:db/tables/:table/buckets/:bucket/records', { onResponse }, async (req, reply) => {
    const table = ctx.tables.get(req.params.db, req.params.table);
    const bucket = bucketParam(req.params.bucket);
    const log = table.bucket(bucket);
    const q = req.query;
    const offset = offsetParam(q.offset ?? '0');
    const maxRecords = intParam(q.maxRecords, 'maxRecords', 10_000, 1, MAX_RECORDS_MAX);
    const maxBytes = intParam(q.maxBytes, 'maxBytes', Math.min(4 * 1024 * 1024, ctx.config.maxFetchBytes), 1, ctx.config.maxFetchBytes);
    const waitMs = intParam(q.waitMs, 'waitMs', 0, 0, WAIT_MS_MAX);
    const columns = projectedColumns(table.definition.columns, q.columns);
    const arrow = wantsArrow(req.headers.accept);
    if (offset > log.highWatermark) outOfRange(offset, bucket, await earliestOffset(lake, table.tableId, bucket, log), log.highWatermark);
    // A primary-key bucket's changelog is readable once its index holds it (see KvBucket.visibleOffset).
    const kv = table.kv?.[bucket];
    const end = kv ? kv.visibleOffset : log.highWatermark;
    if (waitMs > 0 && offset >= end && offset <= log.highWatermark) {
      // The response closing early means the client went away; shutdown ends every wait at once.
      const gone = new AbortController();
      reply.raw.once('close', () => gone.abort());
      const signal = AbortSignal.any([gone.signal, ctx.shutdown]);
      await ctx.longPolls.run(() => (kv ? kv.waitVisible(offset, waitMs, signal) : log.waitForData(offset, waitMs, signal)));
    }
    const visibleEnd = kv ? kv.visibleOffset : log.highWatermark;
    const limit = offset >= log.logStartOffset && kv ? Math.min(maxRecords, Number(visibleEnd > offset ? visibleEnd - offset : 0n)) : maxRecords;
    const hw = visibleEnd.toString();
    const fromLake = offset < log.logStartOffset;
    if (arrow && !fromLake) {
      // Arrow from the local log moves column buffers as stored: only the projected ones are read.
      const names = columns.map((c) => c.name);
      const projected = names.length < table.definition.columns.length;
      const batches = limit === 0 && offset <= log.highWatermark ? [] : await log.readColumns(offset, { maxBytes, maxRecords: limit }, names, projected);
      const { chunks, bytes, nextOffset } = columnBatchesToIpc(columns, batches, offset, limit);
      return reply.type(ARROW_STREAM).header('content-length', bytes).header('x-next-offset', nextOffset.toString())
        .header('x-high-watermark', hw).send(Readable.from(chunks, { objectMode: false }));
    }
    const slice = fromLake
      ? await readFromLake(lake, table.tableId, bucket, log, offset, maxRecords, columns)
      : limit === 0 && offset <= log.highWatermark
        ? sliceRecords([], offset, 0, columns)
        : sliceRecords(await log.read(offset, { maxBytes, maxRecords: limit }), offset, limit, columns);
    if (arrow) {
      return reply.type(ARROW_STREAM).header('x-next-offset', slice.nextOffset.toString()).header('x-high-watermark', hw).send(asBuffer(recordsToIpc(slice)));
    }
    return { records: recordsToJson(slice, columns), nextOffset: slice.nextOffset.toString(), highWatermark: hw };
  });

  app.get<{ Params: BucketParams; Querystring: Query }>('/v1/databases/:db/tables/:table/buckets/:bucket/offsets', async (req) => {
    const table = ctx.tables.get(req.params.db, req.params.table);
    const bucket = bucketParam(req.params.bucket);
    const log = table.bucket(bucket);
    const at = req.query.at ?? 'latest';
    if (at === 'earliest') return { offset: (await earliestOffset(lake, table.tableId, bucket, log)).toString() };
    if (at === 'latest') return { offset: (table.kv?.[bucket]?.visibleOffset ?? log.highWatermark).toString() };
    if (!/^\d{1,15}$/.test(at)) fail('INVALID_PARAMETER', `at must be earliest, latest or epoch milliseconds, got '${at.slice(0, 40)}'`);
    return { offset: (await log.offsetForTimestamp(Number(at))).toString() };
  });

  app.get<{ Params: BucketParams }>('/v1/databases/:db/tables/:table/buckets/:bucket', async (req) => {
    const s = ctx.tables.get(req.params.db, req.params.table).bucket(bucketParam(req.params.bucket)).stats();
    return {
      localLogStartOffset: s.localLogStartOffset.toString(),
      highWatermark: s.highWatermark.toString(),
      segments: s.segments,
      bytes: s.bytes,
    };
  });
}
