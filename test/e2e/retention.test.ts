import { afterEach, describe, expect, it } from 'vitest';
import { call, startServer, type ServerProcess } from './helpers.js';

const T = '/v1/databases/r/tables';
// Segments close after 1 s and may go 1 s later; the index reaches LMDB only at a clean close.
const SHORT = { 'table.log.segment.roll-interval': '1s', 'table.log.ttl': '1s' };
const ARGS = ['--retention-check-interval', '200ms', '--index-flush-interval', '1h'];
let server: ServerProcess | undefined;

afterEach(async () => {
  await server?.kill9();
  server = undefined;
});

async function until(what: string, probe: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const logStart = async (url: string, table: string): Promise<string> => (await call(url, 'GET', `${T}/${table}/buckets/0`)).body.localLogStartOffset;

describe('retention with time-rolled segments', () => {
  it('never deletes a primary-key table\'s changelog the index has not applied, so a kill -9 loses nothing', async () => {
    server = await startServer({ args: ARGS });
    expect((await call(server.url, 'PUT', '/v1/databases/r')).status).toBe(201);
    const columns = [{ name: 'id', type: 'int64', nullable: false }, { name: 'v', type: 'string' }];
    expect((await call(server.url, 'PUT', `${T}/kv`, { columns, primaryKey: ['id'], properties: SHORT })).status).toBe(201);
    expect((await call(server.url, 'PUT', `${T}/events`, { columns, properties: SHORT })).status).toBe(201);
    const rows = Array.from({ length: 10 }, (_, id) => ({ id, v: `v${id}` }));
    expect((await call(server.url, 'POST', `${T}/kv/upsert`, rows)).status).toBe(200);
    expect((await call(server.url, 'POST', `${T}/events/append`, rows)).status).toBe(200);
    // The log table beside it shows that its segment rolled and the ttl passed.
    await until('the log table\'s rolled segment deleted', async () => (await logStart(server!.url, 'events')) === '10');
    expect(await logStart(server.url, 'kv')).toBe('0');
    await server.kill9();
    server = await startServer({ dataDir: server.dataDir, args: ARGS });
    const r = await call(server.url, 'POST', `${T}/kv/lookup`, { keys: rows.map(({ id }) => ({ id })) });
    expect(r.status).toBe(200);
    expect(r.body.rows).toEqual(rows);
    // A clean stop flushes the index to LMDB: then the changelog's closed segment may go.
    expect(await server.stop()).toBe(0);
    server = await startServer({ dataDir: server.dataDir, args: ARGS });
    await until('the applied changelog segment deleted', async () => (await logStart(server!.url, 'kv')) === '10');
    expect((await call(server.url, 'POST', `${T}/kv/lookup`, { keys: rows.map(({ id }) => ({ id })) })).body.rows).toEqual(rows);
  });
});
