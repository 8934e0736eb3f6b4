/**
 * lookup: point lookups on a primary-key table of ~100-byte rows (300,000 keys loaded first).
 *
 *   - batched: POST .../lookup with 1,000 random keys per request, 4 in flight;
 *   - single: one key per request at a steady 1,000 requests/s (open loop: each request is due at
 *     its slot, and its latency counts from the slot, so a stall is not hidden), p50/p99.
 *
 * Both on the two wires: Arrow keys in and an Arrow record batch out, and JSON keys in, JSON rows
 * out. The targets are on the wire the client's Lookuper uses for that batch size: Arrow for 1,000
 * keys, JSON for one key (below ARROW_LOOKUP_KEYS_MIN); the other wire is reported beside it. Every
 * key is read once before either wire is timed, so both see the same warm LMDB map and row cache.
 * Each batched run is timed after WARM_UP_PASSES untimed passes over the same requests, on both
 * sides: V8 optimizes the server's per-request path (HTTP, routing, key decoding) only after a few
 * hundred requests, and the figure is the steady state, as it is for a server that has been up.
 *
 * Peer: Redis `HGET row:<id> r`, pipelined 1,000 per round trip on 4 connections, and single at the
 * same steady rate on one connection.
 */
import * as A from 'apache-arrow';
import {
  ARROW, checkReplies, createTable, encodeCommand, machine, makeRows, ok, percentile, pool, request, RespClient, round,
  int64Data, ipcOf, ROW_COLUMNS, rowBytes, rowsIpc, shuffled, sleep, startLakestream, startRedis, target, timed,
} from './lib.js';

const KEYS = 300_000;
const LOAD_BATCH_ROWS = 10_000;
const KEYS_PER_REQUEST = 1_000;
const BATCH_REQUESTS = 400; // 400,000 keys
const CONCURRENCY = 4;
const SINGLE_RATE = 1_000; // requests per second
const SINGLE_SECONDS = 5;
const WARM_UP_PASSES = 3;

/**
 * Sends `count` requests on a fixed schedule of `rate` per second (open loop: whatever is due is sent,
 * whether or not earlier replies came back). Latency is counted from the moment a request is sent;
 * the load generator sleeps between slots so it leaves the CPUs to the server.
 */
async function steady(count: number, rate: number, send: (i: number) => Promise<void>): Promise<number[]> {
  const latencies: number[] = new Array(count);
  const start = performance.now();
  const inFlight: Promise<void>[] = [];
  let i = 0;
  while (i < count) {
    const now = performance.now();
    while (i < count && start + (i * 1000) / rate <= now) {
      const sent = performance.now();
      const k = i++;
      inFlight.push(send(k).then(() => { latencies[k] = performance.now() - sent; }));
    }
    if (i < count) await sleep(Math.max(0, start + (i * 1000) / rate - performance.now()));
  }
  await Promise.all(inFlight);
  return latencies.sort((a, b) => a - b);
}

function latencyFigures(sorted: number[]): Record<string, number> {
  return { requests: sorted.length, p50Ms: round(percentile(sorted, 50), 3), p99Ms: round(percentile(sorted, 99), 3), maxMs: round(sorted[sorted.length - 1]!, 3) };
}

/** How one wire format asks for keys and tells whether every key was found. */
interface Wire {
  readonly headers: Record<string, string>;
  body(ids: number[]): Uint8Array | string;
  allFound(reply: Buffer): boolean;
}

const arrowWire: Wire = {
  headers: { 'content-type': ARROW, accept: ARROW },
  body: (ids) => ipcOf([new A.Field('id', new A.Int64(), false)], [int64Data(ids)]),
  allFound: (reply) => {
    const found = A.tableFromIPC(reply).getChild('__found')!;
    return [...found].every((f) => f === true);
  },
};

const jsonWire: Wire = {
  headers: { 'content-type': 'application/json' },
  body: (ids) => JSON.stringify({ keys: ids.map((id) => ({ id })) }),
  allFound: (reply) => !JSON.parse(reply.toString()).rows.some((x: unknown) => x === null),
};

interface WireFigures {
  readonly batched: { seconds: number; keysPerSec: number };
  readonly single: Record<string, number>;
}

/** Batched keys/s and single-key latency of one wire format against the loaded table. */
async function measureWire(url: string, wire: Wire, keyAt: (i: number) => number): Promise<WireFigures> {
  const batchBodies = Array.from({ length: BATCH_REQUESTS }, (_, r) => wire.body(Array.from({ length: KEYS_PER_REQUEST }, (_, i) => keyAt(r * KEYS_PER_REQUEST + i))));
  const lookupBatch = async (r: number) => {
    const reply = await ok(request(url, 'POST', batchBodies[r]!, wire.headers), 'lookup');
    if (r === 0 && !wire.allFound(reply.body)) throw new Error('a loaded key was not found');
  };
  for (let pass = 0; pass < WARM_UP_PASSES; pass++) await pool(BATCH_REQUESTS, CONCURRENCY, lookupBatch);
  const batchSeconds = await timed(() => pool(BATCH_REQUESTS, CONCURRENCY, lookupBatch));
  const singleBodies = Array.from({ length: SINGLE_RATE * SINGLE_SECONDS }, (_, i) => wire.body([keyAt(i * 7)]));
  const lookupOne = async (i: number) => { await ok(request(url, 'POST', singleBodies[i]!, wire.headers), 'lookup'); };
  await steady(500, SINGLE_RATE, lookupOne); // warm-up
  const single = latencyFigures(await steady(singleBodies.length, SINGLE_RATE, lookupOne));
  return { batched: { seconds: round(batchSeconds, 2), keysPerSec: round(BATCH_REQUESTS * KEYS_PER_REQUEST / batchSeconds) }, single };
}

export async function run(): Promise<Record<string, unknown>> {
  const order = shuffled(KEYS, 3);
  const loadBatches = KEYS / LOAD_BATCH_ROWS;
  // Rows are made per load batch and dropped after it: makeRows builds its strings by concatenation,
  // and holding all of them kept ~0.5 GB live in this process, whose GC pauses then landed in the
  // timed phases (a 100+ ms mark-compact in a 1,000 req/s schedule).
  const loadRows = (b: number) => makeRows(order.slice(b * LOAD_BATCH_ROWS, (b + 1) * LOAD_BATCH_ROWS));
  const probe = shuffled(KEYS, 5);
  const keyAt = (i: number) => probe[i % KEYS]!;

  const server = await startLakestream();
  await createTable(server.url, 'bench', 'rows', { columns: ROW_COLUMNS, primaryKey: ['id'] });
  const base = `${server.url}/v1/databases/bench/tables/rows`;
  await pool(loadBatches, CONCURRENCY, async (b) => { await ok(request(`${base}/upsert`, 'POST', rowsIpc(loadRows(b)), { 'content-type': ARROW }), 'load'); });

  await pool(KEYS / KEYS_PER_REQUEST, CONCURRENCY, async (r) => {
    await ok(request(`${base}/lookup`, 'POST', arrowWire.body(Array.from({ length: KEYS_PER_REQUEST }, (_, i) => r * KEYS_PER_REQUEST + i)), arrowWire.headers), 'warm-up');
  });
  const arrow = await measureWire(`${base}/lookup`, arrowWire, keyAt);
  const json = await measureWire(`${base}/lookup`, jsonWire, keyAt);
  await server.stop();

  const redis = await startRedis('everysec');
  const conns = await Promise.all(Array.from({ length: CONCURRENCY }, () => RespClient.connect(redis.port)));
  await pool(loadBatches, CONCURRENCY, async (b) => {
    const rows = loadRows(b);
    const cmds = Buffer.concat(rows.ids.map((id, i) => encodeCommand(['HSET', `row:${id}`, 'r', rowBytes(rows, i)])));
    checkReplies(await conns[b % CONCURRENCY]!.pipeline(cmds, LOAD_BATCH_ROWS));
  });
  const getCmds = Array.from({ length: BATCH_REQUESTS }, (_, r) => Buffer.concat(Array.from({ length: KEYS_PER_REQUEST }, (_, i) => encodeCommand(['HGET', `row:${keyAt(r * KEYS_PER_REQUEST + i)}`, 'r']))));
  const hgetBatch = async (w: number, r: number) => {
    const replies = await conns[w]!.pipeline(getCmds[r]!, KEYS_PER_REQUEST);
    checkReplies(replies);
    if (replies.some((x) => x === null)) throw new Error('redis: a loaded key was not found');
  };
  const hgetAll = () => Promise.all(conns.map(async (_c, w) => {
    for (let r = w; r < BATCH_REQUESTS; r += CONCURRENCY) await hgetBatch(w, r);
  })).then(() => undefined);
  for (let pass = 0; pass < WARM_UP_PASSES; pass++) await hgetAll();
  const redisBatchSeconds = await timed(hgetAll);
  const redisBatchRate = BATCH_REQUESTS * KEYS_PER_REQUEST / redisBatchSeconds;
  const singleCmds = Array.from({ length: SINGLE_RATE * SINGLE_SECONDS }, (_, i) => encodeCommand(['HGET', `row:${keyAt(i * 7)}`, 'r']));
  const hgetOne = async (i: number) => checkReplies(await conns[0]!.pipeline(singleCmds[i]!, 1));
  await steady(500, SINGLE_RATE, hgetOne);
  const redisSingle = latencyFigures(await steady(singleCmds.length, SINGLE_RATE, hgetOne));
  for (const c of conns) c.close();
  await redis.stop();

  return {
    bench: 'lookup',
    setup: { buckets: 1, bucketKey: ['id'], keys: KEYS, keysPerBatchRequest: KEYS_PER_REQUEST, batchRequests: BATCH_REQUESTS, concurrency: CONCURRENCY, singleRatePerSec: SINGLE_RATE, singleSeconds: SINGLE_SECONDS, warmUpPasses: WARM_UP_PASSES, wires: { arrow: 'Arrow keys in, one Arrow record batch out', json: 'JSON keys in, JSON rows out' } },
    lakestream: { arrow, json },
    peer: { name: `redis ${redis.version} HGET`, batched: { seconds: round(redisBatchSeconds, 2), keysPerSec: round(redisBatchRate) }, single: redisSingle },
    ratio: {
      batchedArrowOverRedis: round(arrow.batched.keysPerSec / redisBatchRate, 2), batchedJsonOverRedis: round(json.batched.keysPerSec / redisBatchRate, 2),
      singleP99ArrowOverRedis: round(arrow.single.p99Ms! / redisSingle.p99Ms!, 2), singleP99JsonOverRedis: round(json.single.p99Ms! / redisSingle.p99Ms!, 2),
    },
    targets: [
      target('batched lookups keys/s (Arrow, the client\'s wire for 1,000 keys)', arrow.batched.keysPerSec, '>=', 500_000, 'keys/s'),
      target('single lookup p99 at 1,000 req/s (JSON, the client\'s wire for one key)', json.single.p99Ms!, '<=', 2, 'ms'),
    ],
    machine: machine(),
  };
}
