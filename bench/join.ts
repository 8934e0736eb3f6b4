/**
 * `npm run bench -- join` (once bench/run.ts lists it) or `node dist/bench/join.js [--sizes 100000,1000000]`:
 * the delta join beside a naive stateful hash join over the same changelogs.
 *
 * Per size N: orders(customer_id, order_id, amount) with N rows, keyed (customer_id, order_id),
 * bucket key customer_id, 4 buckets; customers(customer_id, name) with N/10 rows, 4 buckets; then
 * N/10 updates on each side (amounts, names) so the changelogs hold changes beyond the snapshot.
 * Each join runs in its own process over both changelogs up to the high watermarks taken at its
 * start: an unmeasured warm-up pass, then measured passes over a window of at least 15 s (the same
 * for every size, so peak RSS is sampled alike), which report:
 *   - changes/s through the operator (changes read, joined, output handed to a counting consumer);
 *   - lookups per change (distinct lookup keys sent / changes);
 *   - peak RSS of the join process (sampled every 50 ms).
 * The hash join keeps both sides' rows in memory (by join key) and emits the same joined rows:
 * its RSS grows with the tables; the delta join's should not (target: within 20 % from 100 k to 1 M).
 * BENCH_JOIN_PROF=<dir> writes a CPU profile of each join process there.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { connect } from '../src/client/index.js';
import type { Row, Table } from '../src/client/index.js';
import { deltaJoin } from '../src/deltajoin/index.js';
import { cleanupAll, machine, round, startLakestream, target } from './lib.js';

const SELF = fileURLToPath(import.meta.url);
const BUCKETS = 4;
const DEFAULT_SIZES = [100_000, 1_000_000];
/** Both joins replay the whole changelogs (inserts, then -U/+U updates). */
const FROM = 'earliest' as const;
const BATCH = Number(process.env.BENCH_JOIN_BATCH ?? 4096);
const FETCH_RECORDS = Number(process.env.BENCH_JOIN_FETCH ?? 4096);
/** The measured window: passes repeat until it is over (a 100 k pass takes ~3 s, a 1 M pass ~20 s). */
const MEASURE_MS = Number(process.env.BENCH_JOIN_MEASURE_MS ?? 15_000);

interface ChildReport {
  readonly mode: 'delta' | 'hash';
  readonly changes: number;
  readonly outputs: number;
  readonly lookups: number;
  readonly elapsedMs: number;
  readonly peakRssBytes: number;
  /** RSS at each whole second of the run, MiB: flat for the delta join once its buffers are full. */
  readonly rssTimelineMiB: number[];
}

function argValue(args: readonly string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

async function highWatermarks(t: Table): Promise<bigint[]> {
  return Promise.all(Array.from({ length: t.description.buckets }, async (_, b) => (await t.bucketInfo(b)).highWatermark));
}

function caughtUp(positions: Record<number, bigint> | undefined, hw: readonly bigint[]): boolean {
  return positions !== undefined && hw.every((h, b) => (positions[b] ?? -1n) >= h);
}

interface JoinCounts {
  changes: number;
  outputs: number;
  lookups: number;
}

/** One join from the start of both changelogs up to the high watermarks `hw`. */
async function joinOnce(mode: 'delta' | 'hash', orders: Table, customers: Table, hw: { left: bigint[]; right: bigint[] }): Promise<JoinCounts> {
  let changes = 0;
  let outputs = 0;
  let lookups = 0;
  if (mode === 'delta') {
    const join = deltaJoin({ left: orders, right: customers, on: 'customer_id', from: FROM, settleMs: 0, maxBatchChanges: BATCH, scanner: { maxRecords: FETCH_RECORDS } });
    const done = setInterval(() => {
      const p = join.positions();
      if (caughtUp(p.left, hw.left) && caughtUp(p.right, hw.right)) join.stop();
    }, 20);
    for await (const batch of join.batches()) {
      changes += batch.changes.left + batch.changes.right;
      outputs += batch.ops.length;
      lookups += batch.lookups;
    }
    clearInterval(done);
    await join.close();
  } else {
    // Naive stateful hash join: both sides' current rows by join key; each change probes the other.
    const state = { left: new Map<bigint, Map<bigint, Row>>(), right: new Map<bigint, Map<bigint, Row>>() };
    const scanners = { left: orders.scanner({ from: FROM, maxRecords: 10_000 }), right: customers.scanner({ from: FROM, maxRecords: 10_000 }) };
    const done = setInterval(() => {
      for (const side of ['left', 'right'] as const) if (caughtUp(scanners[side].positions(), hw[side])) scanners[side].stop();
    }, 20);
    await Promise.all((['left', 'right'] as const).map(async (side) => {
      const mine = state[side];
      const theirs = state[side === 'left' ? 'right' : 'left'];
      for await (const rec of scanners[side]) {
        changes++;
        const jk = rec.row.customer_id as bigint;
        const pk = side === 'left' ? (rec.row.order_id as bigint) : jk;
        let group = mine.get(jk);
        if (rec.changeType === '-D' || rec.changeType === '-U') {
          group?.delete(pk);
          if (group && group.size === 0) mine.delete(jk);
          if (rec.changeType === '-D') outputs += theirs.get(jk)?.size ?? 0;
        } else {
          if (!group) mine.set(jk, (group = new Map()));
          group.set(pk, rec.row);
          outputs += theirs.get(jk)?.size ?? 0;
        }
      }
    }));
    clearInterval(done);
  }
  return { changes, outputs, lookups };
}

/**
 * The join process: one unmeasured pass to the high watermarks (JIT and V8's heap sizing reach their
 * steady state, as in a long-running job), then measured passes for at least MEASURE_MS, so every
 * size's peak RSS is sampled over a window of the same length; prints its report as JSON.
 */
async function child(args: readonly string[]): Promise<void> {
  const mode = argValue(args, '--child') as 'delta' | 'hash';
  const conn = connect(argValue(args, '--server')!);
  const db = argValue(args, '--db')!;
  const [orders, customers] = await Promise.all([conn.table(db, 'orders'), conn.table(db, 'customers')]);
  const hw = { left: await highWatermarks(orders), right: await highWatermarks(customers) };
  await joinOnce(mode, orders, customers, hw);
  let peak = process.memoryUsage().rss;
  const timeline: number[] = [];
  let ticks = 0;
  const sampler = setInterval(() => {
    const rss = process.memoryUsage().rss;
    peak = Math.max(peak, rss);
    if (++ticks % 20 === 0) timeline.push(Math.round(rss / 2 ** 20));
  }, 50);
  const start = performance.now();
  const total: JoinCounts = { changes: 0, outputs: 0, lookups: 0 };
  do {
    const pass = await joinOnce(mode, orders, customers, hw);
    total.changes += pass.changes;
    total.outputs += pass.outputs;
    total.lookups += pass.lookups;
  } while (performance.now() - start < MEASURE_MS);
  const { changes, outputs, lookups } = total;
  const elapsedMs = performance.now() - start;
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  await conn.close();
  const report: ChildReport = { mode, changes, outputs, lookups, elapsedMs, peakRssBytes: peak, rssTimelineMiB: timeline };
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

function profileArgs(): string[] {
  const dir = process.env.BENCH_JOIN_PROF;
  return dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : [];
}

function runChild(mode: 'delta' | 'hash', server: string, db: string): Promise<ChildReport> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [...profileArgs(), SELF, '--child', mode, '--server', server, '--db', db], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    proc.stdout.on('data', (c: Buffer) => { out += c.toString(); });
    proc.stderr.on('data', (c: Buffer) => { err += c.toString(); });
    proc.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`${mode} join exited with ${code}: ${err}`));
      try {
        resolve(JSON.parse(out.trim().split('\n').pop()!) as ChildReport);
      } catch (e) {
        reject(new Error(`${mode} join printed no report: ${out} ${err} ${(e as Error).message}`));
      }
    });
  });
}

async function load(server: string, db: string, n: number): Promise<{ loadMs: number }> {
  const conn = connect(server);
  const admin = conn.admin();
  await admin.createDatabase(db, { ifNotExists: true });
  const int = (name: string) => ({ name, type: 'int64' as const, nullable: false });
  await admin.createTable(db, 'orders', { columns: [int('customer_id'), int('order_id'), { name: 'amount', type: 'int32' }], primaryKey: ['customer_id', 'order_id'], bucketKey: ['customer_id'], buckets: BUCKETS });
  await admin.createTable(db, 'customers', { columns: [int('customer_id'), { name: 'name', type: 'string' }], primaryKey: ['customer_id'], buckets: BUCKETS });
  const [orders, customers] = await Promise.all([conn.table(db, 'orders'), conn.table(db, 'customers')]);
  const customersN = Math.max(1, Math.floor(n / 10));
  const start = performance.now();
  const ow = orders.upsertWriter({ batchRows: 20_000, maxInFlight: 4 });
  const cw = customers.upsertWriter({ batchRows: 20_000, maxInFlight: 4 });
  for (let i = 0; i < customersN; i++) {
    void cw.upsert({ customer_id: BigInt(i), name: `customer-${i}` });
    if (cw.pendingRows >= 100_000) await cw.ready();
  }
  for (let i = 0; i < n; i++) {
    void ow.upsert({ customer_id: BigInt(i % customersN), order_id: BigInt(i), amount: i % 1000 });
    if (ow.pendingRows >= 100_000) await ow.ready();
  }
  // Changes beyond the snapshot: N/10 order updates and N/10 customer renames.
  for (let i = 0; i < customersN; i++) {
    const o = (i * 7919) % n;
    void ow.upsert({ customer_id: BigInt(o % customersN), order_id: BigInt(o), amount: 1000 + (i % 1000) });
    void cw.upsert({ customer_id: BigInt((i * 31) % customersN), name: `renamed-${i}` });
    if (ow.pendingRows >= 100_000) await ow.ready();
  }
  await Promise.all([ow.close(), cw.close()]);
  await conn.close();
  return { loadMs: performance.now() - start };
}

export async function run(args: readonly string[] = []): Promise<Record<string, unknown>> {
  const sizes = (argValue(args, '--sizes') ?? process.env.BENCH_JOIN_SIZES)?.split(',').map(Number) ?? DEFAULT_SIZES;
  const server = await startLakestream();
  const rows: Record<string, unknown>[] = [];
  const bySize = new Map<number, { delta: ChildReport; hash: ChildReport }>();
  try {
    for (const n of sizes) {
      const db = `bench_join_${n}`;
      const { loadMs } = await load(server.url, db, n);
      const delta = await runChild('delta', server.url, db);
      const hash = await runChild('hash', server.url, db);
      bySize.set(n, { delta, hash });
      rows.push({
        rows: n,
        loadSeconds: round(loadMs / 1000, 1),
        delta: {
          changes: delta.changes,
          changesPerSecond: round(delta.changes / (delta.elapsedMs / 1000)),
          lookupsPerChange: round(delta.lookups / Math.max(1, delta.changes), 3),
          outputs: delta.outputs,
          peakRssMiB: round(delta.peakRssBytes / 2 ** 20, 1),
          rssTimelineMiB: delta.rssTimelineMiB,
        },
        hashJoin: {
          changes: hash.changes,
          changesPerSecond: round(hash.changes / (hash.elapsedMs / 1000)),
          outputs: hash.outputs,
          peakRssMiB: round(hash.peakRssBytes / 2 ** 20, 1),
          rssTimelineMiB: hash.rssTimelineMiB,
        },
      });
    }
  } finally {
    await server.stop();
  }
  const targets = [];
  const small = bySize.get(Math.min(...sizes));
  const large = bySize.get(Math.max(...sizes));
  if (small && large && sizes.length > 1) {
    targets.push(target('delta-join RSS growth, smallest to largest table', round((large.delta.peakRssBytes / small.delta.peakRssBytes - 1) * 100, 1), '<=', 20, '%'));
  }
  if (large) targets.push(target('delta-join changes/s (largest table)', round(large.delta.changes / (large.delta.elapsedMs / 1000)), '>=', 50_000, 'changes/s'));
  return {
    bench: 'join',
    machine: machine(),
    sizes: rows,
    hashJoinRssGrowthPercent: small && large ? round((large.hash.peakRssBytes / small.hash.peakRssBytes - 1) * 100, 1) : undefined,
    targets,
  };
}

if (process.argv[1] === SELF) {
  const args = process.argv.slice(2);
  const main = args.includes('--child') ? child(args) : run(args).then((r) => { process.stdout.write(`${JSON.stringify(r, null, 2)}\n`); });
  main.then(() => cleanupAll()).then(() => process.exit(0), async (e: unknown) => {
    process.stderr.write(`${(e as Error)?.stack ?? String(e)}\n`);
    await cleanupAll();
    process.exit(1);
  });
}
