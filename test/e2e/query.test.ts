import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startServer, type ServerProcess } from './helpers.js';

const run = promisify(execFile);
const CLI = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));
let server: ServerProcess;
const T = '/v1/databases/q/tables';

async function query(sql: string, ...flags: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const r = await run(process.execPath, [CLI, 'query', sql, '--server', server.url, ...flags]);
    return { ...r, code: 0 };
  } catch (e) {
    const err = e as { stdout: string; stderr: string; code: number };
    return { stdout: err.stdout, stderr: err.stderr, code: err.code };
  }
}

async function tiered(table: string, offset: string): Promise<void> {
  for (let i = 0; i < 150; i++) {
    const lake = (await call(server.url, 'GET', `${T}/${table}/lake`)).body;
    if (lake.buckets.every((b: any) => b.tieredOffset === offset)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${table} not tiered to ${offset}`);
}

beforeAll(async () => {
  server = await startServer();
  await call(server.url, 'PUT', '/v1/databases/q');
  const lake = { 'table.datalake.enabled': 'true', 'table.datalake.freshness': '1s' };
  await call(server.url, 'PUT', `${T}/events`, { columns: [{ name: 'id', type: 'int64' }, { name: 'kind', type: 'string' }], properties: lake });
  await call(server.url, 'PUT', `${T}/users`, { columns: [{ name: 'id', type: 'int64' }, { name: 'name', type: 'string' }], primaryKey: ['id'], properties: lake });
  await call(server.url, 'POST', `${T}/events/append`, Array.from({ length: 30 }, (_, i) => ({ id: i, kind: i % 3 === 0 ? 'click' : 'view' })));
  await call(server.url, 'POST', `${T}/users/upsert`, [{ id: 1, name: 'ann' }, { id: 2, name: 'bob' }, { id: 3, name: 'cy' }]);
  await tiered('events', '30');
  await tiered('users', '3');
});
afterAll(async () => {
  await server.stop();
});

describe('lakestream query', () => {
  it('runs SQL over a log table\'s lake snapshot', async () => {
    const r = await query('SELECT kind, count(*) AS n FROM q.events GROUP BY kind ORDER BY kind', '--format', 'json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([{ kind: 'click', n: 10 }, { kind: 'view', n: 20 }]);
  });

  it('merges a primary-key table by key, and with --fresh includes the untiered tail', async () => {
    await call(server.url, 'POST', `${T}/users/upsert`, [{ id: 1, name: 'anna' }]);
    await call(server.url, 'POST', `${T}/users/delete`, [{ id: 2 }]);
    const fresh = await query('SELECT id, name FROM q.users ORDER BY id', '--fresh', '--format', 'csv');
    expect(fresh.stdout).toBe('id,name\n1,anna\n3,cy\n');
    const table = await query('SELECT count(*) AS n FROM q.users');
    expect(table.stdout).toMatch(/\| n +\|/);
  });

  it('says what is wrong with bad SQL, with a non-zero exit', async () => {
    const r = await query('SELEC nonsense');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/lakestream: DuckDB: .*syntax/i);
  });
});
