import { afterAll, describe, expect, it } from 'vitest';
import { call, startServer, type ServerProcess } from './helpers.js';

// The timer never flushes here: acknowledged rows stay in the memtable until something asks for a
// flush (a /rows scan, shutdown), so every read below must merge the memtable with LMDB itself.
const ARGS = ['--index-flush-interval', '1h'];
const T = '/v1/databases/m/tables/orders';
const orders = {
  columns: [
    { name: 'user_id', type: 'int32', nullable: false },
    { name: 'order_id', type: 'string', nullable: false },
    { name: 'amount', type: 'int64' },
  ],
  primaryKey: ['user_id', 'order_id'], bucketKey: ['user_id'], buckets: 2,
};

let server: ServerProcess | undefined;
afterAll(async () => {
  await server?.stop();
});

async function prefix(users: number[]): Promise<any[][]> {
  const r = await call(server!.url, 'POST', `${T}/prefix-lookup`, { prefixes: users.map((user_id) => ({ user_id })) });
  expect(r.status).toBe(200);
  return r.body.rows;
}
async function lookup(keys: [number, string][]): Promise<any[]> {
  const r = await call(server!.url, 'POST', `${T}/lookup`, { keys: keys.map(([user_id, order_id]) => ({ user_id, order_id })) });
  expect(r.status).toBe(200);
  return r.body.rows;
}
async function allRows(): Promise<any[]> {
  const rows: any[] = [];
  for (const b of [0, 1]) rows.push(...(await call(server!.url, 'GET', `${T}/buckets/${b}/rows`)).body.rows);
  return rows.sort((x, y) => x.user_id - y.user_id || (x.order_id < y.order_id ? -1 : 1));
}

const expected = {
  lookups: [null, { user_id: 1, order_id: 'b', amount: 20 }, { user_id: 1, order_id: 'd', amount: 4 }, { user_id: 2, order_id: 'a', amount: 5 }],
  prefixes: [
    [{ user_id: 1, order_id: 'a', amount: 1 }, { user_id: 1, order_id: 'b', amount: 20 }, { user_id: 1, order_id: 'd', amount: 4 }],
    [{ user_id: 2, order_id: 'a', amount: 5 }],
    [],
  ],
};

describe('acknowledged rows not yet in LMDB', () => {
  it('are seen by lookups, prefix lookups and scans, merged with what LMDB holds, and survive kill -9', async () => {
    server = await startServer({ args: ARGS });
    await call(server.url, 'PUT', '/v1/databases/m');
    expect((await call(server.url, "PUT", T, orders)).status).toBe(201);
    const put = async (rows: object[], op = 'upsert') => expect((await call(server!.url, 'POST', `${T}/${op}`, rows)).status).toBe(200);
    await put([{ user_id: 1, order_id: 'a', amount: 1 }, { user_id: 1, order_id: 'b', amount: 2 }, { user_id: 1, order_id: 'c', amount: 3 }]);
    expect(await allRows()).toHaveLength(3); // the scan flushed them into LMDB
    // Now the memtable holds an update, a delete, an insert and a row of another prefix, over LMDB's rows.
    await put([{ user_id: 1, order_id: 'b', amount: 20 }, { user_id: 1, order_id: 'd', amount: 4 }, { user_id: 2, order_id: 'a', amount: 5 }]);
    await put([{ user_id: 1, order_id: 'c' }], 'delete');
    expect(await lookup([[1, 'c'], [1, 'b'], [1, 'd'], [2, 'a']])).toEqual(expected.lookups);
    expect(await prefix([1, 2, 3])).toEqual(expected.prefixes);

    await server.kill9();
    server = await startServer({ dataDir: server.dataDir, args: ARGS });
    expect(await lookup([[1, 'c'], [1, 'b'], [1, 'd'], [2, 'a']])).toEqual(expected.lookups);
    expect(await prefix([1, 2, 3])).toEqual(expected.prefixes);
    expect(await allRows()).toEqual([...expected.prefixes[0]!, ...expected.prefixes[1]!]);
  });
});
