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
  // Tables that do not tier into the lake: a log table named with a dash, a primary-key table in two buckets.
  await call(server.url, 'PUT', `${T}/plain-events`, { columns: [{ name: 'id', type: 'int64' }, { name: 'kind', type: 'string' }], buckets: 2 });
  await call(server.url, 'PUT', `${T}/plain_users`, { columns: [{ name: 'id', type: 'int64', nullable: false }, { name: 'name', type: 'string' }], primaryKey: ['id'], buckets: 2 });
  await call(server.url, 'POST', `${T}/plain-events/append`, Array.from({ length: 40 }, (_, i) => ({ id: i, kind: i % 4 === 0 ? 'click' : 'view' })));
  await call(server.url, 'POST', `${T}/plain_users/upsert`, [{ id: 1, name: 'ann' }, { id: 2, name: 'bob' }, { id: 3, name: 'cy' }]);
  await call(server.url, 'POST', `${T}/plain_users/upsert`, [{ id: 2, name: 'bo' }, { id: 3, _change_type: '-D' }]);
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

  it('reads a table that does not tier into the lake from the server, and says so', async () => {
    const log = await query('SELECT kind, count(*) AS n FROM q.plain-events GROUP BY kind ORDER BY kind', '--format', 'json');
    expect(log.code, log.stderr).toBe(0);
    expect(JSON.parse(log.stdout)).toEqual([{ kind: 'click', n: 10 }, { kind: 'view', n: 30 }]);
    expect(log.stderr).toBe("lakestream: q.plain-events does not tier into the lake (table.datalake.enabled is not true): read from the server's log instead\n");
    const pk = await query('SELECT u.id, u.name FROM q.plain_users u ORDER BY u.id', '--format', 'csv');
    expect(pk.code, pk.stderr).toBe(0);
    expect(pk.stdout).toBe('id,name\n1,ann\n2,bo\n');
    expect(pk.stderr).toContain("q.plain_users does not tier into the lake (table.datalake.enabled is not true): read from the server's index instead");
    const quoted = await query('SELECT count(*) AS n FROM "q"."plain-events" JOIN q.plain_users USING (id)', '--format', 'json');
    expect(JSON.parse(quoted.stdout)).toEqual([{ n: 2 }]);
  });

  it('says when a lake table has records not tiered yet (without --fresh)', async () => {
    const hourly = { 'table.datalake.enabled': 'true', 'table.datalake.freshness': '1h' };
    await call(server.url, 'PUT', `${T}/hourly`, { columns: [{ name: 'id', type: 'int64' }], properties: hourly });
    await call(server.url, 'POST', `${T}/hourly/append`, [{ id: 1 }, { id: 2 }]);
    const r = await query('SELECT count(*) AS n FROM q.hourly', '--format', 'json');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([{ n: 0 }]);
    expect(r.stderr).toBe('lakestream: q.hourly: 2 records are not in the lake yet; --fresh reads them too\n');
    const fresh = await query('SELECT count(*) AS n FROM q.hourly', '--fresh', '--format', 'json');
    expect(JSON.parse(fresh.stdout)).toEqual([{ n: 2 }]);
    expect(fresh.stderr).toBe('');
  });

  it('names a table that does not exist in our words, not DuckDB\'s', async () => {
    const noDb = await query('SELECT * FROM shop.events');
    expect(noDb.code).toBe(2);
    expect(noDb.stderr).toBe('lakestream: table shop.events does not exist\n');
    const noTable = await query('SELECT * FROM q.users u JOIN q.nope n USING (id)');
    expect(noTable.stderr).toBe('lakestream: table q.nope does not exist\n');
    const listed = await query('SELECT * FROM q.users, q.missing');
    expect(listed.stderr).toBe('lakestream: table q.missing does not exist\n');
    const bare = await query('SELECT * FROM users');
    expect(bare.stderr).toBe('lakestream: table users does not exist; name tables as db.table\n');
  });

  it('says what is wrong with bad SQL, with a non-zero exit', async () => {
    const r = await query('SELEC nonsense');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/lakestream: DuckDB: .*syntax/i);
  });
});
