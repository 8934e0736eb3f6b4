import { afterAll, describe, expect, it } from 'vitest';
import { call, startServer, type ServerProcess } from './helpers.js';

const MB = 1024 * 1024;
const TOTAL_BYTES_MAX = 4 * MB;
// Per bucket the memtables could hold 64 MB each and the timer never flushes: only the total cap
// (--index-memtable-total-size) keeps 32 buckets' memtables small.
const ARGS = ['--index-memtable-size', '64mb', '--index-memtable-total-size', String(TOTAL_BYTES_MAX), '--index-flush-interval', '1h'];
const T = '/v1/databases/mt/tables/wide';
const BUCKETS = 32;
const REQUESTS = 40;
const ROWS_PER_REQUEST = 100;
const value = (id: number) => `${id}:${'v'.repeat(2000)}`;

let server: ServerProcess | undefined;
afterAll(async () => {
  await server?.stop();
});

async function memtableBytes(): Promise<number> {
  const text = await (await fetch(`${server!.url}/metrics`)).text();
  return [...text.matchAll(/^lakestream_index_memtable_bytes\{[^}]*\} (\d+)$/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
}

describe('--index-memtable-total-size', () => {
  it('keeps the memtables of 32 buckets under one cap while 8 MB is upserted, and every acknowledged row reads back', async () => {
    server = await startServer({ args: ARGS });
    await call(server.url, 'PUT', '/v1/databases/mt');
    const table = { columns: [{ name: 'id', type: 'int32', nullable: false }, { name: 'v', type: 'string' }], primaryKey: ['id'], buckets: BUCKETS };
    expect((await call(server.url, 'PUT', T, table)).status).toBe(201);
    let highest = 0;
    for (let r = 0; r < REQUESTS; r++) {
      const rows = Array.from({ length: ROWS_PER_REQUEST }, (_, i) => ({ id: r * ROWS_PER_REQUEST + i, v: value(r * ROWS_PER_REQUEST + i) }));
      expect((await call(server.url, 'POST', `${T}/upsert`, rows)).status).toBe(200);
      highest = Math.max(highest, await memtableBytes());
    }
    // An acknowledged write waited until the total was under the cap; the request's other buckets
    // may each have added their rows and a new memtable's table (8 KiB) meanwhile.
    expect(highest).toBeLessThan(TOTAL_BYTES_MAX + MB);
    expect(highest).toBeGreaterThan(TOTAL_BYTES_MAX / 4); // the memtables were used, not bypassed
    const ids = Array.from({ length: REQUESTS * ROWS_PER_REQUEST }, (_, id) => id);
    const found = await call(server.url, 'POST', `${T}/lookup`, { keys: ids.map((id) => ({ id })) });
    expect(found.status).toBe(200);
    expect(found.body.rows.map((row: { v: string } | null) => row?.v)).toEqual(ids.map(value));
  });
});
