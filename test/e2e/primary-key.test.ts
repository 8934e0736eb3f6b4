import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startServer, type ServerProcess } from './helpers.js';

let server: ServerProcess;
const T = '/v1/databases/pk/tables';
const users = [
  { name: 'id', type: 'int64', nullable: false },
  { name: 'name', type: 'string' },
  { name: 'city', type: 'string' },
  { name: 'visits', type: 'int32' },
];

async function changelog(table: string, bucket = 0, from = 0): Promise<any[]> {
  return (await call(server.url, 'GET', `${T}/${table}/buckets/${bucket}/records?offset=${from}&maxRecords=100000`)).body.records;
}
async function lookup(table: string, keys: object[]): Promise<any[]> {
  const r = await call(server.url, 'POST', `${T}/${table}/lookup`, { keys });
  expect(r.status).toBe(200);
  return r.body.rows;
}
const types = (recs: any[]) => recs.map((r) => r._change_type).join(' ');

beforeAll(async () => {
  server = await startServer();
  await call(server.url, 'PUT', '/v1/databases/pk');
});
afterAll(async () => {
  await server.stop();
});

describe('primary-key tables: upsert, delete, lookup, changelog', () => {
  it('writes +I, -U/+U and -D and looks rows up', async () => {
    await call(server.url, 'PUT', `${T}/users`, { columns: users, primaryKey: ['id'] });
    let r = await call(server.url, 'POST', `${T}/users/upsert`, [{ id: 1, name: 'ann', city: 'oslo', visits: 1 }, { id: 2, name: 'bob' }]);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ rows: 2, buckets: [{ bucket: 0, baseOffset: '0', rows: 2 }] });
    r = await call(server.url, 'POST', `${T}/users/upsert`, [{ id: 1, name: 'ann', city: 'rome', visits: 2 }]);
    expect(r.body.buckets[0].rows).toBe(2);
    r = await call(server.url, 'POST', `${T}/users/delete`, [{ id: 2 }, { id: 99 }]);
    expect(r.body.buckets[0].rows).toBe(1);
    expect(types(await changelog('users'))).toBe('+I +I -U +U -D');
    const log = await changelog('users');
    expect(log[2]).toMatchObject({ id: 1, city: 'oslo', _change_type: '-U' });
    expect(await lookup('users', [{ id: 1 }, { id: 2 }, { id: 3 }])).toEqual([{ id: 1, name: 'ann', city: 'rome', visits: 2 }, null, null]);
  });

  it('partially updates only the named columns', async () => {
    const r = await call(server.url, 'POST', `${T}/users/upsert?columns=id,visits`, [{ id: 1, visits: 10 }, { id: 5, visits: 1 }]);
    expect(r.status).toBe(200);
    expect(await lookup('users', [{ id: 1 }, { id: 5 }])).toEqual([
      { id: 1, name: 'ann', city: 'rome', visits: 10 },
      { id: 5, name: null, city: null, visits: 1 },
    ]);
  });

  it('acknowledges a retried upsert without writing its changelog twice', async () => {
    const headers = { 'x-writer-id': '77', 'x-batch-sequence': '1' };
    const first = await call(server.url, 'POST', `${T}/users/upsert`, [{ id: 8, name: 'eve' }], headers);
    const before = (await changelog('users')).length;
    const again = await call(server.url, 'POST', `${T}/users/upsert`, [{ id: 8, name: 'eve' }], headers);
    expect(again.body.buckets[0].baseOffset).toBe(first.body.buckets[0].baseOffset);
    expect((await changelog('users')).length).toBe(before);
  });

  it('reads the current rows in key order and continues with the changelog (full startup)', async () => {
    await call(server.url, 'PUT', `${T}/many`, { columns: users, primaryKey: ['id'], buckets: 2 });
    await call(server.url, 'POST', `${T}/many/upsert`, Array.from({ length: 300 }, (_, i) => ({ id: i, name: `n${i}` })));
    await call(server.url, 'POST', `${T}/many/delete`, Array.from({ length: 50 }, (_, i) => ({ id: i * 2 })));
    for (let b = 0; b < 2; b++) {
      const state = new Map<number, any>();
      let cursor: string | null = null;
      let logOffset = '';
      const ids: number[] = [];
      do {
        const page: any = (await call(server.url, 'GET', `${T}/many/buckets/${b}/rows?limit=40${cursor ? `&after=${cursor}` : ''}`)).body;
        for (const row of page.rows) { state.set(row.id, row); ids.push(row.id); }
        logOffset ||= page.logOffset;
        expect(page.logOffset).toBe(logOffset);
        if (!cursor) await call(server.url, 'POST', `${T}/many/upsert`, [{ id: 1000 + b, name: 'late' }, { id: 1, name: 'changed' }]);
        cursor = page.cursor;
      } while (cursor);
      expect(ids).toEqual([...ids].sort((x, y) => x - y));
      for (const rec of await changelog('many', b, Number(logOffset))) {
        if (rec._change_type === '-D') state.delete(rec.id);
        else if (rec._change_type !== '-U') state.set(rec.id, { id: rec.id, name: rec.name, city: rec.city, visits: rec.visits });
      }
      // Replaying the whole changelog gives the same state.
      const replay = new Map<number, any>();
      for (const rec of await changelog('many', b)) {
        if (rec._change_type === '-D') replay.delete(rec.id);
        else if (rec._change_type !== '-U') replay.set(rec.id, { id: rec.id, name: rec.name, city: rec.city, visits: rec.visits });
      }
      expect(state).toEqual(replay);
    }
  });

  it('prefix-looks-up rows by a bucket key that is a prefix of the primary key', async () => {
    await call(server.url, 'PUT', `${T}/orders`, {
      columns: [{ name: 'user_id', type: 'int64' }, { name: 'order_id', type: 'string' }, { name: 'amount', type: 'float64' }],
      primaryKey: ['user_id', 'order_id'], bucketKey: ['user_id'], buckets: 3,
    });
    await call(server.url, 'POST', `${T}/orders/upsert`, [
      { user_id: 1, order_id: 'b', amount: 2 }, { user_id: 1, order_id: 'a', amount: 1 }, { user_id: 2, order_id: 'c', amount: 3 },
    ]);
    const r = await call(server.url, 'POST', `${T}/orders/prefix-lookup`, { prefixes: [{ user_id: 1 }, { user_id: 2 }, { user_id: 3 }] });
    expect(r.body.rows).toEqual([
      [{ user_id: 1, order_id: 'a', amount: 1 }, { user_id: 1, order_id: 'b', amount: 2 }],
      [{ user_id: 2, order_id: 'c', amount: 3 }],
      [],
    ]);
    expect((await call(server.url, 'POST', `${T}/users/prefix-lookup`, { prefixes: [{ id: 1 }] })).body.error.code).toBe('UNSUPPORTED_OPERATION');
    expect((await call(server.url, 'POST', `${T}/orders/prefix-lookup`, { prefixes: [{ order_id: 'a' }] })).status).toBe(400);
  });
});

describe('primary-key tables: merge engines', () => {
  it('first_row keeps the first row and writes an insert-only changelog', async () => {
    await call(server.url, 'PUT', `${T}/first`, { columns: users, primaryKey: ['id'], properties: { 'table.merge-engine': 'first_row' } });
    await call(server.url, 'POST', `${T}/first/upsert`, [{ id: 1, name: 'one' }]);
    await call(server.url, 'POST', `${T}/first/upsert`, [{ id: 1, name: 'uno' }, { id: 2, name: 'two' }]);
    expect(types(await changelog('first'))).toBe('+I +I');
    expect((await lookup('first', [{ id: 1 }]))[0].name).toBe('one');
    const partial = await call(server.url, 'POST', `${T}/first/upsert?columns=id,name`, [{ id: 1, name: 'x' }]);
    expect(partial.body.error.code).toBe('UNSUPPORTED_OPERATION');
  });

  it('versioned replaces only with a higher or equal version', async () => {
    await call(server.url, 'PUT', `${T}/ver`, { columns: [...users, { name: 'v', type: 'int64' }], primaryKey: ['id'], properties: { 'table.merge-engine': 'versioned', 'table.merge-engine.versioned.ver-column': 'v' } });
    await call(server.url, 'POST', `${T}/ver/upsert`, [{ id: 1, name: 'v5', v: 5 }]);
    await call(server.url, 'POST', `${T}/ver/upsert`, [{ id: 1, name: 'v3', v: 3 }]);
    expect((await lookup('ver', [{ id: 1 }]))[0].name).toBe('v5');
    await call(server.url, 'POST', `${T}/ver/upsert`, [{ id: 1, name: 'v5b', v: 5 }]);
    expect((await lookup('ver', [{ id: 1 }]))[0].name).toBe('v5b');
  });

  it('aggregation folds each column with its function', async () => {
    await call(server.url, 'PUT', `${T}/agg`, {
      columns: [{ name: 'id', type: 'int64' }, { name: 'total', type: 'int64' }, { name: 'top', type: 'float64' }, { name: 'tags', type: 'string' }, { name: 'seen', type: 'boolean' }],
      primaryKey: ['id'],
      properties: { 'table.merge-engine': 'aggregation', 'fields.total.agg': 'sum', 'fields.top.agg': 'max', 'fields.tags.agg': 'listagg', 'fields.tags.listagg.delimiter': '|', 'fields.seen.agg': 'bool_or' },
    });
    await call(server.url, 'POST', `${T}/agg/upsert`, [{ id: 1, total: 5, top: 1.5, tags: 'a', seen: false }]);
    await call(server.url, 'POST', `${T}/agg/upsert`, [{ id: 1, total: 7, top: 0.5, tags: 'b', seen: true }, { id: 1, total: null, top: 9, tags: null, seen: false }]);
    expect(await lookup('agg', [{ id: 1 }])).toEqual([{ id: 1, total: 12, top: 9, tags: 'a|b', seen: true }]);
    const del = await call(server.url, 'POST', `${T}/agg/delete`, [{ id: 1 }]);
    expect(del.status).toBe(200);
    expect((await lookup('agg', [{ id: 1 }]))[0]).not.toBeNull();
  });

  it('WAL image writes no -U before-images', async () => {
    await call(server.url, 'PUT', `${T}/wal`, { columns: users, primaryKey: ['id'], properties: { 'table.changelog.image': 'WAL' } });
    await call(server.url, 'POST', `${T}/wal/upsert`, [{ id: 1, name: 'a' }]);
    await call(server.url, 'POST', `${T}/wal/upsert`, [{ id: 1, name: 'b' }]);
    expect(types(await changelog('wal'))).toBe('+I +U');
  });

  it('refuses deletes when table.delete.behavior is disable', async () => {
    await call(server.url, 'PUT', `${T}/nodel`, { columns: users, primaryKey: ['id'], properties: { 'table.delete.behavior': 'disable' } });
    await call(server.url, 'POST', `${T}/nodel/upsert`, [{ id: 1 }]);
    const r = await call(server.url, 'POST', `${T}/nodel/delete`, [{ id: 1 }]);
    expect(r.status).toBe(400);
    expect(r.body.error.message).toContain('table.delete.behavior');
    expect((await lookup('nodel', [{ id: 1 }]))[0]).not.toBeNull();
  });
});

describe('primary-key tables: bad input changes nothing', () => {
  beforeAll(async () => {
    await call(server.url, 'PUT', `${T}/events`, { columns: users });
  });
  it.each([
    ['upsert without the key', 'users', 'upsert', [{ name: 'x' }], 'MISSING_KEY'],
    ['append to a primary-key table', 'users', 'append', [{ id: 1 }], 'UNSUPPORTED_OPERATION'],
    ['upsert on a log table', 'events', 'upsert', [{ id: 1 }], 'UNSUPPORTED_OPERATION'],
    ['delete on a log table', 'events', 'delete', [{ id: 1 }], 'UNSUPPORTED_OPERATION'],
    ['lookup on a log table', 'events', 'lookup', { keys: [{ id: 1 }] }, 'UNSUPPORTED_OPERATION'],
    ['a key of the wrong type', 'users', 'lookup', { keys: [{ id: 'one' }] }, 'INVALID_VALUE'],
    ['a lookup with a non-key column', 'users', 'lookup', { keys: [{ id: 1, name: 'x' }] }, 'UNKNOWN_COLUMN'],
    ['unknown column in the body', 'users', 'upsert', [{ id: 1, nope: 1 }], 'UNKNOWN_COLUMN'],
    ['too many keys', 'users', 'lookup', { keys: Array.from({ length: 10_001 }, (_, i) => ({ id: i })) }, 'TOO_MANY_KEYS'],
    ['a second row without its key', 'users', 'upsert', [{ id: 50, name: 'ok' }, { name: 'bad' }], 'MISSING_KEY'],
  ])('%s gets a 4xx with %s', async (_n, table, op, body, code) => {
    const before = (await changelog('users')).length;
    const r = await call(server.url, 'POST', `${T}/${table}/${op}`, body);
    expect(r.status).toBeGreaterThanOrEqual(400);
    expect(r.status).toBeLessThan(500);
    expect(r.body.error.code).toBe(code);
    expect((await changelog('users')).length).toBe(before);
  });

  it('refuses unknown columns and a missing key in ?columns=', async () => {
    expect((await call(server.url, 'POST', `${T}/users/upsert?columns=id,nope`, [{ id: 1 }])).body.error.code).toBe('UNKNOWN_COLUMN');
    expect((await call(server.url, 'POST', `${T}/users/upsert?columns=name`, [{ id: 1, name: 'x' }])).body.error.code).toBe('MISSING_KEY');
  });
});
