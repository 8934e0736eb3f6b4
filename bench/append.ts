/**
 * append: rows/s and MB/s into a log table of ~100-byte rows (int64, two strings, a double), Arrow
 * batches of 10,000 rows from 4 concurrent writers, each acknowledged only once fsynced.
 *
 *   - raw: HTTP POST .../append of pre-built Arrow IPC bodies (the load generator does no encoding);
 *   - client: the client's AppendWriter (rows -> Arrow in the load generator, which shares the CPUs);
 *   - peer: Redis Streams, AOF with appendfsync everysec, 4 connections pipelining XADD of the same
 *     100 row bytes, 10,000 commands per round trip.
 */
import { connect } from '../src/client/index.js';
import {
  ARROW, checkReplies, createTable, encodeCommand, machine, makeRows, ok, pool, request, RespClient, round, ROW_BYTES,
  ROW_COLUMNS, rowBytes, rowsIpc, startLakestream, startRedis, target, timed,
} from './lib.js';

const BATCH_ROWS = 10_000;
const WRITERS = 4;
const BODIES = 8;
const RAW_REQUESTS = 500; // 5 M rows
const CLIENT_ROWS = 500_000;
const REDIS_BATCHES = 150; // 1.5 M rows

export async function run(): Promise<Record<string, unknown>> {
  const server = await startLakestream();
  await createTable(server.url, 'bench', 'events', { columns: ROW_COLUMNS });
  await createTable(server.url, 'bench', 'events_client', { columns: ROW_COLUMNS });

  const rowSets = Array.from({ length: BODIES }, (_, b) => makeRows(Array.from({ length: BATCH_ROWS }, (_, i) => b * BATCH_ROWS + i)));
  const bodies = rowSets.map(rowsIpc);
  const bodyBytes = bodies.reduce((n, b) => n + b.length, 0) / BODIES;
  const url = `${server.url}/v1/databases/bench/tables/events/append`;
  const post = (i: number) => ok(request(url, 'POST', bodies[i % BODIES]!, { 'content-type': ARROW }), 'append');

  await pool(8, WRITERS, async (i) => { await post(i); }); // warm-up: JIT, first segment
  const rawSeconds = await timed(() => pool(RAW_REQUESTS, WRITERS, async (i) => { await post(i); }));
  const rawRows = RAW_REQUESTS * BATCH_ROWS;
  const rawRowsPerSec = rawRows / rawSeconds;

  // The client: rows as objects, batched and encoded by the AppendWriter.
  const conn = connect(server.url);
  const table = await conn.table('bench', 'events_client');
  const writer = table.appendWriter({ batchRows: BATCH_ROWS, maxInFlight: WRITERS, lingerMs: 5 });
  const clientSeconds = await timed(async () => {
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
  const clientRowsPerSec = CLIENT_ROWS / clientSeconds;
  await server.stop();

  // Peer: Redis Streams.
  const redis = await startRedis('everysec');
  const conns = await Promise.all(Array.from({ length: WRITERS }, () => RespClient.connect(redis.port)));
  const commands = rowSets.map((rows) => Buffer.concat(Array.from({ length: BATCH_ROWS }, (_, i) => encodeCommand(['XADD', 'events', '*', 'r', rowBytes(rows, i)]))));
  const xadd = async (i: number) => checkReplies(await conns[i % WRITERS]!.pipeline(commands[i % BODIES]!, BATCH_ROWS));
  await pool(4, WRITERS, xadd);
  // Connection w sends batches w, w+4, ...: one pipeline in flight per connection, like one writer.
  const redisSeconds = await timed(() => Promise.all(conns.map(async (_c, w) => {
    for (let i = w; i < REDIS_BATCHES; i += WRITERS) await xadd(i);
  })).then(() => undefined));
  const redisRowsPerSec = REDIS_BATCHES * BATCH_ROWS / redisSeconds;
  for (const c of conns) c.close();
  await redis.stop();

  const mb = (rowsPerSec: number) => round(rowsPerSec * ROW_BYTES / 1e6, 1);
  const ratio = rawRowsPerSec / redisRowsPerSec;
  return {
    bench: 'append',
    setup: {
      rowPayloadBytes: ROW_BYTES, arrowBodyBytesPerRow: round(bodyBytes / BATCH_ROWS, 1), batchRows: BATCH_ROWS, writers: WRITERS,
      buckets: 1, durability: 'lakestream acknowledges after fdatasync (group commit)',
    },
    lakestream: {
      rawArrowHttp: { rows: rawRows, seconds: round(rawSeconds, 2), rowsPerSec: round(rawRowsPerSec), payloadMBPerSec: mb(rawRowsPerSec), bodyMBPerSec: round(rawRowsPerSec * bodyBytes / BATCH_ROWS / 1e6, 1) },
      appendWriter: { rows: CLIENT_ROWS, seconds: round(clientSeconds, 2), rowsPerSec: round(clientRowsPerSec), payloadMBPerSec: mb(clientRowsPerSec) },
    },
    peer: {
      name: `redis ${redis.version} streams (XADD, AOF appendfsync everysec: up to 1 s of acknowledged writes can be lost)`,
      rows: REDIS_BATCHES * BATCH_ROWS, seconds: round(redisSeconds, 2), rowsPerSec: round(redisRowsPerSec), payloadMBPerSec: mb(redisRowsPerSec),
    },
    ratio: { lakestreamRawOverRedis: round(ratio, 2), appendWriterOverRedis: round(clientRowsPerSec / redisRowsPerSec, 2) },
    targets: [
      target('append rows/s (raw Arrow HTTP)', round(rawRowsPerSec), '>=', 1_000_000, 'rows/s'),
      target('append lakestream/redis', round(ratio, 2), '>=', 3, 'x'),
    ],
    machine: machine(),
  };
}
