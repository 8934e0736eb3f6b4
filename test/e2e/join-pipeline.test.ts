import { Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Connection } from '../../src/client/index.js';
import { connect } from '../../src/client/index.js';
import { deltaJoin } from '../../src/deltajoin/index.js';
import type { JoinedChange } from '../../src/deltajoin/index.js';
import type { ScanRecord } from '../../src/client/index.js';
import { allRows, canonical, waitFor } from '../deltajoin/e2e-helpers.js';
import { startServer, type ServerProcess } from './helpers.js';

let server: ServerProcess;
let conn: Connection;
const int = (name: string) => ({ name, type: 'int64' as const, nullable: false });

beforeAll(async () => {
  server = await startServer();
  conn = connect(server.url);
  const admin = conn.admin();
  await admin.createDatabase('pipe');
  await admin.createTable('pipe', 'orders', { columns: [int('customer_id'), int('order_id'), { name: 'amount', type: 'int32' }], primaryKey: ['customer_id', 'order_id'], bucketKey: ['customer_id'], buckets: 2 });
  await admin.createTable('pipe', 'orders_copy', { columns: [int('customer_id'), int('order_id'), { name: 'amount', type: 'int32' }], primaryKey: ['customer_id', 'order_id'], bucketKey: ['customer_id'], buckets: 2 });
  await admin.createTable('pipe', 'customers', { columns: [int('customer_id'), { name: 'name', type: 'string' }], primaryKey: ['customer_id'] });
});
afterAll(async () => {
  await conn?.close();
  await server?.stop();
});

describe('pipeline connectors (Node streams over the client)', () => {
  it('pipes rows into a table through an upsert Writable and a changelog Readable into another table', async () => {
    const orders = await conn.table('pipe', 'orders');
    const rows = Array.from({ length: 2000 }, (_, i) => ({ customer_id: i % 50, order_id: i, amount: i % 7 }));
    await pipeline(Readable.from(rows), orders.upsertWriter().toWritable());
    await pipeline(Readable.from([{ customer_id: 3, order_id: 3, _change_type: '-D' }]), orders.upsertWriter().toWritable());

    // The changelog (a Readable of ScanRecords) -> rows with _change_type -> another table's Writable.
    const scanner = orders.changelog({ from: 'earliest' });
    const copy = await conn.table('pipe', 'orders_copy');
    let seen = 0;
    const toRows = new Transform({
      objectMode: true,
      transform(rec: ScanRecord, _enc, cb) {
        if (++seen === 2000 + 1) setImmediate(() => scanner.stop());
        cb(null, { ...rec.row, _change_type: rec.changeType });
      },
    });
    await pipeline(scanner.toReadable(), toRows, copy.upsertWriter().toWritable());
    expect(canonical(await allRows(server.url, 'pipe', 'orders_copy'))).toEqual(canonical(await allRows(server.url, 'pipe', 'orders')));
    expect((await allRows(server.url, 'pipe', 'orders_copy')).length).toBe(1999);
  });

  it('reads a delta join as a Readable of joined changes, with back-pressure from a slow consumer', async () => {
    const [orders, customers] = await Promise.all([conn.table('pipe', 'orders'), conn.table('pipe', 'customers')]);
    await pipeline(Readable.from(Array.from({ length: 50 }, (_, i) => ({ customer_id: i, name: `c${i}` }))), customers.upsertWriter().toWritable());
    const join = deltaJoin({ left: orders, right: customers, on: 'customer_id', maxBatchChanges: 100 });
    const got: JoinedChange[] = [];
    const slow = new Writable({
      objectMode: true,
      highWaterMark: 4,
      write(change: JoinedChange, _enc, cb) {
        got.push(change);
        setTimeout(cb, got.length % 200 === 0 ? 5 : 0);
      },
    });
    const done = pipeline(join.toReadable(16), slow);
    await waitFor('every joined order', () => new Set(got.filter((c) => c.type === '+U').map((c) => String(c.row.order_id))).size === 1999, 30_000);
    // A slow consumer holds the operator back: it never read far ahead of what was consumed.
    expect(join.stats.changesIn.left + join.stats.changesIn.right - got.length).toBeLessThan(20_000);
    join.stop();
    await done;
    expect(got.every((c) => c.type === '+U' && c.row.name === `c${c.row.customer_id}`)).toBe(true);
  });
});
