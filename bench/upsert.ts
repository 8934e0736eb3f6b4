/**
 * upsert: durable upserts/s of ~100-byte rows into a primary-key table, 4 concurrent writers posting
 * Arrow bodies of 10,000 rows. 500,000 keys are loaded first; the timed run then sends 500,000
 * upserts over a 1,000,000-key space, half of them updates of loaded keys and half new keys.
 *
 * Peer: Redis with AOF `appendfsync always` (fsync before replying), `HSET row:<id> r <100 bytes>`,
 * 4 connections pipelining the same key sequence in rounds of 10,000 commands.
 */
import {
  ARROW, checkReplies, createTable, encodeCommand, machine, makeRows, ok, pool, request, RespClient, round, ROW_BYTES,
  ROW_COLUMNS, rowBytes, rowsIpc, shuffled, startLakestream, startRedis, target, timed, type RowData,
} from './lib.js';

const BATCH_ROWS = 10_000;
const WRITERS = 4;
const KEYS = 1_000_000;
const PRELOAD_BATCHES = 50; // keys 0..499,999
const TIMED_BATCHES = 50; // 500,000 upserts: 250,000 new keys and 250,000 updates

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

export async function run(): Promise<Record<string, unknown>> {
  const { preload, timed: timedBatches } = plan();
  const server = await startLakestream();
  await createTable(server.url, 'bench', 'rows', { columns: ROW_COLUMNS, primaryKey: ['id'] });
  const url = `${server.url}/v1/databases/bench/tables/rows/upsert`;
  const upsert = async (body: Uint8Array) => { await ok(request(url, 'POST', body, { 'content-type': ARROW }), 'upsert'); };
  const preloadBodies = preload.map(rowsIpc);
  const preloadSeconds = await timed(() => pool(preloadBodies.length, WRITERS, (i) => upsert(preloadBodies[i]!)));
  const timedBodies = timedBatches.map(rowsIpc);
  const lsSeconds = await timed(() => pool(timedBodies.length, WRITERS, (i) => upsert(timedBodies[i]!)));
  const upserts = TIMED_BATCHES * BATCH_ROWS;
  const lsRate = upserts / lsSeconds;
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

  const ratio = lsRate / redisRate;
  return {
    bench: 'upsert',
    setup: {
      rowPayloadBytes: ROW_BYTES, batchRows: BATCH_ROWS, writers: WRITERS, keySpace: KEYS, preloadedKeys: PRELOAD_BATCHES * BATCH_ROWS,
      timedUpserts: upserts, updatesShare: 0.5, buckets: 1, durability: 'lakestream acknowledges after the changelog fdatasync; the LMDB index follows in batched transactions (lookups read the memtable first; a restart replays the log)',
    },
    lakestream: { preloadRowsPerSec: round(PRELOAD_BATCHES * BATCH_ROWS / preloadSeconds), seconds: round(lsSeconds, 2), upsertsPerSec: round(lsRate), payloadMBPerSec: round(lsRate * ROW_BYTES / 1e6, 1) },
    peer: { name: `redis ${redis.version} HSET (AOF appendfsync always)`, keysAfter: dbsize, seconds: round(redisSeconds, 2), upsertsPerSec: round(redisRate) },
    ratio: { lakestreamOverRedis: round(ratio, 2) },
    targets: [target('upserts lakestream/redis', round(ratio, 2), '>=', 2, 'x')],
    machine: machine(),
  };
}
