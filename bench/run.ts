/**
 * Benchmark dispatcher: `npm run bench -- <name>` (after `npx tsc -p tsconfig.json`). Each benchmark
 * prints one JSON object with its figures, targets (`met` per target), the peer's figures and the
 * ratio. Everything it starts is stopped at the end, also on error or Ctrl-C.
 *
 *   append  log-table appends vs Redis Streams XADD
 *   fetch   Arrow reads of a log table: all columns vs a projection
 *   upsert  primary-key upserts vs Redis HSET (appendfsync always)
 *   lookup  batched and single-key lookups vs Redis HGET
 *   join    delta join vs a stateful hash join: changes/s, lookups per change, RSS
 *   soak    10 minutes (or [minutes]) of mixed load: throughput over time, memory trend
 *   tiering log -> lake rows/s, Parquet size, freshness lag, a DuckDB query (bench/tiering.ts)
 *   parquet Parquet encode rows/s of the lake's Arrow path, ZSTD and Snappy, in process
 *   kafka-records  Kafka record batch v2 encode/decode records/s, every codec, in process
 *   kafka   the Kafka listener: librdkafka (kcat) and kafkajs produce/consume, end-to-end latency,
 *           vs HTTP Arrow append/fetch and Redis XADD
 *   all     every one of them, one after the other
 *
 * BENCH_SHORT=1 runs a tenth of the work of append, fetch, upsert and kafka, to check on a busy
 * machine that they run; their JSON then says `short: true`, and its figures are not the benches'.
 */
import { cleanupAll, MissingPeerError } from './lib.js';

type Bench = (args: readonly string[]) => Promise<Record<string, unknown>>;

const BENCHES: Record<string, () => Promise<Bench>> = {
  append: async () => (await import('./append.js')).run,
  fetch: async () => (await import('./fetch.js')).run,
  upsert: async () => (await import('./upsert.js')).run,
  lookup: async () => (await import('./lookup.js')).run,
  tiering: async () => (await import('./tiering.js')).run,
  parquet: async () => (await import('./parquet.js')).run,
  'kafka-records': async () => (await import('./kafka-records.js')).run,
  kafka: async () => (await import('./kafka.js')).run,
  join: async () => (await import('./join.js')).run,
  soak: async () => (await import('./soak.js')).run,
};

async function main(): Promise<number> {
  const name = process.argv[2];
  // `all` leaves out the 10-minute soak.
  const names = name === 'all' ? Object.keys(BENCHES).filter((n) => n !== 'soak') : name && BENCHES[name] ? [name] : [];
  if (names.length === 0) {
    process.stderr.write(`usage: npm run bench -- <${[...Object.keys(BENCHES), 'all'].join('|')}>\n`);
    return 2;
  }
  for (const n of names) {
    const run = await BENCHES[n]!();
    try {
      const result = await run(process.argv.slice(3));
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    } finally {
      await cleanupAll();
    }
  }
  return 0;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void cleanupAll().finally(() => process.exit(130));
  });
}

main().then(
  (code) => { process.exitCode = code; },
  async (err: unknown) => {
    await cleanupAll();
    process.stderr.write(`bench failed: ${err instanceof MissingPeerError ? err.message : (err as Error)?.stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
