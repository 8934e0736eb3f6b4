import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, cliBackground } from '../deltajoin/cli-helpers.js';
import { allRows, canonical, naiveJsonJoin, waitFor } from '../deltajoin/e2e-helpers.js';
import { rng } from '../deltajoin/fixtures.js';
import { call, startServer, type ServerProcess } from './helpers.js';

let server: ServerProcess;
let env: Record<string, string>;
const T = '/v1/databases/shop/tables';
const SINK_COLUMNS = ['customer_id', 'order_id', 'amount', 'name'];
const int = (name: string) => ({ name, type: 'int64', nullable: false });

beforeAll(async () => {
  server = await startServer();
  env = { LAKESTREAM_SERVER: server.url };
  await call(server.url, 'PUT', '/v1/databases/shop');
  await call(server.url, 'PUT', `${T}/orders`, { columns: [int('customer_id'), int('order_id'), { name: 'amount', type: 'int32' }], primaryKey: ['customer_id', 'order_id'], bucketKey: ['customer_id'], buckets: 3 });
  await call(server.url, 'PUT', `${T}/customers`, { columns: [int('customer_id'), { name: 'name', type: 'string' }], primaryKey: ['customer_id'], buckets: 2 });
  await call(server.url, 'PUT', `${T}/enriched`, { columns: [int('customer_id'), int('order_id'), { name: 'amount', type: 'int32' }, { name: 'name', type: 'string' }], primaryKey: ['customer_id', 'order_id'], bucketKey: ['customer_id'], buckets: 2 });
});
afterAll(async () => {
  await server?.stop();
});

/** Upserts, deletes and customer moves on both tables. */
async function churn(seed: number, steps: number): Promise<void> {
  const r = rng(seed);
  for (let i = 0; i < steps; i++) {
    const c = r.int(12);
    const o = r.int(30);
    const roll = r.next();
    if (roll < 0.35) await call(server.url, 'POST', `${T}/orders/upsert`, Array.from({ length: 1 + r.int(5) }, () => ({ customer_id: r.int(12), order_id: r.int(30), amount: r.int(1000) })));
    else if (roll < 0.5) await call(server.url, 'POST', `${T}/orders/delete`, [{ customer_id: c, order_id: o }]);
    else if (roll < 0.6) {
      await call(server.url, 'POST', `${T}/orders/delete`, [{ customer_id: c, order_id: o }]);
      await call(server.url, 'POST', `${T}/orders/upsert`, [{ customer_id: (c + 1) % 12, order_id: o, amount: r.int(1000) }]);
    } else if (roll < 0.9) await call(server.url, 'POST', `${T}/customers/upsert`, [{ customer_id: c, name: `name-${r.int(100)}` }]);
    else await call(server.url, 'POST', `${T}/customers/delete`, [{ customer_id: c }]);
  }
}

async function expectedJoin(): Promise<string[]> {
  const [o, c] = await Promise.all([allRows(server.url, 'shop', 'orders'), allRows(server.url, 'shop', 'customers')]);
  return canonical(naiveJsonJoin(o, c, 'customer_id', SINK_COLUMNS));
}

async function sinkEqualsJoin(): Promise<boolean> {
  const [want, got] = await Promise.all([expectedJoin(), allRows(server.url, 'shop', 'enriched').then(canonical)]);
  return JSON.stringify(want) === JSON.stringify(got);
}

const joinArgs = ['join', '--left', 'shop.orders', '--right', 'shop.customers', '--on', 'customer_id', '--into', 'shop.enriched', '--progress-ms', '300'];

describe('lakestream join (CLI, real server)', () => {
  it('keeps the sink equal to the join through churn, stops cleanly on SIGINT and resumes from saved offsets', async () => {
    await churn(1, 40);
    const first = cliBackground(joinArgs, env);
    await churn(2, 120);
    await waitFor('the sink to equal the join', sinkEqualsJoin, 30_000);
    await waitFor('a progress line', () => /in \d+ \(left \d+, right \d+\) out \d+ .* lag left\[0:\d+ 1:\d+ 2:\d+\] right\[0:\d+ 1:\d+\]/.test(first.stderr()));
    expect(await first.interrupt(), first.stderr()).toBe(0);
    expect(first.stderr()).toContain("starting from full");
    expect(first.stderr()).toContain('stopped; sink flushed and offsets saved');
    const firstIn = Number(/in (\d+) /.exec(first.stderr().trim().split('\n').filter((l) => l.includes(' in ')).pop()!)![1]);

    // Changes while the join is down, then a restart: it resumes where it stopped.
    await churn(3, 60);
    const second = cliBackground(joinArgs, env);
    // Nothing skipped: the changes made while it was down reach the sink.
    await waitFor('the sink to catch up with the changes made while the join was down', sinkEqualsJoin, 30_000);
    await churn(4, 60);
    await waitFor('the sink to equal the join after the restart', sinkEqualsJoin, 30_000);
    expect(await second.interrupt(), second.stderr()).toBe(0);
    expect(second.stderr()).toMatch(/job 'shop\.orders~shop\.customers~shop\.enriched': resuming from offsets saved/);
    const secondIn = Number(/in (\d+) /.exec(second.stderr().trim().split('\n').filter((l) => l.includes(' in ')).pop()!)![1]);
    // The second run read only what came after the first one's offsets, not the tables again.
    const total = (await Promise.all([0, 1, 2].map((b) => call(server.url, 'GET', `${T}/orders/buckets/${b}`)).concat([0, 1].map((b) => call(server.url, 'GET', `${T}/customers/buckets/${b}`)))))
      .reduce((n, r) => n + Number(r.body.highWatermark), 0);
    expect(secondIn).toBeLessThan(total);
    expect(firstIn + secondIn).toBeGreaterThan(0);
    expect(await sinkEqualsJoin()).toBe(true);
  }, 120_000);

  it('prints joined changes as JSON lines without --into', async () => {
    const run = cliBackground(['join', '--left', 'shop.orders', '--right', 'shop.customers', '--on', 'customer_id=customer_id', '--progress-ms', '0', '--job', 'stdout-test', '--reset'], env);
    const want = await expectedJoin();
    const applied = (): string[] => {
      const sink = new Map<string, Record<string, unknown>>();
      for (const line of run.stdout().split('\n').filter((l) => l !== '')) {
        const { _change_type: type, ...row } = JSON.parse(line);
        if (type === '+U') sink.set(`${row.customer_id}/${row.order_id}`, row);
        else for (const [k, v] of sink) if (Object.entries(row).every(([c, x]) => v[c] === x)) sink.delete(k);
      }
      return canonical(sink.values());
    };
    await waitFor('the printed changes to add up to the join', () => JSON.stringify(applied()) === JSON.stringify(want), 30_000);
    expect(await run.interrupt()).toBe(0);
  });

  it('refuses a join whose key is not indexed, with a clear message', async () => {
    await call(server.url, 'PUT', `${T}/flat_orders`, { columns: [int('order_id'), int('customer_id')], primaryKey: ['order_id'] });
    const r = await cli(['join', '--left', 'shop.flat_orders', '--right', 'shop.customers', '--on', 'customer_id', '--into', 'shop.enriched'], { env });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('lakestream: cannot join on (customer_id) of shop.flat_orders: a change on shop.customers must look shop.flat_orders up by (customer_id)');
    const noTable = await cli(['join', '--left', 'shop.orders', '--right', 'shop.nope', '--on', 'customer_id'], { env });
    expect(noTable.stderr).toBe('lakestream: table shop.nope does not exist\n');
    const badSink = await cli(['join', '--left', 'shop.orders', '--right', 'shop.customers', '--on', 'customer_id', '--into', 'shop.customers'], { env });
    expect(badSink.stderr).toMatch(/^lakestream: sink column shop\.customers\.name|^lakestream: sink shop\.customers's primary key \(customer_id\) does not identify a joined row/);
    const missing = await cli(['join', '--left', 'shop.orders', '--on', 'customer_id'], { env });
    expect(missing.stderr).toMatch(/^lakestream: required option '--right <table>' not specified/);
  });
});
