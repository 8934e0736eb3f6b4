import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../src/client/index.js';
import { call, startServer, tempDir, type ServerProcess } from './helpers.js';

const ADMIN = 'admin-token-0123456789abcdef';
const OWNER = 'shop-owner-token-0123456789';
const READER = 'orders-reader-token-012345';
const WRITER = 'orders-writer-token-012345';
const VIEWER = 'global-viewer-token-012345';
const STRANGER = 'other-db-only-token-012345';
const WRONG = 'not-a-known-token-0123456789';
const ROTATED = 'rotated-token-after-sighup-01';
const ALL_TOKENS = [ADMIN, OWNER, READER, WRITER, VIEWER, STRANGER, WRONG, ROTATED];

const policy = {
  tokens: {
    [ADMIN]: { principal: 'admin', super: true },
    [OWNER]: { principal: 'shop-owner', grants: [{ resource: 'shop.*', operations: ['read', 'write', 'create', 'drop', 'describe'] }] },
    [READER]: { principal: 'orders-reader', grants: [{ resource: 'shop.orders', operations: ['read', 'describe'] }] },
    [WRITER]: { principal: 'orders-writer', grants: [{ resource: 'shop.orders', operations: ['write'] }] },
    [VIEWER]: { principal: 'viewer', grants: [{ resource: '*', operations: ['describe'] }] },
    [STRANGER]: { principal: 'stranger', grants: [{ resource: 'other.*', operations: ['read', 'write'] }] },
  },
};

const T = '/v1/databases/shop/tables';
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

let dir: string;
let authFile: string;
let server: ServerProcess;

function writePolicy(doc: unknown): void {
  // Written beside and renamed, as an operator's tooling would: the server never sees half a file.
  fs.writeFileSync(`${authFile}.tmp`, typeof doc === 'string' ? doc : JSON.stringify(doc), { mode: 0o600 });
  fs.renameSync(`${authFile}.tmp`, authFile);
}

async function as(token: string | undefined, method: string, url: string, body?: unknown) {
  return call(server.url, method, url, body, token ? bearer(token) : {});
}

/** Expects 401 without a token and with a wrong one, 403 with `denied`, and a 2xx with `allowed`. */
async function guarded(method: string, url: string, body: unknown, denied: string, allowed: string): Promise<any> {
  const none = await as(undefined, method, url, body);
  expect(none.status, `${method} ${url} without a token`).toBe(401);
  expect(none.body.error.code).toBe('UNAUTHENTICATED');
  expect(none.headers.get('www-authenticate')).toBe('Bearer realm="lakestream"');
  const wrong = await as(WRONG, method, url, body);
  expect(wrong.status, `${method} ${url} with a wrong token`).toBe(401);
  const forbidden = await as(denied, method, url, body);
  expect(forbidden.status, `${method} ${url} without the grant`).toBe(403);
  expect(forbidden.body.error.code).toBe('FORBIDDEN');
  const ok = await as(allowed, method, url, body);
  expect(ok.status, `${method} ${url} with the grant: ${JSON.stringify(ok.body)}`).toBeGreaterThanOrEqual(200);
  expect(ok.status).toBeLessThan(300);
  return ok.body;
}

beforeAll(async () => {
  dir = tempDir('lakestream-auth-');
  authFile = path.join(dir, 'auth.json');
  writePolicy(policy);
  server = await startServer({ args: ['--auth-file', authFile] });
});
afterAll(async () => {
  await server.stop();
});

describe('auth: bearer tokens and grants', () => {
  it('leaves /v1/health open and guards everything else, unknown routes included', async () => {
    expect((await as(undefined, 'GET', '/v1/health')).status).toBe(200);
    expect((await as(undefined, 'GET', '/v2/nothing')).status).toBe(401);
    expect((await as(ADMIN, 'GET', '/v2/nothing')).body.error.code).toBe('ROUTE_NOT_FOUND');
    const basic = await call(server.url, 'GET', '/v1/databases', undefined, { authorization: `Basic ${ADMIN}` });
    expect(basic.status).toBe(401);
    expect(basic.body.error.message).toContain('Bearer <token>');
  });

  it('guards database create and drop on db.*', async () => {
    await guarded('PUT', '/v1/databases/shop', undefined, READER, OWNER);
    const otherDb = await as(OWNER, 'PUT', '/v1/databases/other');
    expect(otherDb.status).toBe(403);
    expect(otherDb.body.error.message).toBe("principal 'shop-owner' may not create other.*");
    expect((await as(ADMIN, 'PUT', '/v1/databases/other')).status).toBe(201);
    await guarded('DELETE', '/v1/databases/other', undefined, OWNER, ADMIN);
  });

  it('guards table create, describe and drop on db.table', async () => {
    const orders = { columns: [{ name: 'id', type: 'int64', nullable: false }, { name: 'item', type: 'string' }] };
    await guarded('PUT', `${T}/orders`, orders, READER, OWNER);
    const users = {
      columns: [{ name: 'region', type: 'string', nullable: false }, { name: 'id', type: 'int64', nullable: false }, { name: 'name', type: 'string' }],
      primaryKey: ['region', 'id'], bucketKey: ['region'], buckets: 2,
      properties: { 'table.datalake.enabled': 'true', 'table.datalake.freshness': '1h' },
    };
    await guarded('PUT', `${T}/users`, users, WRITER, OWNER);
    expect((await guarded('GET', `${T}/orders`, undefined, STRANGER, READER)).name).toBe('orders');
    // write (like read) implies describe of the same table, so a writer's client can describe it first.
    expect((await as(WRITER, 'GET', `${T}/orders`)).status).toBe(200);
    expect((await as(WRITER, 'GET', `${T}/users`)).status).toBe(403);
    expect((await as(READER, 'GET', `${T}/users`)).status).toBe(403);
    expect((await as(VIEWER, 'GET', `${T}/users`)).status).toBe(200);
    await guarded('PUT', `${T}/scratch`, orders, VIEWER, ADMIN);
    await guarded('DELETE', `${T}/scratch`, undefined, READER, OWNER);
  });

  it('filters lists to what the principal has grants on', async () => {
    // Listing databases needs only a valid token: it shows the databases the principal has a grant in.
    expect((await as(undefined, 'GET', '/v1/databases')).status).toBe(401);
    expect((await as(READER, 'GET', '/v1/databases')).body.databases).toEqual(['shop']);
    expect((await as(VIEWER, 'GET', '/v1/databases')).body.databases).toEqual(['shop']);
    await as(ADMIN, 'PUT', '/v1/databases/hidden');
    expect((await as(READER, 'GET', '/v1/databases')).body.databases).toEqual(['shop']);
    expect((await as(ADMIN, 'GET', '/v1/databases')).body.databases).toEqual(['hidden', 'shop']);
    expect((await as(VIEWER, 'GET', '/v1/databases')).body.databases).toEqual(['hidden', 'shop']);
    expect((await as(READER, 'GET', `${T}`)).body.tables).toEqual(['orders']);
    expect((await as(READER, 'GET', '/v1/databases/shop')).body.tables).toEqual(['orders']);
    expect((await as(OWNER, 'GET', `${T}`)).body.tables).toEqual(['orders', 'users']);
    const hidden = await as(READER, 'GET', '/v1/databases/hidden/tables');
    expect(hidden.status).toBe(403);
    expect(hidden.body.error.message).toContain("principal 'orders-reader' may not describe hidden.*");
  });

  it('guards log writes (write) and reads (read) and bucket stats (describe)', async () => {
    const appended = await guarded('POST', `${T}/orders/append`, [{ id: 1, item: 'tea' }, { id: 2, item: 'jam' }], READER, WRITER);
    expect(appended.rows).toBe(2);
    const recs = await guarded('GET', `${T}/orders/buckets/0/records?offset=0`, undefined, WRITER, READER);
    expect(recs.records.map((r: any) => r.item)).toEqual(['tea', 'jam']);
    expect((await guarded('GET', `${T}/orders/buckets/0/offsets?at=latest`, undefined, WRITER, READER)).offset).toBe('2');
    expect((await guarded('GET', `${T}/orders/buckets/0`, undefined, STRANGER, READER)).highWatermark).toBe('2');
    // The reader's grant names shop.orders only; the owner's shop.* covers it too.
    expect((await as(OWNER, 'GET', `${T}/orders/buckets/0/records`)).status).toBe(200);
    expect((await as(ADMIN, 'POST', `${T}/orders/append`, [{ id: 3 }])).status).toBe(200);
  });

  it('guards primary-key writes and lookups, scans and the lake', async () => {
    await guarded('POST', `${T}/users/upsert`, [{ region: 'eu', id: 1, name: 'ann' }, { region: 'eu', id: 2, name: 'bob' }], WRITER, OWNER);
    await guarded('POST', `${T}/users/delete`, [{ region: 'eu', id: 2 }], READER, OWNER);
    const found = await guarded('POST', `${T}/users/lookup`, { keys: [{ region: 'eu', id: 1 }] }, READER, OWNER);
    expect(found.rows).toEqual([{ region: 'eu', id: 1, name: 'ann' }]);
    expect((await guarded('POST', `${T}/users/prefix-lookup`, { prefixes: [{ region: 'eu' }] }, READER, OWNER)).rows[0]).toHaveLength(1);
    expect((await guarded('GET', `${T}/users/buckets/0/rows`, undefined, WRITER, OWNER)).rows).toBeDefined();
    expect((await guarded('GET', `${T}/users/lake`, undefined, READER, OWNER)).status.enabled).toBe(true);
    await guarded('GET', `${T}/users/lake/snapshots`, undefined, READER, OWNER);
    await guarded('POST', `${T}/users/lake/compact`, undefined, VIEWER, OWNER);
  });

  it('guards /metrics with describe on *', async () => {
    const text = await guarded('GET', '/metrics', undefined, OWNER, VIEWER);
    expect(new TextDecoder().decode(text)).toContain('lakestream_errors_total{code="FORBIDDEN"}');
    expect((await as(ADMIN, 'GET', '/metrics')).status).toBe(200);
    const recent = await guarded('GET', '/v1/metrics/recent', undefined, OWNER, VIEWER);
    expect(recent.tables.map((t: { table: string }) => t.table)).toContain('shop.orders');
  });

  it('leaves the console page and /v1/whoami open; whoami names the principal of a valid token only', async () => {
    expect((await as(undefined, 'GET', '/console/')).status).toBe(200);
    expect((await as(undefined, 'GET', '/console/console/main.js')).status).toBe(200);
    expect((await as(undefined, 'GET', '/v1/whoami')).body).toEqual({ authentication: true, principal: null, super: false, grants: [] });
    expect((await as(WRONG, 'GET', '/v1/whoami')).body).toEqual({ authentication: true, principal: null, super: false, grants: [] });
    expect((await as(READER, 'GET', '/v1/whoami')).body).toEqual({ authentication: true, principal: 'orders-reader', super: false, grants: policy.tokens[READER].grants });
    expect((await as(ADMIN, 'GET', '/v1/whoami')).body).toMatchObject({ principal: 'admin', super: true });
  });

  it('works through the client with connect(url, { token })', async () => {
    const conn = connect(server.url, { token: READER, retry: { maxAttempts: 1 } });
    const orders = await conn.table('shop', 'orders');
    expect(await orders.offset(0, 'latest')).toBe(3n);
    await expect(conn.admin().createDatabase('nope')).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(connect(server.url, { retry: { maxAttempts: 1 } }).admin().listDatabases()).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(await connect(server.url).health()).toBe(true);
    await conn.close();
    // A token granted only write on the table describes it and writes through the client (as the CLI does).
    const writerConn = connect(server.url, { token: WRITER, retry: { maxAttempts: 1 } });
    const writable = await writerConn.table('shop', 'orders');
    const w = writable.appendWriter();
    await w.append({ id: 4, item: 'ham' });
    await w.close();
    expect(await orders.offset(0, 'latest')).toBe(4n);
    await writerConn.close();
  });

  it('reloads the auth file on SIGHUP: new tokens work, removed ones stop', async () => {
    const next = { tokens: { [ADMIN]: policy.tokens[ADMIN], [ROTATED]: { principal: 'rotated', grants: [{ resource: 'shop.orders', operations: ['read'] }] } } };
    writePolicy(next);
    process.kill(server.proc.pid!, 'SIGHUP');
    await waitFor(async () => (await as(ROTATED, 'GET', `${T}/orders/buckets/0/offsets`)).status === 200);
    expect((await as(READER, 'GET', `${T}/orders/buckets/0/offsets`)).status).toBe(401);
    expect((await as(ROTATED, 'POST', `${T}/orders/append`, [{ id: 9 }])).status).toBe(403);
    expect(server.output()).toContain('auth file reloaded');
  });

  it('keeps the previous tokens when the reloaded file is bad', async () => {
    writePolicy('{"tokens": {"tinytok1": {"principal": "x", "super": true}}}');
    process.kill(server.proc.pid!, 'SIGHUP');
    await waitFor(async () => server.output().includes('auth file reload failed'));
    expect(server.output()).toContain('the token is shorter than 16 characters');
    expect((await as(ROTATED, 'GET', `${T}/orders/buckets/0/offsets`)).status).toBe(200);
    expect((await as(ADMIN, 'GET', '/v1/databases')).status).toBe(200);
  });

  it('never prints a token, not even on a 401 or a 403', () => {
    const out = server.output();
    expect(out).toContain('"status":401');
    expect(out).toContain('"status":403');
    for (const token of [...ALL_TOKENS, 'tinytok1']) expect(out).not.toContain(token);
    expect(out.toLowerCase()).not.toContain('authorization":');
  });
});

describe('auth: a bad auth file stops the server at start', () => {
  const cases: [string, string | undefined, RegExp][] = [
    ['missing', undefined, /cannot read auth file .*missing\.json: ENOENT/],
    ['not JSON', '{"tokens": ', /auth file .*: it is not valid JSON/],
    ['an unknown operation', JSON.stringify({ tokens: { [ADMIN]: { principal: 'etl', grants: [{ resource: 'shop.*', operations: ['fly'] }] } } }), /token #1 \(principal 'etl'\), grant #1: unknown operation "fly"/],
    ['a bad resource', JSON.stringify({ tokens: { [ADMIN]: { principal: 'etl', grants: [{ resource: 'shop', operations: ['read'] }] } } }), /"resource" must be/],
  ];
  it.each(cases)('refuses %s with a clear message', async (what, content, message) => {
    const d = tempDir('lakestream-badauth-');
    const file = path.join(d, what === 'missing' ? 'missing.json' : 'auth.json');
    if (content !== undefined) fs.writeFileSync(file, content);
    const started = startServer({ dataDir: d, args: ['--auth-file', file] });
    const err: Error = await started.then(
      async (s) => {
        await s.stop();
        throw new Error('the server started');
      },
      (e: Error) => e,
    );
    expect(err.message).toMatch(/server exited with 2/);
    expect(err.message).toMatch(message);
    expect(err.message).not.toContain(ADMIN);
  });

  it('takes the file from LAKESTREAM_AUTH_FILE too', async () => {
    const d = tempDir('lakestream-envauth-');
    const file = path.join(d, 'auth.json');
    fs.writeFileSync(file, JSON.stringify({ tokens: { [ADMIN]: { principal: 'admin', super: true } } }), { mode: 0o600 });
    const s = await startServer({ dataDir: d, env: { LAKESTREAM_AUTH_FILE: file } });
    try {
      expect((await call(s.url, 'GET', '/v1/databases')).status).toBe(401);
      expect((await call(s.url, 'GET', '/v1/databases', undefined, bearer(ADMIN))).status).toBe(200);
    } finally {
      await s.stop();
    }
  });
});

async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}
