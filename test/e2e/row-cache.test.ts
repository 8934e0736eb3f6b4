import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/common/seeded-random.js';
import { call, startServer, type ServerProcess } from './helpers.js';

// A row cache of 1 MiB (one segment) over 6,000 rows of ~200 bytes: it fills and is evicted over
// and over, and a 20 ms flush interval writes through it between almost every pair of requests.
const ARGS = ['--index-row-cache-size', '1mb', '--index-flush-interval', '20ms'];
const T = '/v1/databases/c/tables/items';
const KEYS = 6_000;

let server: ServerProcess | undefined;
beforeAll(async () => {
  server = await startServer({ args: ARGS });
  await call(server.url, 'PUT', '/v1/databases/c');
});
afterAll(async () => {
  await server?.stop();
});

describe('the row cache in front of LMDB', () => {
  it('never answers a stale row while it evicts and writes through (updates, deletes, re-inserts)', async () => {
    const url = server!.url;
    const table = { columns: [{ name: 'id', type: 'int32', nullable: false }, { name: 'v', type: 'string' }], primaryKey: ['id'], buckets: 2 };
    expect((await call(url, 'PUT', T, table)).status).toBe(201);
    const random = seededRandom(7);
    const model = new Map<number, string>();
    const pad = 'x'.repeat(180);
    for (let round = 0; round < 8; round++) {
      const upserts: { id: number; v: string }[] = [];
      const deletes: { id: number }[] = [];
      for (let i = 0; i < 2_000; i++) {
        const id = Math.floor(random() * KEYS);
        if (random() < 0.2) deletes.push({ id });
        else upserts.push({ id, v: `${round}-${i}-${pad}` });
      }
      expect((await call(url, 'POST', `${T}/upsert`, upserts)).status).toBe(200);
      for (const r of upserts) model.set(r.id, r.v);
      expect((await call(url, 'POST', `${T}/delete`, deletes)).status).toBe(200);
      for (const d of deletes) model.delete(d.id);
      // Let flushes land, then read every key twice: the first read may fill the cache, the second hits it.
      await new Promise((r) => setTimeout(r, 60));
      for (let pass = 0; pass < 2; pass++) {
        for (let from = 0; from < KEYS; from += 1_000) {
          const ids = Array.from({ length: 1_000 }, (_, i) => from + i);
          const r = await call(url, 'POST', `${T}/lookup`, { keys: ids.map((id) => ({ id })) });
          expect(r.status).toBe(200);
          const got = (r.body.rows as ({ v: string } | null)[]).map((row) => row?.v ?? null);
          expect(got).toEqual(ids.map((id) => model.get(id) ?? null));
        }
      }
    }
    const metrics = Buffer.from((await call<Uint8Array>(url, 'GET', '/metrics')).body).toString();
    const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(metrics)?.[1]);
    expect(value('lakestream_index_row_cache_hits_total')).toBeGreaterThan(10_000);
    expect(value('lakestream_index_row_cache_bytes')).toBeLessThanOrEqual(1024 * 1024);
  });

  it('does not answer for a dropped table once one of the same name is created', async () => {
    const url = server!.url;
    const t = '/v1/databases/c/tables/again';
    const table = { columns: [{ name: 'id', type: 'int32', nullable: false }, { name: 'v', type: 'string' }], primaryKey: ['id'] };
    expect((await call(url, 'PUT', t, table)).status).toBe(201);
    expect((await call(url, 'POST', `${t}/upsert`, [{ id: 1, v: 'old' }])).status).toBe(200);
    expect((await call(url, 'GET', `${t}/buckets/0/rows`)).status).toBe(200); // into LMDB
    expect((await call(url, 'POST', `${t}/lookup`, { keys: [{ id: 1 }, { id: 2 }] })).body.rows).toEqual([{ id: 1, v: 'old' }, null]); // cached
    expect((await call(url, 'DELETE', t)).status).toBeLessThan(300);
    expect((await call(url, 'PUT', t, table)).status).toBe(201);
    expect((await call(url, 'POST', `${t}/upsert`, [{ id: 2, v: 'new' }])).status).toBe(200);
    expect((await call(url, 'GET', `${t}/buckets/0/rows`)).status).toBe(200);
    expect((await call(url, 'POST', `${t}/lookup`, { keys: [{ id: 1 }, { id: 2 }] })).body.rows).toEqual([null, { id: 2, v: 'new' }]);
  });
});
