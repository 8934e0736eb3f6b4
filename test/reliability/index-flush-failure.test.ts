/**
 * A background index flush that fails (here: the failpoint `index.write=throw@3` makes the index
 * writer thread's third LMDB write throw, in the middle of a load) must not kill the server. Before
 * the fix, a size-triggered flush between one and two memtables was never awaited, its rejection
 * went unhandled and Node exited. Now: the server stays up, that table's next write is a 503
 * STORAGE_ERROR the client does not retry, /v1/health names the table, other tables and every read
 * keep working, and after a restart the index holds exactly what was acknowledged.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { call, startServer, tempDir, type ServerProcess } from '../e2e/helpers.js';

const DB = '/v1/databases/f';
const COLUMNS = [{ name: 'id', type: 'int64', nullable: false }, { name: 'payload', type: 'string' }];
const ROWS_PER_REQUEST = 400;
const PAYLOAD = 'x'.repeat(1000);
const ARGS = ['--index-memtable-size', '1mb', '--index-flush-interval', '10m'];

let server: ServerProcess | undefined;
afterEach(async () => {
  await server?.kill9();
  server = undefined;
});

const rowsOf = (request: number) => Array.from({ length: ROWS_PER_REQUEST }, (_, i) => ({ id: request * ROWS_PER_REQUEST + i, payload: `${request}:${PAYLOAD}` }));

async function lookupAll(url: string, table: string, ids: number[]): Promise<unknown[]> {
  const rows: unknown[] = [];
  for (let i = 0; i < ids.length; i += 1000) {
    const r = await call(url, 'POST', `${DB}/tables/${table}/lookup`, { keys: ids.slice(i, i + 1000).map((id) => ({ id })) });
    expect(r.status).toBe(200);
    rows.push(...r.body.rows);
  }
  return rows;
}

describe('a failed background index flush', () => {
  it('index flush failure: the server stays up, the table refuses writes with a 503 STORAGE_ERROR, health names it, a restart replays what was acknowledged', async () => {
    const dataDir = tempDir();
    server = await startServer({ dataDir, args: ARGS, env: { LAKESTREAM_FAILPOINTS: 'index.write=throw@3' } });
    await call(server.url, 'PUT', DB);
    for (const t of ['loaded', 'other']) expect((await call(server.url, 'PUT', `${DB}/tables/${t}`, { columns: COLUMNS, primaryKey: ['id'] })).status).toBe(201);
    expect((await call(server.url, 'PUT', `${DB}/tables/events`, { columns: COLUMNS })).status).toBe(201);

    // Load until the table refuses: each request is ~0.4 MB, so a 1 MB memtable flushes every few requests.
    const acknowledged: number[] = [];
    let refusal: { status: number; body: any } | undefined;
    for (let request = 0; request < 200 && !refusal; request++) {
      const r = await call(server.url, 'POST', `${DB}/tables/loaded/upsert`, rowsOf(request));
      if (r.status === 200) acknowledged.push(request);
      else refusal = r;
    }
    expect(refusal?.status).toBe(503);
    expect(refusal?.body.error.code).toBe('STORAGE_ERROR');
    expect(refusal?.body.error.message).toMatch(/table f\.loaded bucket 0: the index could not be written \(failpoint index\.write.*until a restart replays the changelog/);
    expect(acknowledged.length).toBeGreaterThanOrEqual(4); // two flushes landed before the failing one

    // Still up; still refusing (not a transient fault); no Retry-After invites a retry loop.
    const again = await call(server.url, 'POST', `${DB}/tables/loaded/upsert`, [{ id: -1, payload: 'refused' }]);
    expect([again.status, again.body.error.code, again.headers.get('retry-after')]).toEqual([503, 'STORAGE_ERROR', null]);
    const health = await call(server.url, 'GET', '/v1/health');
    expect(health.body.status).toBe('degraded');
    expect(health.body.storage.failedTables).toEqual([{ table: 'f.loaded', buckets: [{ bucket: 0, message: expect.stringMatching(/until a restart/) }] }]);

    // Other tables take writes; every acknowledged row of the failed table reads back.
    expect((await call(server.url, 'POST', `${DB}/tables/other/upsert`, [{ id: 1, payload: 'other' }])).status).toBe(200);
    expect((await call(server.url, 'POST', `${DB}/tables/events/append`, [{ id: 1, payload: 'event' }])).status).toBe(200);
    expect(await lookupAll(server.url, 'other', [1])).toEqual([{ id: 1, payload: 'other' }]);
    const ackIds = acknowledged.flatMap((req) => rowsOf(req).map((row) => row.id));
    const expected = acknowledged.flatMap((req) => rowsOf(req));
    expect(await lookupAll(server.url, 'loaded', ackIds)).toEqual(expected);

    // kill -9 and restart without the failpoint: the index is the changelog's replay.
    await server.kill9();
    server = await startServer({ dataDir, port: server.port, args: ARGS });
    expect(await lookupAll(server.url, 'loaded', ackIds)).toEqual(expected);
    const refusedIds = rowsOf(acknowledged.length).map((row) => row.id).concat([-1]);
    expect((await lookupAll(server.url, 'loaded', refusedIds)).every((row) => row === null)).toBe(true);
    expect((await call(server.url, 'POST', `${DB}/tables/loaded/upsert`, [{ id: -2, payload: 'after restart' }])).status).toBe(200);
    expect((await call(server.url, 'GET', '/v1/health')).body.status).toBe('ok');
  }, 60_000);
});
