/**
 * kafka: the Kafka listener with real Kafka clients, 100-byte values, acks=all, one 4-partition
 * topic per figure (a log table of Kafka's raw columns, 4 buckets, unkeyed records), all in one run:
 *
 *   - produce with librdkafka: `kcat -P` reading a file of N lines (-X acks=all, linger and batch
 *     sizes set for throughput), messages/s from kcat's start to its exit (it exits once every
 *     message is acknowledged);
 *   - produce with kafkajs: producer.send of 1,000-message batches, 8 in flight;
 *   - consume from offset 0 while the data is in the page cache: `kcat -C -e` (to the end of every
 *     partition, start to exit), and a kafkajs consumer (eachBatch, from its group's join to the
 *     last message);
 *   - end-to-end latency at a steady 10,000 messages/s: a kafkajs producer stamps each message with
 *     its send time; a kcat consumer, and then a kafkajs consumer in the producer's process, subtract
 *     it from the time they receive it;
 *   - peers, same rows: our own HTTP Arrow append (10,000-row bodies, 4 writers, unkeyed, into a
 *     4-bucket table of the same columns) and the HTTP Arrow fetch of them (one reader per bucket),
 *     and Redis Streams XADD (4 connections pipelining 10,000 commands, AOF everysec).
 *
 * Each figure carries the client's share of the CPU: its user+sys seconds over the wall seconds
 * (1.0 is one core; the machine's cores are shared by client, server and everything else), and the
 * server's share over the same time. BENCH_SHORT=1 runs a tenth of the sizes (and a shorter latency
 * run), to check that the bench runs; its figures are not the bench's figures.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { batchToIpc, rowsToBatch } from '../src/common/arrow.js';
import { KAFKA_RECORD_COLUMNS } from '../src/common/properties.js';
import {
  ARROW, checkReplies, childCpuSeconds, cpuSecondsOf, createTable, encodeCommand, machine, ok, pool, request, RespClient, round,
  scaled, SHORT, startLakestream, startRedis, target, tempDir, timed, type Lakestream,
} from './lib.js';

const PARTITIONS = 4;
const VALUE_BYTES = 100;
const RDKAFKA_MESSAGES = scaled(2_000_000);
const KAFKAJS_MESSAGES = scaled(500_000);
const KAFKAJS_BATCH = 1_000;
const KAFKAJS_IN_FLIGHT = 8;
const HTTP_BATCH_ROWS = 10_000;
const HTTP_WRITERS = 4;
const HTTP_BODIES = 8;
const HTTP_FETCH_BYTES = 16 * 1024 * 1024;
const REDIS_BATCH = 10_000;
const REDIS_CONNECTIONS = 4;
const LATENCY_RATE = 10_000;
const LATENCY_SECONDS = SHORT ? 3 : 20;
/** Latencies of messages sent in the first second are left out (connections, JIT, the group joining). */
const LATENCY_WARMUP_MS = 1_000;
const LATENCY_TICK_MS = 5;
/**
 * A fetch that finds no new data waits up to fetch.wait.max.ms (500 ms by default) for some: with
 * -e, the last fetch of each partition would add that wait to the run, not to its throughput.
 */
const RDKAFKA_CONSUME = ['-X', 'fetch.wait.max.ms=10'];
/** librdkafka settings for throughput: big batches, a little linger, many requests in flight. */
const RDKAFKA_PRODUCE = ['-X', 'acks=all', '-X', 'linger.ms=20', '-X', 'batch.num.messages=10000', '-X', 'batch.size=4000000', '-X', 'queue.buffering.max.messages=2000000', '-X', 'queue.buffering.max.kbytes=2000000'];

/** A 100-byte printable value for message i (kcat reads lines, so no newline inside). */
function value(i: number): Buffer {
  const b = Buffer.alloc(VALUE_BYTES, 0x61 + (i % 26));
  b.write(String(i).padStart(12, '0'), 0, 'latin1');
  return b;
}

interface Figure {
  messages: number;
  seconds: number;
  messagesPerSec: number;
  MBPerSec: number;
  /** Client CPU seconds over wall seconds. */
  clientCpuShare: number;
  serverCpuShare: number;
}

function figure(messages: number, seconds: number, clientCpu: number, serverCpu: number): Figure {
  return {
    messages, seconds: round(seconds, 2), messagesPerSec: round(messages / seconds), MBPerSec: round(messages * VALUE_BYTES / seconds / 1e6, 1),
    clientCpuShare: round(clientCpu / seconds, 2), serverCpuShare: round(serverCpu / seconds, 2),
  };
}

/** Times `fn` with the CPU it costs in this process and in the server. */
async function measured(server: Lakestream | undefined, messages: number, fn: () => Promise<void>): Promise<Figure> {
  const cpu0 = process.cpuUsage();
  const server0 = server ? cpuSecondsOf(server.pid) : 0;
  const seconds = await timed(fn);
  const cpu = process.cpuUsage(cpu0);
  return figure(messages, seconds, (cpu.user + cpu.system) / 1e6, server ? cpuSecondsOf(server.pid) - server0 : 0);
}

// ---------------------------------------------------------------------------------------------
// librdkafka (kcat)

/** Runs kcat to its exit; its CPU is what this process's reaped children gained meanwhile. */
async function kcat(server: Lakestream, messages: number, args: string[]): Promise<{ figure: Figure; stdoutBytes: number }> {
  const children0 = childCpuSeconds();
  const server0 = cpuSecondsOf(server.pid);
  let stdoutBytes = 0;
  let stderr = '';
  const seconds = await timed(() => new Promise((resolve, reject) => {
    const proc = spawn('kcat', ['-b', `127.0.0.1:${server.kafkaPort}`, '-q', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    proc.stdout.on('data', (d: Buffer) => { stdoutBytes += d.length; });
    proc.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    proc.once('error', reject);
    proc.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`kcat ${args.join(' ')} exited with ${code}: ${stderr.slice(0, 2000)}`))));
  }));
  return { figure: figure(messages, seconds, childCpuSeconds() - children0, cpuSecondsOf(server.pid) - server0), stdoutBytes };
}

// ---------------------------------------------------------------------------------------------
// kafkajs

function kafkajs(server: Lakestream): Kafka {
  return new Kafka({ clientId: 'lakestream-bench', brokers: [`127.0.0.1:${server.kafkaPort}`], logLevel: logLevel.NOTHING });
}

async function createTopics(kafka: Kafka, topics: string[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: topics.map((topic) => ({ topic, numPartitions: PARTITIONS })), waitForLeaders: true });
  await admin.disconnect();
}

async function messagesIn(kafka: Kafka, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  return offsets.reduce((n, p) => n + Number(p.high), 0);
}

async function kafkajsProduce(server: Lakestream, kafka: Kafka, topic: string): Promise<Figure> {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const batches = Array.from({ length: KAFKAJS_IN_FLIGHT }, (_, b) => Array.from({ length: KAFKAJS_BATCH }, (_, i) => ({ value: value(b * KAFKAJS_BATCH + i) })));
  const result = await measured(server, KAFKAJS_MESSAGES, () => pool(KAFKAJS_MESSAGES / KAFKAJS_BATCH, KAFKAJS_IN_FLIGHT, async (i) => {
    await producer.send({ topic, acks: -1, messages: batches[i % KAFKAJS_IN_FLIGHT]! });
  }));
  await producer.disconnect();
  return result;
}

/** Consumes `messages` from offset 0; timed from the group's join (the consumer's first fetch follows it) to the last message. */
async function kafkajsConsume(server: Lakestream, kafka: Kafka, topic: string, messages: number): Promise<Figure> {
  const consumer = kafka.consumer({ groupId: `bench-${topic}`, maxBytesPerPartition: 4 * 1024 * 1024, maxBytes: 16 * 1024 * 1024 });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  let seen = 0;
  let consumed!: () => void;
  const all = new Promise<void>((resolve) => { consumed = resolve; });
  const isJoined = joined(consumer);
  void consumer.run({
    eachBatch: async ({ batch }) => {
      seen += batch.messages.length;
      if (seen >= messages) consumed();
    },
  });
  await isJoined;
  const result = await measured(server, messages, () => all);
  await consumer.disconnect();
  return result;
}

function joined(consumer: Consumer): Promise<void> {
  return new Promise((resolve) => {
    const remove = consumer.on(consumer.events.GROUP_JOIN, () => {
      remove();
      resolve();
    });
  });
}

/** Milliseconds since the epoch, with the sub-millisecond part (one clock for sender and receiver here). */
const epochMs = (): number => performance.timeOrigin + performance.now();

/** What a latency run's consumer records: messages received, and their latencies once measuring. */
class LatencyLog {
  /** Messages sent before this (ms since the epoch) are not measured: the first second warms up. */
  measureFrom = Number.POSITIVE_INFINITY;
  received = 0;
  readonly latenciesMs: number[] = [];
  private waiter: { n: number; resolve: () => void } | undefined;

  add(sentAtMs: number, receivedAtMs: number): void {
    if (sentAtMs >= this.measureFrom) this.latenciesMs.push(receivedAtMs - sentAtMs);
    this.received++;
    if (this.waiter && this.received >= this.waiter.n) this.waiter.resolve();
  }

  reached(n: number): Promise<void> {
    if (this.received >= n) return Promise.resolve();
    return new Promise((resolve) => { this.waiter = { n, resolve }; });
  }
}

type LatencyReader = (log: LatencyLog) => Promise<{ stop(): Promise<void> }>;

/** A kafkajs consumer in this process: the send time is the value's first 8 bytes (a double, ms). */
function kafkajsReader(kafka: Kafka, topic: string): LatencyReader {
  return async (log) => {
    const consumer = kafka.consumer({ groupId: `bench-${topic}`, maxWaitTimeInMs: 500 });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    const isJoined = joined(consumer);
    void consumer.run({
      eachBatch: async ({ batch }) => {
        const now = epochMs();
        for (const m of batch.messages) log.add(m.value!.readDoubleBE(0), now);
      },
    });
    await isJoined;
    return { stop: () => consumer.disconnect() };
  };
}

/** kcat printing each record's timestamp (the producer's send time, whole ms) as it arrives. */
function kcatReader(server: Lakestream, topic: string): LatencyReader {
  return async (log) => {
    const proc = spawn('kcat', ['-C', '-b', `127.0.0.1:${server.kafkaPort}`, '-t', topic, '-o', 'beginning', '-u', '-q', '-f', '%T\n'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let partial = '';
    proc.stdout.setEncoding('latin1');
    proc.stdout.on('data', (text: string) => {
      const now = Date.now();
      const lines = (partial + text).split('\n');
      partial = lines.pop()!;
      for (const line of lines) log.add(Number(line), now);
    });
    return {
      stop: () => new Promise<void>((resolve) => {
        proc.once('exit', () => resolve());
        proc.kill();
      }),
    };
  };
}

/** A sample's key: its name and its labels in name order, whatever order /metrics prints them in. */
function sampleKey(name: string, labels: Record<string, string> = {}): string {
  const sorted = Object.keys(labels).sort().map((k) => `${k}="${labels[k]}"`);
  return sorted.length > 0 ? `${name}{${sorted.join(',')}}` : name;
}

/** The server's metric samples by sampleKey. */
async function scrape(server: Lakestream): Promise<Map<string, number>> {
  const text = (await ok(request(`${server.url}/metrics`, 'GET'), 'metrics')).body.toString();
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1]!, l[2]!]));
    samples.set(sampleKey(m[1]!, labels), Number(m[3]));
  }
  return samples;
}

/**
 * What the server saw over a run, to tell where a latency tail comes from: its group commits
 * (fdatasync of the log) and how many took longer than 25 ms, its event loop's delay (prom-client
 * samples it between scrapes) and its garbage collections longer than 100 ms.
 */
function serverSide(before: Map<string, number>, after: Map<string, number>): Record<string, number> {
  const grew = (name: string, labels?: Record<string, string>) => (after.get(sampleKey(name, labels)) ?? 0) - (before.get(sampleKey(name, labels)) ?? 0);
  const fsync = 'lakestream_log_fsync_duration_seconds';
  const gc = 'nodejs_gc_duration_seconds';
  const gcOver100Ms = ['minor', 'major', 'incremental', 'weakcb'].reduce((n, kind) => n + grew(`${gc}_count`, { kind }) - grew(`${gc}_bucket`, { kind, le: '0.1' }), 0);
  return {
    groupCommits: grew(`${fsync}_count`),
    groupCommitsOver25Ms: grew(`${fsync}_count`) - grew(`${fsync}_bucket`, { le: '0.025' }),
    groupCommitMeanMs: round(grew(`${fsync}_sum`) / Math.max(1, grew(`${fsync}_count`)) * 1000, 2),
    eventLoopDelayP99Ms: round((after.get('nodejs_eventloop_lag_p99_seconds') ?? NaN) * 1000, 1),
    eventLoopDelayMaxMs: round((after.get('nodejs_eventloop_lag_max_seconds') ?? NaN) * 1000, 1),
    gcOver100Ms,
  };
}

function percentiles(values: number[]): Record<string, number> {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) => round(sorted[Math.min(sorted.length - 1, Math.ceil(p / 100 * sorted.length) - 1)]!, 2);
  return { p50Ms: at(50), p90Ms: at(90), p99Ms: at(99), maxMs: at(100) };
}

/**
 * End-to-end latency at a steady rate: a kafkajs producer sends what is due every few ms (acks=all),
 * stamping each message's value (ms, sub-ms part included) and timestamp (whole ms) with its send time;
 * `reader` subtracts it from its receive time. Also the producer's own wait for each acknowledgement.
 */
async function latency(server: Lakestream, kafka: Kafka, topic: string, reader: LatencyReader): Promise<Record<string, unknown>> {
  const log = new LatencyLog();
  const consumer = await reader(log);
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const stamped = (i: number, at: number) => {
    const v = value(i);
    v.writeDoubleBE(at, 0);
    return { value: v, timestamp: String(Math.floor(at)) };
  };
  // The consumer reads the topic once it has the first message.
  await producer.send({ topic, acks: -1, messages: [stamped(0, epochMs())] });
  await log.reached(1);
  const total = LATENCY_RATE * LATENCY_SECONDS;
  const acksMs: number[] = [];
  const metrics0 = await scrape(server);
  const start = performance.now();
  log.measureFrom = epochMs() + LATENCY_WARMUP_MS;
  let sent = 0;
  const inFlight = new Set<Promise<unknown>>();
  while (sent < total) {
    const due = Math.min(total, Math.floor((performance.now() - start) * LATENCY_RATE / 1000)) - sent;
    if (due > 0) {
      const at = epochMs();
      const messages = Array.from({ length: due }, (_, i) => stamped(sent + i, at));
      sent += due;
      const p = producer.send({ topic, acks: -1, messages }).then(() => {
        if (at >= log.measureFrom) acksMs.push(epochMs() - at);
      }).finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
    await new Promise((r) => setTimeout(r, LATENCY_TICK_MS));
  }
  await Promise.all(inFlight);
  const seconds = (performance.now() - start) / 1000;
  await log.reached(total + 1);
  const server1 = serverSide(metrics0, await scrape(server));
  await producer.disconnect();
  await consumer.stop();
  const acks = percentiles(acksMs);
  return {
    messages: total, sendRatePerSec: round(total / seconds), measured: log.latenciesMs.length, ...percentiles(log.latenciesMs),
    produceAckP50Ms: acks.p50Ms!, produceAckP99Ms: acks.p99Ms!, server: server1,
  };
}

// ---------------------------------------------------------------------------------------------
// Peers: HTTP Arrow append and fetch of the same rows, Redis Streams

function httpBodies(): Uint8Array[] {
  const now = Date.now();
  return Array.from({ length: HTTP_BODIES }, (_, b) => batchToIpc(rowsToBatch(KAFKA_RECORD_COLUMNS, Array.from({ length: HTTP_BATCH_ROWS }, (_, i) => ({
    key: null, value: value(b * HTTP_BATCH_ROWS + i), headers: null, timestamp: now,
  })))));
}

async function httpAppend(server: Lakestream, table: string, rows: number): Promise<Figure> {
  const bodies = httpBodies();
  const url = `${server.url}/v1/databases/bench/tables/${table}/append`;
  return measured(server, rows, () => pool(rows / HTTP_BATCH_ROWS, HTTP_WRITERS, async (i) => {
    await ok(request(url, 'POST', bodies[i % HTTP_BODIES]!, { 'content-type': ARROW }), 'append');
  }));
}

async function httpFetch(server: Lakestream, table: string, rows: number): Promise<Figure> {
  const base = `${server.url}/v1/databases/bench/tables/${table}/buckets`;
  let read = 0;
  const result = await measured(server, rows, () => pool(PARTITIONS, PARTITIONS, async (bucket) => {
    for (let offset = 0n; ;) {
      const r = await ok(request(`${base}/${bucket}/records?offset=${offset}&maxBytes=${HTTP_FETCH_BYTES}&maxRecords=1000000`, 'GET', undefined, { accept: ARROW }), 'fetch');
      const next = BigInt(r.headers['x-next-offset'] as string);
      read += Number(next - offset);
      offset = next;
      if (offset >= BigInt(r.headers['x-high-watermark'] as string)) return;
    }
  }));
  if (read !== rows) throw new Error(`HTTP fetch read ${read} rows of ${rows}`);
  return result;
}

async function redisXadd(messages: number): Promise<{ version: string; figure: Figure }> {
  const redis = await startRedis('everysec');
  const conns = await Promise.all(Array.from({ length: REDIS_CONNECTIONS }, () => RespClient.connect(redis.port)));
  const commands = Array.from({ length: REDIS_CONNECTIONS }, (_, c) => Buffer.concat(Array.from({ length: REDIS_BATCH }, (_, i) => encodeCommand(['XADD', 'events', '*', 'v', value(c * REDIS_BATCH + i)]))));
  const batches = messages / REDIS_BATCH;
  const result = await measured(undefined, messages, () => Promise.all(conns.map(async (conn, c) => {
    for (let i = c; i < batches; i += REDIS_CONNECTIONS) checkReplies(await conn.pipeline(commands[c]!, REDIS_BATCH));
  })).then(() => undefined));
  for (const c of conns) c.close();
  await redis.stop();
  return { version: redis.version, figure: result };
}

// ---------------------------------------------------------------------------------------------

export async function run(): Promise<Record<string, unknown>> {
  const server = await startLakestream();
  const kafka = kafkajs(server);
  await createTopics(kafka, ['rdkafka', 'kafkajs', 'latency-librdkafka', 'latency-kafkajs']);
  await createTable(server.url, 'bench', 'http', { columns: KAFKA_RECORD_COLUMNS, buckets: PARTITIONS });

  // Latency first, on a quiet server: the bulk runs after it leave the kernel writing back their pages.
  const e2eLibrdkafka = await latency(server, kafka, 'latency-librdkafka', kcatReader(server, 'latency-librdkafka'));
  const e2eKafkajs = await latency(server, kafka, 'latency-kafkajs', kafkajsReader(kafka, 'latency-kafkajs'));

  const file = path.join(tempDir('lakestream-bench-kcat-'), 'values.txt');
  fs.writeFileSync(file, Buffer.concat(Array.from({ length: RDKAFKA_MESSAGES }, (_, i) => Buffer.concat([value(i), Buffer.from('\n')]))));
  const rdProduce = await kcat(server, RDKAFKA_MESSAGES, ['-P', '-t', 'rdkafka', '-l', file, ...RDKAFKA_PRODUCE]);
  if ((await messagesIn(kafka, 'rdkafka')) !== RDKAFKA_MESSAGES) throw new Error('kcat did not produce every message');
  // One byte per message, so that printing costs kcat nothing and the count is checked.
  const rdConsume = await kcat(server, RDKAFKA_MESSAGES, ['-C', '-t', 'rdkafka', '-o', 'beginning', '-e', '-f', 'x', ...RDKAFKA_CONSUME]);
  if (rdConsume.stdoutBytes !== RDKAFKA_MESSAGES) throw new Error(`kcat consumed ${rdConsume.stdoutBytes} of ${RDKAFKA_MESSAGES} messages`);

  const jsProduce = await kafkajsProduce(server, kafka, 'kafkajs');
  const jsConsume = await kafkajsConsume(server, kafka, 'kafkajs', KAFKAJS_MESSAGES);

  const httpAppendFigure = await httpAppend(server, 'http', RDKAFKA_MESSAGES);
  const httpFetchFigure = await httpFetch(server, 'http', RDKAFKA_MESSAGES);
  await server.stop();
  const redis = await redisXadd(RDKAFKA_MESSAGES);

  const overHttp = rdProduce.figure.messagesPerSec / httpAppendFigure.messagesPerSec;
  const overRedis = rdProduce.figure.messagesPerSec / redis.figure.messagesPerSec;
  return {
    bench: 'kafka',
    ...(SHORT ? { short: true } : {}),
    setup: {
      valueBytes: VALUE_BYTES, acks: 'all (acknowledged after fdatasync)', partitions: PARTITIONS,
      topics: `log tables of Kafka's raw columns (key, value, headers, timestamp), ${PARTITIONS} buckets, unkeyed records (no bucket key: librdkafka's sticky random partitioner, kafkajs round-robin, HTTP round-robin batches)`,
      librdkafka: `kcat 1.7 (librdkafka 2.0); produce: ${RDKAFKA_PRODUCE.filter((a) => a !== '-X').join(' ')}; consume: ${RDKAFKA_CONSUME.filter((a) => a !== '-X').join(' ')}`,
      kafkajs: `2.2.4, batches of ${KAFKAJS_BATCH}, ${KAFKAJS_IN_FLIGHT} in flight`,
      http: `Arrow bodies of ${HTTP_BATCH_ROWS} rows, ${HTTP_WRITERS} writers; fetch: one reader per bucket, maxBytes ${HTTP_FETCH_BYTES}`,
      redis: `${REDIS_CONNECTIONS} connections pipelining ${REDIS_BATCH} XADD, AOF appendfsync everysec`,
      cpuShare: 'user+sys CPU seconds over wall seconds (1.0 = one core of the machine)',
    },
    produce: { librdkafka: rdProduce.figure, kafkajs: jsProduce },
    consumeFromOffset0: { librdkafka: rdConsume.figure, kafkajs: jsConsume },
    endToEndLatency: {
      rate: LATENCY_RATE,
      producer: 'kafkajs (acks=all), sending what is due every 5 ms; the first second is not measured',
      librdkafkaConsumer: { consumer: 'kcat -C -u, timestamps in whole ms', ...e2eLibrdkafka },
      kafkajsConsumer: { consumer: 'kafkajs, in the producer\'s process', ...e2eKafkajs },
    },
    peers: {
      httpArrowAppend: httpAppendFigure,
      httpArrowFetch: httpFetchFigure,
      redisXadd: { name: `redis ${redis.version} streams (XADD, AOF appendfsync everysec: up to 1 s of acknowledged writes can be lost)`, ...redis.figure },
    },
    ratio: { librdkafkaProduceOverHttpAppend: round(overHttp, 2), librdkafkaProduceOverRedis: round(overRedis, 2) },
    targets: [
      target('librdkafka produce / HTTP Arrow append', round(overHttp, 2), '>=', 0.8, 'x'),
      target('librdkafka produce / Redis XADD', round(overRedis, 2), '>=', 2, 'x'),
      target('librdkafka consume from offset 0', rdConsume.figure.messagesPerSec, '>=', 1_000_000, 'messages/s'),
      target('end-to-end p99 at 10k messages/s (librdkafka consumer)', e2eLibrdkafka.p99Ms as number, '<=', 20, 'ms'),
      target('end-to-end p99 at 10k messages/s (kafkajs consumer)', e2eKafkajs.p99Ms as number, '<=', 20, 'ms'),
    ],
    machine: machine(),
  };
}
