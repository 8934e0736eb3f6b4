import { describe, expect, it } from 'vitest';
import { call, startServer } from './helpers.js';
import { until } from '../reliability/support.js';

const T = '/v1/databases/c/tables/events';
const ROWS_PER_REQUEST = 100;

async function readAll(url: string, buckets: number): Promise<number[]> {
  const ids: number[] = [];
  for (let b = 0; b < buckets; b++) {
    let offset = '0';
    for (;;) {
      const r = await call(url, 'GET', `${T}/buckets/${b}/records?offset=${offset}&maxRecords=100000`);
      expect(r.status).toBe(200);
      for (const rec of r.body.records) ids.push(rec.id);
      if (r.body.nextOffset === r.body.highWatermark) break;
      offset = r.body.nextOffset;
    }
  }
  return ids;
}

describe('kill -9 during appends', () => {
  it('serves every acknowledged row exactly once after a restart, and no partial request', async () => {
    let server = await startServer();
    await call(server.url, 'PUT', '/v1/databases/c');
    await call(server.url, 'PUT', T, { columns: [{ name: 'id', type: 'int64', nullable: false }, { name: 'pad', type: 'string' }], buckets: 2 });
    const acked = new Set<number>();
    let stop = false;
    const writer = async (w: number) => {
      for (let req = 0; !stop; req++) {
        const rows = Array.from({ length: ROWS_PER_REQUEST }, (_, i) => ({ id: w * 1_000_000 + req * ROWS_PER_REQUEST + i, pad: 'p'.repeat(50) }));
        try {
          const r = await call(server.url, 'POST', `${T}/append`, rows);
          if (r.status === 200) for (const row of rows) acked.add(row.id);
        } catch {
          return; // the server died under us
        }
      }
    };
    const writers = [0, 1, 2, 3].map(writer);
    await until('appends acknowledged', async () => acked.size > 1000);
    await server.kill9();
    stop = true;
    await Promise.all(writers);
    expect(acked.size).toBeGreaterThan(1000);

    server = await startServer({ dataDir: server.dataDir, port: server.port });
    const ids = await readAll(server.url, 2);
    expect(new Set(ids).size).toBe(ids.length);
    const present = new Set(ids);
    for (const id of acked) expect(present.has(id)).toBe(true);
    const perRequest = new Map<number, number>();
    for (const id of ids) perRequest.set(Math.floor(id / ROWS_PER_REQUEST), (perRequest.get(Math.floor(id / ROWS_PER_REQUEST)) ?? 0) + 1);
    for (const n of perRequest.values()) expect(n).toBe(ROWS_PER_REQUEST);
    // And it keeps appending after recovery.
    expect((await call(server.url, 'POST', `${T}/append`, [{ id: -1 }])).status).toBe(200);
    await server.stop();
  });
});

describe('kill -9 during upserts', () => {
  it('restarts with an index equal to the replay of the changelog, holding every acknowledged write', async () => {
    const P = '/v1/databases/c/tables/users';
    let server = await startServer();
    await call(server.url, 'PUT', '/v1/databases/c');
    await call(server.url, 'PUT', P, { columns: [{ name: 'id', type: 'int32' }, { name: 'v', type: 'int64' }], primaryKey: ['id'], buckets: 2 });
    const ackedVersion = new Map<number, number>();
    let stop = false;
    const writer = async (w: number) => {
      for (let round = 1; !stop; round++) {
        // Each writer owns keys w*100..w*100+99 and writes version `round` to all of them.
        const rows = Array.from({ length: 100 }, (_, i) => ({ id: w * 100 + i, v: round }));
        try {
          const r = await call(server.url, 'POST', `${P}/upsert`, rows);
          if (r.status !== 200) return;
          for (const row of rows) ackedVersion.set(row.id, round);
        } catch {
          return;
        }
      }
    };
    const writers = [0, 1, 2].map(writer);
    await until('every key upserted at least twice', async () => ackedVersion.size === 300 && Math.min(...ackedVersion.values()) >= 2);
    await server.kill9();
    stop = true;
    await Promise.all(writers);
    expect(ackedVersion.size).toBe(300);

    server = await startServer({ dataDir: server.dataDir, port: server.port });
    const replay = new Map<number, number>();
    for (let b = 0; b < 2; b++) {
      let offset = '0';
      for (;;) {
        const r = await call(server.url, 'GET', `${P}/buckets/${b}/records?offset=${offset}&maxRecords=100000`);
        for (const rec of r.body.records) {
          if (rec._change_type === '-D') replay.delete(rec.id);
          else if (rec._change_type !== '-U') replay.set(rec.id, rec.v);
        }
        if (r.body.nextOffset === r.body.highWatermark) break;
        offset = r.body.nextOffset;
      }
    }
    const ids = Array.from({ length: 300 }, (_, i) => ({ id: i }));
    const rows = (await call(server.url, 'POST', `${P}/lookup`, { keys: ids })).body.rows;
    for (let i = 0; i < 300; i++) {
      expect(rows[i]?.v).toBe(replay.get(i));
      expect(rows[i].v).toBeGreaterThanOrEqual(ackedVersion.get(i)!);
    }
    await server.stop();
  });
});
