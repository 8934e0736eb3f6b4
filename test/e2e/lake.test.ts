import { DuckDBInstance } from '@duckdb/node-api';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startServer, type ServerProcess } from './helpers.js';

let server: ServerProcess;
const T = '/v1/databases/lk/tables';
const FAST = { 'table.datalake.enabled': 'true', 'table.datalake.freshness': '1s', 'table.log.segment.file-size': '2kb', 'table.log.ttl': '1s' };

async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function readAll(table: string, bucket: number, from = 0, accept = 'application/json'): Promise<any[]> {
  const out: any[] = [];
  let offset = String(from);
  for (;;) {
    const r = await call(server.url, 'GET', `${T}/${table}/buckets/${bucket}/records?offset=${offset}&maxRecords=70`, undefined, { accept });
    expect(r.status).toBe(200);
    out.push(...r.body.records);
    if (r.body.nextOffset === r.body.highWatermark) return out;
    offset = r.body.nextOffset;
  }
}

async function duck(sql: string): Promise<Record<string, unknown>[]> {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  const reader = await conn.runAndReadAll(sql);
  const rows = reader.getRowObjectsJS() as Record<string, unknown>[];
  conn.closeSync();
  return rows;
}

beforeAll(async () => {
  server = await startServer({ args: ['--retention-check-interval', '300ms', '--lake-orphan-grace', '1s'] });
  await call(server.url, 'PUT', '/v1/databases/lk');
});
afterAll(async () => {
  await server.stop();
});

describe('lake tiering of a log table', () => {
  it('tiers into Parquet, drops tiered segments, and still serves every row from offset 0', async () => {
    await call(server.url, 'PUT', `${T}/events`, {
      columns: [{ name: 'id', type: 'int64', nullable: false }, { name: 'msg', type: 'string' }, { name: 'at', type: 'timestamp' }, { name: 'score', type: 'float64' }],
      properties: FAST,
    });
    for (let i = 0; i < 10; i++) {
      const rows = Array.from({ length: 30 }, (_, j) => ({ id: i * 30 + j, msg: `message ${i * 30 + j}`, at: 1_700_000_000_000 + j, score: j / 2 }));
      expect((await call(server.url, 'POST', `${T}/events/append`, rows)).status).toBe(200);
    }
    const lake = await until('tiering', async () => {
      const r = (await call(server.url, 'GET', `${T}/events/lake`)).body;
      return r.buckets[0].tieredOffset === '300' && r;
    });
    expect(lake.files.length).toBeGreaterThan(0);
    expect(lake.files.every((f: any) => f.uri.startsWith('file://') && f.uri.endsWith('.parquet'))).toBe(true);
    await until('retention of tiered segments', async () => Number((await call(server.url, 'GET', `${T}/events/buckets/0`)).body.localLogStartOffset) > 0);
    expect((await call(server.url, 'GET', `${T}/events/buckets/0/offsets?at=earliest`)).body.offset).toBe('0');
    const json = await readAll('events', 0);
    expect(json.map((r) => r.id)).toEqual(Array.from({ length: 300 }, (_, i) => i));
    expect(json[7]).toMatchObject({ id: 7, msg: 'message 7', at: 1_700_000_000_007, score: 3.5, _log_offset: 7, _change_type: '+A' });
    const arrow = await call<Uint8Array>(server.url, 'GET', `${T}/events/buckets/0/records?offset=0&maxRecords=5&columns=id`, undefined, { accept: 'application/vnd.apache.arrow.stream' });
    const { tableFromIPC } = await import('apache-arrow');
    const t = tableFromIPC(arrow.body);
    expect([...t.getChild('id')!]).toEqual([0n, 1n, 2n, 3n, 4n]);
    expect(arrow.headers.get('x-next-offset')).toBe('5');

    // DuckDB, an outside reader, sees the same rows, the right types and row-group statistics.
    const paths = lake.files.map((f: any) => `'${fileURLToPath(f.uri)}'`).join(',');
    const [agg] = await duck(`SELECT count(*) AS n, count(DISTINCT __offset) AS d, min(__offset) AS lo, max(__offset) AS hi, sum(id) AS s FROM read_parquet([${paths}])`);
    expect(agg).toMatchObject({ n: 300n, d: 300n, lo: 0n, hi: 299n, s: 44850n });
    const types = Object.fromEntries((await duck(`DESCRIBE SELECT * FROM read_parquet([${paths}])`)).map((r) => [r.column_name, r.column_type]));
    expect(types).toMatchObject({ id: 'BIGINT', msg: 'VARCHAR', at: 'TIMESTAMP WITH TIME ZONE', score: 'DOUBLE', __bucket: 'INTEGER', __offset: 'BIGINT' });
    const stats = await duck(`SELECT stats_min_value, stats_max_value FROM parquet_metadata(${paths.split(',')[0]}) WHERE path_in_schema = '__offset'`);
    expect(stats[0]!.stats_min_value).not.toBeNull();
  });

  it('rolls a small table\'s only segment by time, so tiered rows leave the disk and union read still has them', async () => {
    const properties = { 'table.datalake.enabled': 'true', 'table.datalake.freshness': '1s', 'table.log.segment.roll-interval': '1s', 'table.log.ttl': '2s' };
    expect((await call(server.url, 'PUT', `${T}/small`, { columns: [{ name: 'id', type: 'int64', nullable: false }], properties })).status).toBe(201);
    expect((await call(server.url, 'POST', `${T}/small/append`, Array.from({ length: 20 }, (_, id) => ({ id })))).status).toBe(200);
    await until('tiering', async () => (await call(server.url, 'GET', `${T}/small/lake`)).body.buckets[0].tieredOffset === '20');
    // 20 rows are far below table.log.segment.file-size: only the time roll closes their segment.
    await until('the rolled, tiered segment deleted', async () => (await call(server.url, 'GET', `${T}/small/buckets/0`)).body.localLogStartOffset === '20');
    expect((await call(server.url, 'POST', `${T}/small/append`, [{ id: 20 }, { id: 21 }])).status).toBe(200);
    expect((await readAll('small', 0)).map((r) => r.id)).toEqual(Array.from({ length: 22 }, (_, i) => i));
  });

  it('refuses bad lake properties', async () => {
    const r = await call(server.url, 'PUT', `${T}/bad`, { columns: [{ name: 'a', type: 'int32' }], properties: { 'table.datalake.freshness': '200ms' } });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('INVALID_PROPERTY');
  });
});

describe('lake tiering of a primary-key table', () => {
  it('tiers the changelog and compacts each bucket into exactly the live rows', async () => {
    await call(server.url, 'PUT', `${T}/users`, {
      columns: [{ name: 'id', type: 'int64' }, { name: 'name', type: 'string' }],
      primaryKey: ['id'], buckets: 2, properties: { 'table.datalake.enabled': 'true', 'table.datalake.freshness': '1s' },
    });
    await call(server.url, 'POST', `${T}/users/upsert`, Array.from({ length: 40 }, (_, i) => ({ id: i, name: `v1-${i}` })));
    await call(server.url, 'POST', `${T}/users/upsert`, Array.from({ length: 20 }, (_, i) => ({ id: i, name: `v2-${i}` })));
    await call(server.url, 'POST', `${T}/users/delete`, Array.from({ length: 5 }, (_, i) => ({ id: 30 + i })));
    const compacted = await call(server.url, 'POST', `${T}/users/lake/compact`);
    expect(compacted.status).toBe(200);
    expect(compacted.body.files.length).toBe(2);
    expect(compacted.body.files.every((f: any) => f.kind === 'compacted')).toBe(true);
    const paths = compacted.body.files.map((f: any) => `'${fileURLToPath(f.uri)}'`).join(',');
    const rows = await duck(`SELECT id, name FROM read_parquet([${paths}]) ORDER BY id`);
    const expected = Array.from({ length: 40 }, (_, i) => i).filter((i) => i < 30 || i >= 35).map((i) => ({ id: BigInt(i), name: i < 20 ? `v2-${i}` : `v1-${i}` }));
    expect(rows).toEqual(expected);
    const cols = (await duck(`DESCRIBE SELECT * FROM read_parquet([${paths}])`)).map((r) => r.column_name);
    expect(cols).not.toContain('__change_type');
  });

  it('refuses compaction of a log table', async () => {
    const r = await call(server.url, 'POST', `${T}/events/lake/compact`);
    expect(r.status).toBe(400);
  });
});
