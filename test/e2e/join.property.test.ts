import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Connection, Row, Table } from '../../src/client/index.js';
import { connect } from '../../src/client/index.js';
import { applyOps, deltaJoin, JoinSink } from '../../src/deltajoin/index.js';
import type { JoinBatch } from '../../src/deltajoin/index.js';
import { rng } from '../deltajoin/fixtures.js';
import { allRows, canonical, naiveJsonJoin, waitFor } from '../deltajoin/e2e-helpers.js';
import { call, startServer, type ServerProcess } from './helpers.js';

/**
 * The delta join against a real server while both sides are written: random inserts, updates,
 * deletes and join-key moves (delete + insert under another customer) on both sides, the operator
 * running concurrently; once the writes stop and the join has caught up, the sink equals the naive
 * join of the two tables' final rows. Many small cases, each on fresh tables of ONE server.
 */
let server: ServerProcess;
let conn: Connection;
const DB = 'prop';
const CASES = Number(process.env.JOIN_CASES ?? 200);
const PARALLEL = Number(process.env.JOIN_PARALLEL ?? 20);

const intCol = (name: string) => ({ name, type: 'int64' as const, nullable: false });
type Variant = 'n:1 into sink' | 'm:n into sink' | 'n:1 emitted';
const VARIANTS: Variant[] = ['n:1 into sink', 'm:n into sink', 'n:1 emitted'];

beforeAll(async () => {
  server = await startServer();
  conn = connect(server.url);
  await conn.admin().createDatabase(DB);
});
afterAll(async () => {
  await conn?.close();
  await server?.stop();
});

async function createTables(i: number, variant: Variant): Promise<{ left: Table; right: Table; sink?: Table; rightCol: string }> {
  const admin = conn.admin();
  const manyToMany = variant === 'm:n into sink';
  await admin.createTable(DB, `o${i}`, { columns: [intCol('customer_id'), intCol('order_id'), { name: 'amount', type: 'int32' }], primaryKey: ['customer_id', 'order_id'], bucketKey: ['customer_id'], buckets: 2 });
  if (manyToMany) {
    await admin.createTable(DB, `r${i}`, { columns: [intCol('customer_id'), intCol('ticket_id'), { name: 'subject', type: 'string' }], primaryKey: ['customer_id', 'ticket_id'], bucketKey: ['customer_id'], buckets: 2 });
    await admin.createTable(DB, `s${i}`, { columns: [intCol('customer_id'), intCol('order_id'), intCol('ticket_id'), { name: 'amount', type: 'int32' }, { name: 'subject', type: 'string' }], primaryKey: ['customer_id', 'order_id', 'ticket_id'], bucketKey: ['customer_id'], buckets: 2 });
  } else {
    await admin.createTable(DB, `r${i}`, { columns: [intCol('customer_id'), { name: 'name', type: 'string' }], primaryKey: ['customer_id'], buckets: 2 });
    if (variant === 'n:1 into sink') {
      await admin.createTable(DB, `s${i}`, { columns: [intCol('customer_id'), intCol('order_id'), { name: 'amount', type: 'int32' }, { name: 'name', type: 'string' }], primaryKey: ['customer_id', 'order_id'], buckets: 2 });
    }
  }
  const [left, right] = await Promise.all([conn.table(DB, `o${i}`), conn.table(DB, `r${i}`)]);
  const sink = variant === 'n:1 emitted' ? undefined : await conn.table(DB, `s${i}`);
  return { left, right, ...(sink ? { sink } : {}), rightCol: manyToMany ? 'subject' : 'name' };
}

/** Random writes to one side: small batches of upserts, deletes and moves to another customer. */
async function churn(seed: number, url: string, table: string, side: 'left' | 'right', manyToMany: boolean): Promise<void> {
  const r = rng(seed);
  const path = `/v1/databases/${DB}/tables/${table}`;
  const keyOf = (c: number, k: number): Record<string, number> => (side === 'left' ? { customer_id: c, order_id: k } : manyToMany ? { customer_id: c, ticket_id: k } : { customer_id: c });
  const value = (): Record<string, unknown> => (side === 'left' ? { amount: r.int(100) } : manyToMany ? { subject: `s${r.int(9)}` } : { name: `n${r.int(9)}` });
  const steps = 4 + r.int(6);
  for (let s = 0; s < steps; s++) {
    const roll = r.next();
    const c = r.int(4);
    const k = r.int(4);
    if (roll < 0.55) {
      const rows = Array.from({ length: 1 + r.int(4) }, () => ({ ...keyOf(r.int(4), r.int(4)), ...value() }));
      expect((await call(url, 'POST', `${path}/upsert`, rows)).status).toBe(200);
    } else if (roll < 0.8) {
      expect((await call(url, 'POST', `${path}/delete`, [keyOf(c, k)])).status).toBe(200);
    } else {
      // A join-key move: the row leaves customer c for customer c2 (its key includes the join key).
      const c2 = (c + 1 + r.int(3)) % 4;
      expect((await call(url, 'POST', `${path}/delete`, [keyOf(c, k)])).status).toBe(200);
      expect((await call(url, 'POST', `${path}/upsert`, [{ ...keyOf(c2, k), ...value() }])).status).toBe(200);
    }
    if (r.next() < 0.5) await new Promise((res) => setTimeout(res, r.int(8)));
  }
}

async function highWatermarks(t: Table): Promise<Record<number, bigint>> {
  const out: Record<number, bigint> = {};
  for (let b = 0; b < t.description.buckets; b++) out[b] = (await t.bucketInfo(b)).highWatermark;
  return out;
}

async function runCase(i: number): Promise<void> {
  const variant = VARIANTS[i % VARIANTS.length]!;
  const manyToMany = variant === 'm:n into sink';
  const seed = 1000 + i;
  const t0 = Date.now();
  const { left, right, sink, rightCol } = await createTables(i, variant);
  const t1 = Date.now();
  // Some rows before the join starts (read by its `full` start), the rest while it runs.
  await churn(seed * 3, server.url, `o${i}`, 'left', manyToMany);
  const join = deltaJoin({ left, right, on: 'customer_id', ...(sink ? { into: sink } : {}), settleMs: 5, scanner: { waitMs: 100 } });
  const js = sink ? new JoinSink(join, sink) : undefined;
  const memory = new Map<string, Row>();
  let applied: JoinBatch['positions'] = { left: undefined, right: undefined };
  const loop = (async () => {
    for await (const b of join.batches()) {
      if (js) await js.apply(b);
      else applyOps(join.plan, memory, b.ops);
      if (b.positions.left && b.positions.right) applied = b.positions;
    }
  })();
  await Promise.all([
    churn(seed * 5, server.url, `o${i}`, 'left', manyToMany),
    churn(seed * 7, server.url, `r${i}`, 'right', manyToMany),
  ]);
  const t2 = Date.now();
  const hw = { left: await highWatermarks(left), right: await highWatermarks(right) };
  await waitFor(`case ${i} to catch up`, () => (['left', 'right'] as const).every((s) => Object.entries(hw[s]).every(([b, h]) => (applied[s]?.[Number(b)] ?? -1n) >= h)));
  const t3 = Date.now();
  join.stop();
  await loop;
  await js?.close();
  await join.close();

  const [l, r] = await Promise.all([allRows(server.url, DB, `o${i}`), allRows(server.url, DB, `r${i}`)]);
  const cols = manyToMany ? ['customer_id', 'order_id', 'ticket_id', 'amount', 'subject'] : ['customer_id', 'order_id', 'amount', rightCol];
  const expected = canonical(naiveJsonJoin(l, r, 'customer_id', cols));
  const actual = sink
    ? canonical(await allRows(server.url, DB, `s${i}`))
    : canonical([...memory.values()].map((row) => Object.fromEntries(cols.map((c) => [c, row[c] ?? null]))));
  if (process.env.JOIN_TIMES) console.log(`case ${i}: create ${t1 - t0} churn ${t2 - t1} catchup ${t3 - t2} end ${Date.now() - t3}`);
  expect(actual, `case ${i} (${variant}, seed ${seed})`).toEqual(expected);
}

describe('delta join against a server under concurrent writes (property)', () => {
  it(`${CASES} seeded cases converge to the naive join of the final tables`, async () => {
    let next = 0;
    await Promise.all(Array.from({ length: PARALLEL }, async () => {
      while (next < CASES) await runCase(next++);
    }));
  }, 120_000);
});
