/**
 * upsert: durable upserts/s of ~100-byte rows into a primary-key table, 4 concurrent writers posting
 * Arrow bodies of 10,000 rows. 500,000 keys are loaded first; the timed run then sends 500,000
 * upserts over a 1,000,000-key space, half of them updates of loaded keys and half new keys. Into a
 * 1-bucket table and a 4-bucket one (bucket key `id`, the primary key: every request cut into 4),
 * and the same timed upserts into a second 4-bucket table through the client's UpsertWriter, from
 * row objects (encoded in the load generator, which shares the CPUs).
 *
 * Peer: Redis with AOF `appendfsync always` (fsync before replying), `HSET row:<id> r <100 bytes>`,
 * 4 connections pipelining the same key sequence in rounds of 10,000 commands.
 *
 * BENCH_SHORT=1 loads and upserts a tenth of the rows: it checks that the bench runs, its figures
 * are not the bench's.
 */
import { connect } from '../src/client/index.js';
import {
  ARROW, checkReplies, createTable, encodeCommand, machine, makeRows, ok, pool, request, RespClient, round, ROW_BYTES,
  ROW_COLUMNS, rowBytes, rowsIpc, scaled, SHORT, shuffled, startLakestream, startRedis, target, timed, type RowData,
} from './lib.js';

const BATCH_ROWS = 10_000;
const WRITERS = 4;
const KEYS = scaled(1_000_000, 100_000);
const PRELOAD_BATCHES = KEYS / 2 / BATCH_ROWS; // keys 0..499,999
const TIMED_BATCHES = KEYS / 2 / BATCH_ROWS; // 500,000 upserts: 250,000 new keys and 250,000 updates
const TABLES = {
  rows: { primaryKey: ['id'], buckets: 1, bucketKey: ['id'] },
  rows_keyed: { primaryKey: ['id'], buckets: 4, bucketKey: ['id'] },
  rows_client: { primaryKey: ['id'], buckets: 4, bucketKey: ['id'] },
} as const;

/** The preload batches, then timed batches of half new keys and half updates of preloaded keys. */
function plan(): { preload: RowData[]; timed: RowData[] } {
  const perm = shuffled(KEYS, 7);
  const preloaded = perm.slice(0, KEYS / 2);
  const fresh = perm.slice(KEYS / 2);
  const preload: RowData[] = [];
  for (let b = 0; b < PRELOAD_BATCHES; b++) preload.push(makeRows(preloaded.slice(b * BATCH_ROWS, (b + 1) * BATCH_ROWS)));
  const timedBatches: RowData[] = [];
  const half = BATCH_ROWS / 2;
  const updates = shuffled(preloaded.length, 11);
  for (let b = 0; b < TIMED_BATCHES; b++) {
    const ids: number[] = [];
    for (let i = 0; i < half; i++) {
      ids.push(fresh[b * half + i]!);
      ids.push(preloaded[updates[b * half + i]!]!);
    }
    timedBatches.push(makeRows(ids, 1 + b));
  }
  return { preload, timed: timedBatches };
}

/** Preloads a table over HTTP, then times the upserts: raw Arrow bodies, or the UpsertWriter from objects. */
async function lakestream(base: string, table: keyof typeof TABLES, preload: Uint8Array[], timedBatches: RowData[], via: 'http' | 'upsertWriter'): Promise<{ preloadRowsPerSec: number; seconds: number; upsertsPerSec: number; payloadMBPerSec: number }> {
  await createTable(base, 'bench', table, { columns: ROW_COLUMNS, ...TABLES[table] });
  const url = `${base}/v1/databases/bench/tables/${table}/upsert`;
  const upsert = async (body: Uint8Array) => { await ok(request(url, 'POST', body, { 'content-type': ARROW }), 'upsert'); };
  const preloadSeconds = await timed(() => pool(preload.length, WRITERS, (i) => upsert(preload[i]!)));
  let seconds: number;
  if (via === 'http') {
    const bodies = timedBatches.map(rowsIpc);
    seconds = await timed(() => pool(bodies.length, WRITERS, (i) => upsert(bodies[i]!)));
  } else {
    const conn = connect(base);
    const writer = (await conn.table('bench', table)).upsertWriter({ batchRows: BATCH_ROWS, maxInFlight: WRITERS, lingerMs: 5 });
    seconds = await timed(async () => {
      for (const rows of timedBatches) {
        for (let i = 0; i < rows.ids.length; i++) void writer.upsert({ id: BigInt(rows.ids[i]!), name: rows.names[i]!, note: rows.notes[i]!, score: rows.scores[i]! });
        await writer.ready();
      }
      await writer.flush();
    });
    await writer.close();
    await conn.close();
  }
  const rate = timedBatches.length * BATCH_ROWS / seconds;
  return { preloadRowsPerSec: round(preload.length * BATCH_ROWS / preloadSeconds), seconds: round(seconds, 2), upsertsPerSec: round(rate), payloadMBPerSec: round(rate * ROW_BYTES / 1e6, 1) };
}

export async function run(): Promise<Record<string, unknown>> {
  const { preload, timed: timedBatches } = plan();
  const server = await startLakestream();
  const preloadBodies = preload.map(rowsIpc);
  const one = await lakestream(server.url, 'rows', preloadBodies, timedBatches, 'http');
  const keyed = await lakestream(server.url, 'rows_keyed', preloadBodies, timedBatches, 'http');
  const client = await lakestream(server.url, 'rows_client', preloadBodies, timedBatches, 'upsertWriter');
  const upserts = TIMED_BATCHES * BATCH_ROWS;
  await server.stop();

  const redis = await startRedis('always');
  const conns = await Promise.all(Array.from({ length: WRITERS }, () => RespClient.connect(redis.port)));
  const encode = (rows: RowData) => Buffer.concat(rows.ids.map((id, i) => encodeCommand(['HSET', `row:${id}`, 'r', rowBytes(rows, i)])));
  const hset = async (w: number, cmds: Buffer) => checkReplies(await conns[w % WRITERS]!.pipeline(cmds, BATCH_ROWS));
  const redisPreload = preload.map(encode);
  await pool(redisPreload.length, WRITERS, (i) => hset(i, redisPreload[i]!));
  const redisTimed = timedBatches.map(encode);
  const redisSeconds = await timed(() => Promise.all(conns.map(async (_c, w) => {
    for (let i = w; i < redisTimed.length; i += WRITERS) await hset(w, redisTimed[i]!);
  })).then(() => undefined));
  const redisRate = upserts / redisSeconds;
  const dbsize = Number(await conns[0]!.command(['DBSIZE']));
  for (const c of conns) c.close();
  await redis.stop();

  const over = (rate: number) => round(rate / redisRate, 2);
  return {
    bench: 'upsert',
    ...(SHORT ? { short: true } : {}),
    setup: {
      rowPayloadBytes: ROW_BYTES, batchRows: BATCH_ROWS, writers: WRITERS, keySpace: KEYS, preloadedKeys: PRELOAD_BATCHES * BATCH_ROWS,
      timedUpserts: upserts, updatesShare: 0.5,
      tables: {
        rows: { ...TABLES.rows, loadedBy: 'raw Arrow HTTP' },
        rows_keyed: { ...TABLES.rows_keyed, loadedBy: 'raw Arrow HTTP' },
        rows_client: { ...TABLES.rows_client, loadedBy: 'raw Arrow HTTP, then the timed upserts by the UpsertWriter' },
      },
      durability: 'lakestream acknowledges after the changelog fdatasync; the LMDB index follows in batched transactions (lookups read the memtable first; a restart replays the log)',
    },
    lakestream: { rawArrowHttp: { rows: one, rows_keyed: keyed }, upsertWriter: { table: 'rows_client', ...client } },
    peer: { name: `redis ${redis.version} HSET (AOF appendfsync always)`, keysAfter: dbsize, seconds: round(redisSeconds, 2), upsertsPerSec: round(redisRate) },
    ratio: { lakestreamOverRedis: over(one.upsertsPerSec), keyed4BucketsOverRedis: over(keyed.upsertsPerSec), upsertWriterOverRedis: over(client.upsertsPerSec) },
    targets: [
      target('upserts lakestream/redis (1 bucket)', over(one.upsertsPerSec), '>=', 1, 'x'),
      target('upserts lakestream/redis (4 buckets)', over(keyed.upsertsPerSec), '>=', 1.5, 'x'),
      target('upserts lakestream/redis, the standing goal (1 bucket)', over(one.upsertsPerSec), '>=', 2, 'x'),
    ],
    machine: machine(),
  };
}
