/**
 * soak: `npm run bench -- soak [minutes]` (default 10). Mixed load against one server for that long:
 * an appender (Arrow batches into a log table), an upserter (a primary-key table over a bounded key
 * space, some deletes), a looker-up (batches of keys), a tailing reader (long-polls), and tiering of
 * both tables into the lake every 5 s. Every 10 s it samples the operations done and the server's
 * memory from /metrics, and reports throughput over time and the memory trend (least-squares slope of
 * resident memory over the second half of the run: steady means no growth trend).
 */
import {
  ARROW, createTable, machine, makeRows, ok, request, ROW_COLUMNS, rowsIpc, round, sleep, startLakestream,
} from './lib.js';

const SAMPLE_MS = 10_000;
const KEYS = 200_000;
const APPEND_ROWS = 2_000;
const UPSERT_ROWS = 1_000;
const LOOKUP_KEYS = 500;

interface Sample {
  atSeconds: number;
  appendedRows: number;
  upserts: number;
  lookupKeys: number;
  fetchedRows: number;
  rssMiB: number;
  heapUsedMiB: number;
}

function metric(text: string, name: string): number {
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+]+)$`, 'm').exec(text);
  return m ? Number(m[1]) : NaN;
}

/** Least-squares slope of y over x. */
function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

export async function run(args: readonly string[] = []): Promise<Record<string, unknown>> {
  const minutes = Number(args[0] ?? process.env.SOAK_MINUTES ?? 10);
  const server = await startLakestream(['--log-level', 'info']);
  const lake = { 'table.datalake.enabled': 'true', 'table.datalake.freshness': '5s', 'table.log.ttl': '1min', 'table.log.segment.file-size': '16mb' };
  await createTable(server.url, 'soak', 'events', { columns: ROW_COLUMNS, properties: lake });
  await createTable(server.url, 'soak', 'users', { columns: ROW_COLUMNS, primaryKey: ['id'], buckets: 2, properties: lake });
  const base = `${server.url}/v1/databases/soak/tables`;
  const counts = { appendedRows: 0, upserts: 0, lookupKeys: 0, fetchedRows: 0 };
  const end = Date.now() + minutes * 60_000;
  let round_ = 0;

  const appender = async () => {
    for (let i = 0; Date.now() < end; i++) {
      const ids = Array.from({ length: APPEND_ROWS }, (_, j) => i * APPEND_ROWS + j);
      await ok(request(`${base}/events/append`, 'POST', rowsIpc(makeRows(ids)), { 'content-type': ARROW }), 'append');
      counts.appendedRows += APPEND_ROWS;
    }
  };
  const upserter = async () => {
    for (let i = 0; Date.now() < end; i++) {
      const ids = Array.from({ length: UPSERT_ROWS }, (_, j) => ((i * 7919 + j * 104_729) % KEYS));
      await ok(request(`${base}/users/upsert`, 'POST', rowsIpc(makeRows([...new Set(ids)], i)), { 'content-type': ARROW }), 'upsert');
      counts.upserts += new Set(ids).size;
      if (i % 10 === 9) {
        const keys = ids.slice(0, 50).map((id) => ({ id }));
        await ok(request(`${base}/users/delete`, 'POST', JSON.stringify(keys), { 'content-type': 'application/json' }), 'delete');
      }
    }
  };
  const lookerUp = async () => {
    for (let i = 0; Date.now() < end; i++) {
      const keys = Array.from({ length: LOOKUP_KEYS }, (_, j) => ({ id: (i * 31 + j * 397) % KEYS }));
      await ok(request(`${base}/users/lookup`, 'POST', JSON.stringify({ keys }), { 'content-type': 'application/json' }), 'lookup');
      counts.lookupKeys += LOOKUP_KEYS;
    }
  };
  const tailer = async () => {
    let offset = 0n;
    while (Date.now() < end) {
      const r = await ok(request(`${base}/events/buckets/0/records?offset=${offset}&maxRecords=20000&waitMs=1000&columns=id`, 'GET', undefined, { accept: ARROW }), 'fetch');
      const next = BigInt(r.headers['x-next-offset'] as string);
      counts.fetchedRows += Number(next - offset);
      offset = next;
    }
  };
  const samples: Sample[] = [];
  const started = Date.now();
  const sampler = async () => {
    let last = { ...counts };
    while (Date.now() < end) {
      await sleep(Math.min(SAMPLE_MS, Math.max(0, end - Date.now())));
      const text = (await ok(request(`${server.url}/metrics`, 'GET'), 'metrics')).body.toString();
      const now = { ...counts };
      samples.push({
        atSeconds: round((Date.now() - started) / 1000),
        appendedRows: now.appendedRows - last.appendedRows,
        upserts: now.upserts - last.upserts,
        lookupKeys: now.lookupKeys - last.lookupKeys,
        fetchedRows: now.fetchedRows - last.fetchedRows,
        rssMiB: round(metric(text, 'process_resident_memory_bytes') / 2 ** 20, 1),
        heapUsedMiB: round(metric(text, 'nodejs_heap_size_used_bytes') / 2 ** 20, 1),
      });
      process.stderr.write(`soak ${samples.at(-1)!.atSeconds}s: ${JSON.stringify(samples.at(-1))}\n`);
      last = now;
      round_ += 1;
    }
  };
  await Promise.all([appender(), upserter(), lookerUp(), tailer(), sampler()]);
  const lakeInfo = JSON.parse((await ok(request(`${base}/events/lake`, 'GET'), 'lake')).body.toString());
  await server.stop();
  const half = samples.slice(Math.floor(samples.length / 2));
  const rssSlopeMiBPerMin = round(slope(half.map((s) => s.atSeconds / 60), half.map((s) => s.rssMiB)), 2);
  const perSecond = (k: keyof typeof counts) => round(counts[k] / (minutes * 60));
  return {
    bench: 'soak',
    machine: machine(),
    minutes,
    samples: round_,
    throughputPerSecond: { appendedRows: perSecond('appendedRows'), upserts: perSecond('upserts'), lookupKeys: perSecond('lookupKeys'), fetchedRows: perSecond('fetchedRows') },
    lake: { snapshotId: lakeInfo.snapshotId, tieredOffset: lakeInfo.buckets[0].tieredOffset, failures: lakeInfo.status.consecutiveFailures },
    memory: {
      rssMiBFirst: samples[0]?.rssMiB, rssMiBLast: samples.at(-1)?.rssMiB, rssMiBMax: Math.max(...samples.map((s) => s.rssMiB)),
      rssSlopeSecondHalfMiBPerMinute: rssSlopeMiBPerMin,
      steady: Math.abs(rssSlopeMiBPerMin) < 5,
    },
    overTime: samples,
  };
}
