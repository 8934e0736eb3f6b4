import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startServer, type ServerProcess } from './helpers.js';

let server: ServerProcess;
const cols = [{ name: 'id', type: 'int64', nullable: false }, { name: 'name', type: 'string' }];

beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server.stop();
});

describe('catalog over HTTP', () => {
  it('answers health', async () => {
    const r = await call(server.url, 'GET', '/v1/health');
    expect(r).toMatchObject({ status: 200, body: { status: 'ok' } });
  });

  it('creates, lists and refuses a duplicate database', async () => {
    expect((await call(server.url, 'PUT', '/v1/databases/shop')).status).toBe(201);
    const dup = await call(server.url, 'PUT', '/v1/databases/shop');
    expect(dup.status).toBe(409);
    expect(dup.body.error.code).toBe('DATABASE_EXISTS');
    expect((await call(server.url, 'PUT', '/v1/databases/shop?ifNotExists=true')).status).toBe(200);
    expect((await call(server.url, 'GET', '/v1/databases')).body.databases).toContain('shop');
  });

  it('creates and describes a log table and a primary-key table', async () => {
    const r = await call(server.url, 'PUT', '/v1/databases/shop/tables/events', { columns: cols, buckets: 3, properties: { 'table.log.ttl': '3d' } });
    expect(r.status).toBe(201);
    const d = await call(server.url, 'GET', '/v1/databases/shop/tables/events');
    expect(d.body).toMatchObject({ kind: 'log', buckets: 3, bucketKey: [], properties: { 'table.log.ttl': '3d' } });
    const pk = await call(server.url, 'PUT', '/v1/databases/shop/tables/users', { columns: cols, primaryKey: ['id'] });
    expect(pk.body).toMatchObject({ kind: 'primary-key', primaryKey: ['id'], bucketKey: ['id'], buckets: 1 });
    expect((await call(server.url, 'GET', '/v1/databases/shop/tables')).body.tables).toEqual(['events', 'users']);
  });

  it.each([
    [{ columns: [] }, 'INVALID_TABLE_DEFINITION'],
    [{ columns: [{ name: '', type: 'int64' }] }, 'INVALID_TABLE_DEFINITION'],
    [{ columns: [{ name: 'a', type: 'int64' }, { name: 'a', type: 'string' }] }, 'DUPLICATE_COLUMN'],
    [{ columns: [{ name: 'a', type: 'decimal' }] }, 'UNKNOWN_TYPE'],
    [{ columns: cols, primaryKey: ['nope'] }, 'INVALID_KEY'],
    [{ columns: cols, bucketKey: ['nope'] }, 'INVALID_KEY'],
    [{ columns: cols, buckets: 0 }, 'INVALID_BUCKETS'],
    [{ columns: cols, buckets: 1025 }, 'INVALID_BUCKETS'],
    [{ columns: cols, properties: { 'table.unknown': 'x' } }, 'INVALID_PROPERTY'],
    [{ columns: cols, properties: { 'table.log.ttl': 'soon' } }, 'INVALID_PROPERTY'],
    [{ columns: cols, properties: { 'table.log.segment.file-size': '12 parsecs' } }, 'INVALID_PROPERTY'],
    [{ columns: [{ name: '_log_offset', type: 'int64' }] }, 'INVALID_NAME'],
  ])('refuses a bad definition %j with %s', async (def, code) => {
    const r = await call(server.url, 'PUT', '/v1/databases/shop/tables/bad', def);
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe(code);
    expect(r.body.error.message.length).toBeGreaterThan(10);
    expect((await call(server.url, 'GET', '/v1/databases/shop/tables/bad')).status).toBe(404);
  });

  it('answers 404 with a code for unknown databases, tables and routes', async () => {
    expect((await call(server.url, 'GET', '/v1/databases/nope/tables')).body.error.code).toBe('DATABASE_NOT_FOUND');
    expect((await call(server.url, 'GET', '/v1/databases/shop/tables/nope')).body.error.code).toBe('TABLE_NOT_FOUND');
    const r = await call(server.url, 'GET', '/v2/whatever');
    expect(r.status).toBe(404);
    expect(r.body.error.code).toBe('ROUTE_NOT_FOUND');
  });

  it('answers a wrong method on a known path with 405 and Allow, not 404', async () => {
    const r = await call(server.url, 'POST', '/v1/databases/shop?ifNotExists=true');
    expect(r.status).toBe(405);
    expect(r.headers.get('allow')).toBe('DELETE, GET, HEAD, PUT');
    expect(r.body.error).toEqual({ code: 'METHOD_NOT_ALLOWED', message: 'POST is not allowed on /v1/databases/shop?ifNotExists=true; it takes DELETE, GET, HEAD, PUT (see docs/API.md)' });
    const append = await call(server.url, 'GET', '/v1/databases/shop/tables/events/append');
    expect([append.status, append.headers.get('allow'), append.body.error.code]).toEqual([405, 'POST', 'METHOD_NOT_ALLOWED']);
    expect((await call(server.url, 'GET', '/v1/databases')).body.databases).toContain('shop');
  });

  it('creates a table again with ifNotExists=true as a no-op, and refuses it without', async () => {
    const again = await call(server.url, 'PUT', '/v1/databases/shop/tables/users?ifNotExists=true', { columns: cols, primaryKey: ['id'] });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ kind: 'primary-key', created: false });
    const dup = await call(server.url, 'PUT', '/v1/databases/shop/tables/users', { columns: cols, primaryKey: ['id'] });
    expect([dup.status, dup.body.error.code]).toEqual([409, 'TABLE_EXISTS']);
  });

  it('refuses to drop a database with tables unless cascade', async () => {
    await call(server.url, 'PUT', '/v1/databases/tmp');
    await call(server.url, 'PUT', '/v1/databases/tmp/tables/t', { columns: cols });
    const r = await call(server.url, 'DELETE', '/v1/databases/tmp');
    expect(r.body.error.code).toBe('DATABASE_NOT_EMPTY');
    expect((await call(server.url, 'DELETE', '/v1/databases/tmp?cascade=true')).status).toBe(200);
    expect((await call(server.url, 'GET', '/v1/databases')).body.databases).not.toContain('tmp');
  });

  it('drops a table and frees its name', async () => {
    await call(server.url, 'PUT', '/v1/databases/shop/tables/gone', { columns: cols });
    await call(server.url, 'POST', '/v1/databases/shop/tables/gone/append', [{ id: 1, name: 'x' }]);
    expect((await call(server.url, 'DELETE', '/v1/databases/shop/tables/gone')).status).toBe(200);
    await call(server.url, 'PUT', '/v1/databases/shop/tables/gone', { columns: cols });
    const r = await call(server.url, 'GET', '/v1/databases/shop/tables/gone/buckets/0');
    expect(r.body.highWatermark).toBe('0');
  });

  it('keeps the catalog across a restart', async () => {
    await server.stop();
    server = await startServer({ dataDir: server.dataDir });
    expect((await call(server.url, 'GET', '/v1/databases/shop/tables')).body.tables).toEqual(['events', 'gone', 'users']);
  });
});
