/**
 * A write request whose rows go to two buckets is written as one batch per bucket; a kill -9
 * between the two writes (the failpoint `log.after-write` SIGKILLs the server right after the first
 * bucket's write) keeps one part of a request that was never acknowledged. What lakestream promises
 * there, and these tests hold it to: the retry of an idempotent writer (same x-writer-id and
 * x-batch-sequence, as the client sends) completes the request, every row exactly once. Atomicity
 * across buckets without a retry would need transaction markers (Kafka's); docs/ARCHITECTURE.md
 * says so.
 */
import { describe, expect, it } from 'vitest';
import { call, startServer, tempDir } from '../e2e/helpers.js';
import { callRetry, readBucket } from './support.js';

const LOG = '/v1/databases/a/tables/events';
const PK = '/v1/databases/a/tables/users';
const ROWS = Array.from({ length: 40 }, (_, i) => ({ id: i }));

/** Creates the tables, then sends `path`'s request with the failpoint armed; the server dies in it. */
async function killBetweenBuckets(path: string, headers: Record<string, string> = {}) {
  const dataDir = tempDir();
  let server = await startServer({ dataDir });
  await call(server.url, 'PUT', '/v1/databases/a');
  expect((await call(server.url, 'PUT', LOG, { columns: [{ name: 'id', type: 'int64', nullable: false }], buckets: 2, bucketKey: ['id'] })).status).toBe(201);
  expect((await call(server.url, 'PUT', PK, { columns: [{ name: 'id', type: 'int64', nullable: false }, { name: 'v', type: 'int32' }], primaryKey: ['id'], buckets: 2 })).status).toBe(201);
  await server.stop();
  server = await startServer({ dataDir, port: server.port, env: { LAKESTREAM_FAILPOINTS: 'log.after-write' } });
  const outcome = await call(server.url, 'POST', path, path === PK + '/upsert' ? ROWS.map((r) => ({ ...r, v: 1 })) : ROWS, headers).then((r) => r.status, () => 'connection lost');
  await server.kill9();
  expect(outcome).toBe('connection lost');
  server = await startServer({ dataDir, port: server.port });
  return server;
}

async function rowsIn(url: string, table: string): Promise<number[]> {
  const counts = [];
  for (let b = 0; b < 2; b++) counts.push((await readBucket(url, table, b)).records.length);
  return counts;
}

describe('atomicity of a request across buckets under kill -9', () => {
  it('upsert: an idempotent writer\'s retry completes the half-applied request, each key once', async () => {
    const headers = { 'x-writer-id': '78', 'x-batch-sequence': '9' };
    const server = await killBetweenBuckets(`${PK}/upsert`, headers);
    try {
      const upserts = ROWS.map((r) => ({ ...r, v: 1 }));
      const retry = await callRetry(server.url, 'POST', `${PK}/upsert`, upserts, headers);
      expect(retry.status).toBe(200);
      const rows = (await callRetry(server.url, 'POST', `${PK}/lookup`, { keys: ROWS })).body.rows as { v: number }[];
      expect(rows.every((r) => r !== null && r.v === 1)).toBe(true);
      let inserts = 0;
      for (let b = 0; b < 2; b++) inserts += (await readBucket(server.url, PK, b)).records.filter((r) => r._change_type === '+I').length;
      expect(inserts).toBe(ROWS.length);
    } finally {
      await server.stop();
    }
  });

  it('append: an idempotent writer\'s retry completes the half-applied request, without duplicates', async () => {
    const headers = { 'x-writer-id': '77', 'x-batch-sequence': '5' };
    const server = await killBetweenBuckets(`${LOG}/append`, headers);
    try {
      const before = await rowsIn(server.url, LOG);
      expect(before[0]! + before[1]!).toBeLessThan(ROWS.length); // the failpoint did tear it
      const retry = await callRetry(server.url, 'POST', `${LOG}/append`, ROWS, headers);
      expect(retry.status).toBe(200);
      const again = await callRetry(server.url, 'POST', `${LOG}/append`, ROWS, headers);
      expect(again.body).toEqual(retry.body);
      const ids: number[] = [];
      for (let b = 0; b < 2; b++) ids.push(...(await readBucket(server.url, LOG, b)).records.map((r) => r.id));
      expect(ids.sort((x, y) => x - y)).toEqual(ROWS.map((r) => r.id));
    } finally {
      await server.stop();
    }
  });
});
