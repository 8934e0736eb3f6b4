/**
 * append: rows/s and MB/s into log tables of ~100-byte rows (int64 id, a 36-char string `name` of
 * 1,000 distinct values, a 40-char string, a double), requests of 10,000 rows from 4 concurrent
 * writers, each acknowledged only once fsynced. Three tables, the same rows into each:
 *
 *   - `one`: 1 bucket; `spread`: 4 buckets, no bucket key (a request goes to one bucket, round-robin);
 *     `keyed`: 4 buckets, bucket key `name` (every request's rows routed by key, so cut into 4);
 *   - raw: HTTP POST .../append of pre-built Arrow IPC bodies (the load generator does no encoding),
 *     into every table;
 *   - json: the same rows as JSON bodies (10,000 rows each), into `keyed`;
 *   - client: the client's AppendWriter from row objects (rows -> Arrow in the load generator, which
 *     shares the CPUs), into `keyed`;
 *   - peer: Redis Streams, AOF with appendfsync everysec, 4 connections pipelining XADD of the same
 *     100 row bytes, 10,000 commands per round trip.
 *
 * BENCH_SHORT=1 sends a tenth of the requests: it checks that the bench runs, its figures are not
 * the bench's.
 */
import { connect } from '../src/client/index.js';
import {
  ARROW, checkReplies, createTable, encodeCommand, machine, makeRows, ok, pool, request, RespClient, round, ROW_BYTES,
  ROW_COLUMNS, rowBytes, rowsIpc, rowsJson, scaled, SHORT, startLakestream, startRedis, target, timed, type RowData,
} from './lib.js';

const BATCH_ROWS = 10_000;
const WRITERS = 4;
const BODIES = 8;
const DISTINCT_NAMES = 1_000;
const RAW_REQUESTS = scaled(500, 8); // 5 M rows a table
const JSON_REQUESTS = scaled(100, 4); // 1 M rows
const CLIENT_ROWS = scaled(1_000_000, 50_000);
const REDIS_BATCHES = scaled(150, 8); // 1.5 M rows

const TABLES = {
  one: { buckets: 1, bucketKey: [] },
  spread: { buckets: 4, bucketKey: [] },
  keyed: { buckets: 4, bucketKey: ['name'] },
} as const;

interface Figure {
  rows: number;
  seconds: number;
  rowsPerSec: number;
  payloadMBPerSec: number;
}

function figure(rows: number, seconds: number): Figure {
  return { rows, seconds: round(seconds, 2), rowsPerSec: round(rows / seconds), payloadMBPerSec: round((rows / seconds) * ROW_BYTES / 1e6, 1) };
}

/** `requests` posts of the bodies from 4 writers, after a warm-up (JIT, first segment). */
async function posts(url: string, bodies: readonly (Uint8Array | string)[], contentType: string, requests: number): Promise<Figure> {
  const post = (i: number) => ok(request(url, 'POST', bodies[i % bodies.length]!, { 'content-type': contentType }), 'append');
  await pool(WRITERS * 2, WRITERS, async (i) => { await post(i); });
  const seconds = await timed(() => pool(requests, WRITERS, async (i) => { await post(i); }));
  return figure(requests * BATCH_ROWS, seconds);
}

/** The client's AppendWriter, rows as objects, batched and encoded by the writer. */
async function appendWriter(base: string, table: string, rowSets: readonly RowData[]): Promise<Figure> {
  const conn = connect(base);
  const writer = (await conn.table('bench', table)).appendWriter({ batchRows: BATCH_ROWS, maxInFlight: WRITERS, lingerMs: 5 });
  const seconds = await timed(async () => {
    for (let i = 0; i < CLIENT_ROWS; i++) {
      const src = rowSets[Math.floor(i / BATCH_ROWS) % BODIES]!;
      const j = i % BATCH_ROWS;
      void writer.append({ id: BigInt(i), name: src.names[j]!, note: src.notes[j]!, score: src.scores[j]! });
      if (i % 1000 === 999) await writer.ready();
    }
    await writer.flush();
  });
  await writer.close();
  await conn.close();
  return figure(CLIENT_ROWS, seconds);
}

async function redisStreams(rowSets: readonly RowData[]): Promise<{ name: string } & Figure> {
  const redis = await startRedis('everysec');
  const conns = await Promise.all(Array.from({ length: WRITERS }, () => RespClient.connect(redis.port)));
  const commands = rowSets.map((rows) => Buffer.concat(Array.from({ length: BATCH_ROWS }, (_, i) => encodeCommand(['XADD', 'events', '*', 'r', rowBytes(rows, i)]))));
  const xadd = async (i: number) => checkReplies(await conns[i % WRITERS]!.pipeline(commands[i % BODIES]!, BATCH_ROWS));
  await pool(4, WRITERS, xadd);
  // Connection w sends batches w, w+4, ...: one pipeline in flight per connection, like one writer.
  const seconds = await timed(() => Promise.all(conns.map(async (_c, w) => {
    for (let i = w; i < REDIS_BATCHES; i += WRITERS) await xadd(i);
  })).then(() => undefined));
  for (const c of conns) c.close();
  await redis.stop();
  return { name: `redis ${redis.version} streams (XADD, AOF appendfsync everysec: up to 1 s of acknowledged writes can be lost)`, ...figure(REDIS_BATCHES * BATCH_ROWS, seconds) };
}

export async function run(): Promise<Record<string, unknown>> {
  const server = await startLakestream();
  for (const [name, t] of Object.entries(TABLES)) await createTable(server.url, 'bench', name, { columns: ROW_COLUMNS, ...t });
  await createTable(server.url, 'bench', 'keyed_json', { columns: ROW_COLUMNS, ...TABLES.keyed });
  await createTable(server.url, 'bench', 'keyed_client', { columns: ROW_COLUMNS, ...TABLES.keyed });

  const rowSets = Array.from({ length: BODIES }, (_, b) => makeRows(Array.from({ length: BATCH_ROWS }, (_, i) => b * BATCH_ROWS + i), 0, DISTINCT_NAMES));
  const bodies = rowSets.map(rowsIpc);
  const bodyBytes = bodies.reduce((n, b) => n + b.length, 0) / BODIES;
  const url = (table: string) => `${server.url}/v1/databases/bench/tables/${table}/append`;
  const raw: Record<string, Figure> = {};
  for (const name of Object.keys(TABLES)) raw[name] = await posts(url(name), bodies, ARROW, RAW_REQUESTS);
  const json = await posts(url('keyed_json'), rowSets.map(rowsJson), 'application/json', JSON_REQUESTS);
  const client = await appendWriter(server.url, 'keyed_client', rowSets);
  await server.stop();
  const peer = await redisStreams(rowSets);

  const over = (f: Figure) => round(f.rowsPerSec / peer.rowsPerSec, 2);
  const keyedOverSpread = round(raw.keyed!.rowsPerSec / raw.spread!.rowsPerSec, 2);
  return {
    bench: 'append',
    ...(SHORT ? { short: true } : {}),
    setup: {
      rowPayloadBytes: ROW_BYTES, arrowBodyBytesPerRow: round(bodyBytes / BATCH_ROWS, 1), batchRows: BATCH_ROWS, writers: WRITERS,
      tables: {
        ...Object.fromEntries(Object.entries(TABLES).map(([name, t]) => [name, { buckets: t.buckets, bucketKey: t.bucketKey, loadedBy: 'raw Arrow HTTP' }])),
        keyed_json: { ...TABLES.keyed, loadedBy: 'JSON HTTP' },
        keyed_client: { ...TABLES.keyed, loadedBy: 'AppendWriter' },
      },
      distinctBucketKeys: DISTINCT_NAMES,
      durability: 'lakestream acknowledges after fdatasync (group commit)',
    },
    lakestream: {
      rawArrowHttp: Object.fromEntries(Object.entries(raw).map(([name, f]) => [name, { ...f, bodyMBPerSec: round(f.rowsPerSec * bodyBytes / BATCH_ROWS / 1e6, 1) }])),
      jsonHttp: { table: 'keyed_json', ...json },
      appendWriter: { table: 'keyed_client', ...client },
    },
    peer,
    ratio: {
      rawOneBucketOverRedis: over(raw.one!),
      rawKeyedOverRedis: over(raw.keyed!),
      rawKeyedOverUnkeyed4Buckets: keyedOverSpread,
      jsonOverRedis: over(json),
      appendWriterOverRedis: over(client),
    },
    targets: [
      target('append rows/s (raw Arrow HTTP, 1 bucket)', raw.one!.rowsPerSec, '>=', 1_000_000, 'rows/s'),
      target('append lakestream/redis (raw Arrow HTTP, 1 bucket)', over(raw.one!), '>=', 3, 'x'),
      target('keyed 4-bucket append lakestream/redis (raw Arrow HTTP)', over(raw.keyed!), '>=', 3, 'x'),
      target('keyed over unkeyed 4-bucket append (raw Arrow HTTP)', keyedOverSpread, '>=', 0.8, 'x'),
      target('AppendWriter rows/s (keyed, 4 buckets)', client.rowsPerSec, '>=', 1_000_000, 'rows/s'),
      target('AppendWriter lakestream/redis', over(client), '>=', 2, 'x'),
      target('JSON append lakestream/redis (keyed, 4 buckets)', over(json), '>=', 1, 'x'),
    ],
    machine: machine(),
  };
}
