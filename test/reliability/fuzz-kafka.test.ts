/**
 * Hostile bytes against the real server's Kafka listener, beside the HTTP fuzzer: random frames,
 * damaged valid frames of every served API and version, frames cut short, size prefixes that are
 * huge, negative or too small, frames sent one byte per write, long pipelines, garbage after a
 * valid request, and produce requests whose record batches are corrupt (bad CRC, magic 0 and 1,
 * bad record lengths and counts, unknown compression, compression bombs of every codec).
 *
 * The oracle (kafka-wire.ts) cuts each stream as the listener does and decodes each frame with the
 * protocol room's decodeRequest, so it knows which frames must be answered, in what order, and
 * where the server must instead close the connection. The server must: answer every request it
 * can decode, in order, with a response its description reads exactly; close the connection at a
 * frame it cannot, with a log line naming the problem; refuse a frame above --max-request-bytes
 * from its size alone; never crash or throw from a handler; keep serving Kafka and HTTP; and keep
 * its memory bounded. Seeded: FUZZ_SEED replays a run.
 */
import fs from 'node:fs';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaError } from '../../src/kafka/protocol/error-codes.js';
import { API_SPECS, apiSpec } from '../../src/kafka/protocol/registry.js';
import type { ApiSpec } from '../../src/kafka/protocol/schema.js';
import type { KafkaCompression } from '../../src/kafka/records/compression.js';
import { crc32c } from '../../src/common/crc32c.js';
import {
  ATTRIBUTES_OFFSET, BATCH_LENGTH_OFFSET, CRC_OFFSET, encodeRecordBatch, LAST_OFFSET_DELTA_OFFSET, MAGIC_OFFSET, RECORD_COUNT_OFFSET, RECORDS_OFFSET,
} from '../../src/kafka/records/record-batch.js';
import { call, startServer, type ServerProcess } from '../e2e/helpers.js';
import { mutateFrame } from '../kafka/protocol/mutations.js';
import { describedVersions, sampleMessage } from '../kafka/protocol/samples.js';
import {
  COMPACT_TOPIC, cutFrames, predict, realisticBody, requestFrame, responseProblems, sized, TOPIC, validBatch, type Prediction,
} from './kafka-wire.js';
import { int, mulberry32, pick, until, type Rng } from './support.js';

const SEED = Number(process.env.FUZZ_SEED ?? 0x6b66757a);
const CASES = Number(process.env.FUZZ_KAFKA_CASES ?? 2500);
const CONCURRENCY = 8;
const MB = 1024 * 1024;
const MAX_REQUEST_BYTES = MB;
/** A produce's records may decompress to 4 x --max-request-bytes (handlers/produce.ts); bombs go past it. */
const BOMB_BYTES = 16 * MB;
/**
 * How long a case's connection is given to answer or close; only a long poll or a rebalance may
 * take longer. Generous: the fuzz keeps the server busy, on cores shared with the fuzzer.
 */
const ANSWER_WAIT_MS = 5000;
/** What the server may grow by while fuzzed: every case's frames are at most 1 MiB, 8 cases at a time. */
const RSS_GROWTH_BYTES_MAX = 256 * MB;
const CLOSE_LOG = /kafka: closing connection: |kafka: SASL authentication failed/;
const UNANSWERABLE_LOG = /kafka: closing connection: the request could not be answered/;

let server: ServerProcess;

interface FuzzCase {
  what: string;
  /** The writes in order; each waits for the one before, so a one-byte write arrives on its own. */
  writes: Buffer[];
  /** Half-close after the writes: a client that leaves inside a frame. */
  endAfterWrites?: boolean;
  /** A produce whose first partition must be refused with one of these Kafka error codes. */
  produceErrorCodes?: readonly number[];
}

// -------------------------------------------------------------------------------------------------
// Frames

const ALL_SPECS = Object.values(API_SPECS) as ApiSpec[];
/** APIs that answer at once whatever the group state, for pipelines and one-byte writes. */
const QUICK_APIS = [18, 3, 2, 10, 32, 16, 15, 9, 0, 1].map((k) => apiSpec(k)!);

function realisticFrame(rng: Rng, specs: readonly ApiSpec[] = ALL_SPECS): Uint8Array {
  const spec = pick(rng, specs);
  const version = pick(rng, describedVersions(spec.request));
  return requestFrame(spec, version, int(rng, 0, 2 ** 31 - 1), realisticBody(spec.request.fields, version, rng));
}

/** A body made of the description's sample values (odd names and big numbers the server mostly refuses). */
function sampleFrame(rng: Rng): Uint8Array {
  const spec = pick(rng, ALL_SPECS);
  const version = pick(rng, describedVersions(spec.request));
  return requestFrame(spec, version, int(rng, 0, 2 ** 31 - 1), sampleMessage(spec.request, version, { nulls: rng() < 0.3, arrayLength: int(rng, 0, 3) }), rng() < 0.2 ? null : 'fuzz');
}

function randomBytes(rng: Rng, n: number): Buffer {
  return Buffer.from(Array.from({ length: n }, () => (rng() < 0.3 ? pick(rng, [0x00, 0x7f, 0x80, 0xff]) : int(rng, 0, 255))));
}

function produceFrame(rng: Rng, records: Uint8Array, topic = TOPIC): Uint8Array {
  const spec = apiSpec(0)!;
  const version = pick(rng, describedVersions(spec.request));
  return requestFrame(spec, version, int(rng, 0, 2 ** 31 - 1), {
    transactionalId: null, acks: -1, timeoutMs: 1000, topicData: [{ name: topic, partitionData: [{ index: int(rng, 0, 1), records }] }],
  });
}

// -------------------------------------------------------------------------------------------------
// Corrupt record batches, each with the code the partition must be refused with

function withCrc(batch: Uint8Array): Uint8Array {
  if (batch.length < ATTRIBUTES_OFFSET) return batch;
  new DataView(batch.buffer, batch.byteOffset, batch.byteLength).setUint32(CRC_OFFSET, crc32c(batch, ATTRIBUTES_OFFSET, batch.length));
  return batch;
}

function patched(rng: Rng, patch: (dv: DataView, b: Uint8Array) => void, recomputeCrc = true): Uint8Array {
  const b = Uint8Array.from(validBatch(rng));
  patch(new DataView(b.buffer), b);
  return recomputeCrc ? withCrc(b) : b;
}

const CODECS: readonly Exclude<KafkaCompression, 'none'>[] = ['gzip', 'snappy', 'lz4', 'zstd'];
const ZEROS = new Uint8Array(BOMB_BYTES);
/** One record of 16 MiB of zeros per codec: kilobytes on the wire. */
const BOMBS = new Map(CODECS.map((codec) => [codec, encodeRecordBatch({
  baseOffset: 0n, producerId: -1n, producerEpoch: -1, baseSequence: -1, count: 1, timestamp: () => Date.now(), key: () => null, value: () => ZEROS, headers: () => null, compression: codec,
})]));

function compressedGarbage(rng: Rng, codec: KafkaCompression): Uint8Array {
  const garbage = randomBytes(rng, int(rng, 1, 64));
  const b = new Uint8Array(RECORDS_OFFSET + garbage.length);
  b.set(validBatch(rng).subarray(0, RECORDS_OFFSET));
  b.set(garbage, RECORDS_OFFSET);
  const dv = new DataView(b.buffer);
  dv.setInt32(BATCH_LENGTH_OFFSET, b.length - 12);
  dv.setInt16(ATTRIBUTES_OFFSET, { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 }[codec]);
  return withCrc(b);
}

const CORRUPTIONS: readonly { what: string; codes: readonly number[]; build: (rng: Rng) => Uint8Array }[] = [
  { what: 'bad CRC', codes: [KafkaError.CORRUPT_MESSAGE], build: (rng) => patched(rng, (_dv, b) => { b[int(rng, ATTRIBUTES_OFFSET, b.length - 1)]! ^= 0x10; }, false) },
  { what: 'magic 0', codes: [KafkaError.UNSUPPORTED_FOR_MESSAGE_FORMAT], build: (rng) => patched(rng, (dv) => dv.setInt8(MAGIC_OFFSET, 0)) },
  { what: 'magic 1', codes: [KafkaError.UNSUPPORTED_FOR_MESSAGE_FORMAT], build: (rng) => patched(rng, (dv) => dv.setInt8(MAGIC_OFFSET, 1)) },
  { what: 'magic 3', codes: [KafkaError.CORRUPT_MESSAGE], build: (rng) => patched(rng, (dv) => dv.setInt8(MAGIC_OFFSET, 3)) },
  { what: 'batch length past the end', codes: [KafkaError.CORRUPT_MESSAGE], build: (rng) => patched(rng, (dv) => dv.setInt32(BATCH_LENGTH_OFFSET, dv.getInt32(BATCH_LENGTH_OFFSET) + 100)) },
  { what: 'batch length inside the header', codes: [KafkaError.CORRUPT_MESSAGE], build: (rng) => patched(rng, (dv) => dv.setInt32(BATCH_LENGTH_OFFSET, 10)) },
  { what: 'batch cut short', codes: [KafkaError.CORRUPT_MESSAGE], build: (rng) => validBatch(rng).slice(0, int(rng, 1, RECORDS_OFFSET + 4)) },
  { what: 'first record longer than its bytes', codes: [KafkaError.INVALID_RECORD], build: (rng) => patched(rng, (_dv, b) => { b[RECORDS_OFFSET]! += 2; }) },
  { what: 'first record shorter than its fields', codes: [KafkaError.INVALID_RECORD], build: (rng) => patched(rng, (_dv, b) => { b[RECORDS_OFFSET]! -= 2; }) },
  { what: 'record count 2^31-1', codes: [KafkaError.INVALID_RECORD], build: (rng) => patched(rng, (dv) => dv.setInt32(RECORD_COUNT_OFFSET, 0x7fffffff)) },
  { what: 'record count -1', codes: [KafkaError.INVALID_RECORD], build: (rng) => patched(rng, (dv) => dv.setInt32(RECORD_COUNT_OFFSET, -1)) },
  { what: 'last offset delta beyond the records', codes: [KafkaError.INVALID_RECORD], build: (rng) => patched(rng, (dv) => dv.setInt32(LAST_OFFSET_DELTA_OFFSET, 7)) },
  { what: 'compression id 5', codes: [KafkaError.UNSUPPORTED_COMPRESSION_TYPE], build: (rng) => patched(rng, (dv) => dv.setInt16(ATTRIBUTES_OFFSET, 5)) },
  { what: 'log append time from a producer', codes: [KafkaError.INVALID_TIMESTAMP], build: (rng) => patched(rng, (dv) => dv.setInt16(ATTRIBUTES_OFFSET, 0x08)) },
  { what: 'control batch from a producer', codes: [KafkaError.INVALID_RECORD], build: (rng) => patched(rng, (dv) => dv.setInt16(ATTRIBUTES_OFFSET, 0x20)) },
  { what: 'no batch at all', codes: [KafkaError.INVALID_RECORD], build: () => new Uint8Array(0) },
  ...CODECS.map((codec) => ({ what: `${codec} bomb`, codes: [KafkaError.MESSAGE_TOO_LARGE], build: () => BOMBS.get(codec)! })),
  // Garbage may also declare a decompressed size beyond the bound, which is refused before decoding.
  ...CODECS.map((codec) => ({ what: `${codec} garbage`, codes: [KafkaError.INVALID_RECORD, KafkaError.MESSAGE_TOO_LARGE], build: (rng: Rng) => compressedGarbage(rng, codec) })),
];

// -------------------------------------------------------------------------------------------------
// Cases

type Generator = (rng: Rng) => FuzzCase;

const GENERATORS: readonly [weight: number, Generator][] = [
  [30, (rng) => ({ what: 'damaged valid frame', writes: [sized(mutateFrame(rng, realisticFrame(rng)))] })],
  [8, (rng) => ({ what: 'damaged sample frame', writes: [sized(mutateFrame(rng, sampleFrame(rng)))] })],
  [10, (rng) => ({ what: 'valid frame', writes: [sized(realisticFrame(rng))] })],
  [6, (rng) => ({ what: 'random frame', writes: [sized(randomBytes(rng, int(rng, 0, 96)))] })],
  [4, (rng) => ({ what: 'random bytes', writes: [randomBytes(rng, int(rng, 1, 64))] })],
  [4, (rng) => {
    const size = pick(rng, [-1, -(2 ** 31), -8, 0, 1, 7]);
    return { what: `size prefix ${size}`, writes: [sized(randomBytes(rng, int(rng, 0, 32)), size)] };
  }],
  [4, (rng) => {
    // Refused from the prefix alone: the bytes after it are never waited for.
    const size = pick(rng, [MAX_REQUEST_BYTES + 1, 2 ** 31 - 1, 100 * MB]);
    return { what: `size prefix ${size} above --max-request-bytes`, writes: [sized(realisticFrame(rng), size)] };
  }],
  [4, (rng) => {
    const frame = sized(realisticFrame(rng));
    return { what: 'frame cut short, then the client leaves', writes: [frame.subarray(0, int(rng, 1, frame.length - 1))], endAfterWrites: true };
  }],
  [4, (rng) => {
    const frames = Buffer.concat(Array.from({ length: int(rng, 1, 3) }, () => sized(realisticFrame(rng, QUICK_APIS))));
    return { what: 'valid frames in one-byte writes', writes: [...frames].map((b) => Buffer.of(b)) };
  }],
  [4, (rng) => {
    const n = int(rng, 10, 120);
    return { what: `${n} pipelined requests`, writes: [Buffer.concat(Array.from({ length: n }, () => sized(realisticFrame(rng, QUICK_APIS))))] };
  }],
  [3, (rng) => {
    const handshake = sized(requestFrame(apiSpec(17)!, 0, int(rng, 0, 1000), { mechanism: 'PLAIN' }));
    const token = pick(rng, [Buffer.from('\0fuzz\0token'), Buffer.from('user\0token'), randomBytes(rng, int(rng, 8, 40))]);
    const after = rng() < 0.5 ? [sized(realisticFrame(rng, QUICK_APIS))] : [];
    return { what: 'SaslHandshake v0 then a raw token', writes: [Buffer.concat([handshake, sized(token), ...after])] };
  }],
  [6, (rng) => ({ what: 'garbage after a valid request', writes: [Buffer.concat([sized(realisticFrame(rng, QUICK_APIS)), randomBytes(rng, int(rng, 1, 64))])] })],
  [6, (rng) => {
    const c = pick(rng, CORRUPTIONS);
    return { what: `produce: ${c.what}`, writes: [sized(produceFrame(rng, c.build(rng), rng() < 0.8 ? TOPIC : COMPACT_TOPIC))], produceErrorCodes: c.codes };
  }],
  [6, (rng) => {
    const batch = withCrc(Uint8Array.from(mutateFrame(rng, validBatch(rng))));
    return { what: 'produce: damaged batch with its CRC made right', writes: [sized(produceFrame(rng, batch))] };
  }],
];
const WEIGHT_TOTAL = GENERATORS.reduce((n, [w]) => n + w, 0);

function generate(rng: Rng): FuzzCase {
  let r = rng() * WEIGHT_TOTAL;
  for (const [w, g] of GENERATORS) {
    if ((r -= w) < 0) return g(rng);
  }
  return GENERATORS[0]![1](rng);
}

// -------------------------------------------------------------------------------------------------
// Running a case

interface Outcome {
  /** Response frames, without their size prefixes. */
  responses: Buffer[];
  /** The server ended the connection (not in answer to the client's own half-close). */
  closedByServer: boolean;
  timedOut: boolean;
  remote: string;
  connectError?: string;
}

function write(socket: net.Socket, bytes: Buffer): Promise<void> {
  return new Promise((resolve) => socket.write(bytes, () => resolve()));
}

function run(c: FuzzCase, prediction: Prediction): Promise<Outcome> {
  return new Promise((resolve) => {
    const socket = net.connect(server.kafkaPort, '127.0.0.1');
    socket.setNoDelay(true);
    const outcome: Outcome = { responses: [], closedByServer: false, timedOut: false, remote: '' };
    let received = Buffer.alloc(0);
    let writesDone = false;
    let leftFirst = false;
    let settled = false;
    const finish = (how: 'closed' | 'answered' | 'timeout', err?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (how === 'closed' && !outcome.remote) outcome.connectError = err?.message ?? 'closed before connecting';
      outcome.closedByServer = how === 'closed' && !leftFirst;
      outcome.timedOut = how === 'timeout';
      resolve(outcome);
    };
    const timer = setTimeout(() => finish('timeout'), ANSWER_WAIT_MS);
    // Done once every predicted answer is in, unless the server still owes a refusal's close.
    const answered = () => writesDone && outcome.responses.length >= prediction.answers.length && typeof prediction.end === 'string';
    socket.on('data', (d: Buffer) => {
      const cut = cutFrames(Buffer.concat([received, d]));
      outcome.responses.push(...cut.frames.map((f) => Buffer.from(f)));
      received = Buffer.from(cut.rest);
      if (answered()) finish('answered');
    });
    socket.on('error', (err) => finish('closed', err));
    socket.on('close', () => finish('closed'));
    socket.on('connect', async () => {
      outcome.remote = `127.0.0.1:${socket.localPort}`;
      for (const bytes of c.writes) {
        if (settled) return;
        await write(socket, bytes);
        if (c.writes.length > 1) await new Promise(setImmediate);
      }
      if (c.endAfterWrites) {
        leftFirst = true;
        socket.end();
      }
      writesDone = true;
      if (answered()) finish('answered');
    });
  });
}

// -------------------------------------------------------------------------------------------------
// Judging a case

interface Verdict {
  problems: string[];
  /** The server closed: its log must say why, for this remote, matching this. */
  logMust?: RegExp;
}

function firstPartitionError(body: Record<string, unknown>): number | undefined {
  const responses = body.responses as { partitionResponses: { errorCode: number }[] }[] | undefined;
  return responses?.[0]?.partitionResponses[0]?.errorCode;
}

function judge(c: FuzzCase, p: Prediction, o: Outcome): Verdict {
  if (o.connectError) return { problems: [`could not connect: ${o.connectError}`] };
  const problems: string[] = [];
  if (o.responses.length > p.answers.length && p.end !== 'unpredictable') problems.push(`${o.responses.length} answers to ${p.answers.length} requests`);
  for (let i = 0; i < Math.min(o.responses.length, p.answers.length); i++) {
    const expected = p.answers[i]!;
    const { problems: wrong, body } = responseProblems(o.responses[i]!, expected);
    problems.push(...wrong.map((w) => `answer ${i} (${expected.what}): ${w}`));
    if (i === 0 && body && c.produceErrorCodes && !c.produceErrorCodes.includes(firstPartitionError(body)!)) {
      problems.push(`produce answered with error ${firstPartitionError(body)}, expected one of ${c.produceErrorCodes.join(', ')}`);
    }
  }
  const verdict: Verdict = { problems };
  if (o.closedByServer) verdict.logMust = CLOSE_LOG;
  if (o.responses.length < p.answers.length) {
    const next = p.answers[o.responses.length]!;
    if (o.closedByServer) problems.push(`closed after ${o.responses.length} of ${p.answers.length} answers (next: ${next.what})`);
    else if (o.timedOut && !next.mayWait) problems.push(`no answer to ${next.what} (${o.responses.length} of ${p.answers.length}) within ${ANSWER_WAIT_MS} ms`);
  } else if (typeof p.end === 'object') {
    if (!o.closedByServer) problems.push(`not closed after a frame it must refuse (${p.end.refusal.source})`);
    verdict.logMust = p.end.refusal;
  }
  return verdict;
}

/** The server's warnings by the remote address they are about. */
function warningsByRemote(): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const lines = server.output().split('\n');
  lines.pop(); // the line being written, if any
  for (const line of lines) {
    if (!line.startsWith('{')) continue;
    const entry = JSON.parse(line) as { level: number; remote?: string; msg: string };
    if (entry.level < 40 || !entry.remote) continue;
    out.set(entry.remote, [...(out.get(entry.remote) ?? []), entry.msg]);
  }
  return out;
}

// -------------------------------------------------------------------------------------------------
// Talking to the server plainly

/** Writes the frames on one connection and resolves with the first `n` response frames. */
function exchange(frames: Uint8Array[], n = frames.length): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(server.kafkaPort, '127.0.0.1', () => socket.write(Buffer.concat(frames.map((f) => sized(f)))));
    let received = Buffer.alloc(0);
    const responses: Buffer[] = [];
    socket.on('data', (d: Buffer) => {
      const cut = cutFrames(Buffer.concat([received, d]));
      responses.push(...cut.frames.map((f) => Buffer.from(f)));
      received = Buffer.from(cut.rest);
      if (responses.length >= n) {
        socket.destroy();
        resolve(responses);
      }
    });
    socket.on('error', reject);
    socket.on('close', () => reject(new Error(`closed after ${responses.length} of ${n} answers`)));
  });
}

async function ask(apiKey: number, version: number, body: object): Promise<Record<string, unknown>> {
  const [frame] = await exchange([requestFrame(apiSpec(apiKey)!, version, 7, body)]);
  const { problems, body: decoded } = responseProblems(frame!, { apiKey, version, correlationId: 7, mayWait: false, what: `api ${apiKey} v${version}` });
  expect(problems).toEqual([]);
  return decoded!;
}

function memory(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  return Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) * 1024;
}

beforeAll(async () => {
  server = await startServer({ args: ['--max-request-bytes', String(MAX_REQUEST_BYTES)] });
  expect((await call(server.url, 'PUT', '/v1/databases/fzh')).status).toBe(201);
  const columns = [{ name: 'id', type: 'int64', nullable: false }, { name: 's', type: 'string', nullable: true }];
  expect((await call(server.url, 'PUT', '/v1/databases/fzh/tables/events', { columns, buckets: 2 })).status).toBe(201);
  const created = await ask(19, 4, {
    topics: [
      { name: TOPIC, numPartitions: 2, replicationFactor: 1 },
      { name: COMPACT_TOPIC, numPartitions: 2, replicationFactor: 1, configs: [{ name: 'cleanup.policy', value: 'compact' }] },
      { name: 'fzdel', numPartitions: 1, replicationFactor: 1 },
    ],
    timeoutMs: 5000,
  });
  expect((created.topics as { errorCode: number }[]).map((t) => t.errorCode)).toEqual([0, 0, 0]);
  const rng = mulberry32(SEED);
  for (let i = 0; i < 10; i++) {
    const produced = await ask(0, 7, { transactionalId: null, acks: -1, timeoutMs: 1000, topicData: [{ name: TOPIC, partitionData: [{ index: i % 2, records: validBatch(rng) }] }] });
    expect(firstPartitionError(produced)).toBe(0);
  }
});

afterAll(async () => {
  await server?.stop();
});

describe('hostile Kafka input', () => {
  it(`fuzz: ${CASES} hostile streams: answered in order or closed with a logged reason, no crash, still serving, memory bounded (seed ${SEED})`, async () => {
    const pid = server.proc.pid!;
    const rssBefore = memory(pid, 'VmRSS');
    fs.writeFileSync(`/proc/${pid}/clear_refs`, '5'); // VmHWM starts again from the current RSS
    const rng = mulberry32(SEED);
    const cases = Array.from({ length: CASES }, () => generate(rng));
    const problems: string[] = [];
    const logsDue: { i: number; c: FuzzCase; remote: string; must: RegExp }[] = [];
    const tally = { answered: 0, closed: 0, waited: 0 };
    let next = 0;
    const worker = async () => {
      while (next < cases.length) {
        const i = next++;
        const c = cases[i]!;
        const prediction = predict(Buffer.concat(c.writes), MAX_REQUEST_BYTES);
        const outcome = await run(c, prediction);
        const verdict = judge(c, prediction, outcome);
        problems.push(...verdict.problems.map((p) => `case ${i} (${c.what}): ${p}`));
        if (verdict.logMust) logsDue.push({ i, c, remote: outcome.remote, must: verdict.logMust });
        tally[outcome.closedByServer ? 'closed' : outcome.timedOut ? 'waited' : 'answered']++;
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const growth = memory(pid, 'VmHWM') - rssBefore;

    // Every close has its log line (the log is written asynchronously: wait for the lines).
    const missing = () => {
      const warnings = warningsByRemote();
      return logsDue.filter((d) => !(warnings.get(d.remote) ?? []).some((m) => d.must.test(m)));
    };
    await until('a log line for every closed connection', async () => missing().length === 0, 10_000).catch(() => undefined);
    const warnings = warningsByRemote();
    for (const d of missing()) problems.push(`case ${d.i} (${d.c.what}): closed without a log line matching ${d.must.source}; logged: ${JSON.stringify(warnings.get(d.remote) ?? [])}`);
    for (const [remote, msgs] of warnings) for (const m of msgs) if (UNANSWERABLE_LOG.test(m)) problems.push(`${remote}: a handler threw: ${m}`);

    console.log(`fuzz-kafka seed ${SEED}: ${JSON.stringify(tally)}; server memory grew ${(growth / MB).toFixed(0)} MiB at most`);
    expect(problems, `seed ${SEED}: ${problems.length} problems\n${problems.slice(0, 40).join('\n')}`).toEqual([]);
    expect(tally.closed).toBeGreaterThan(CASES / 10);
    expect(tally.answered).toBeGreaterThan(CASES / 10);
    expect(server.proc.exitCode).toBeNull();
    expect(growth).toBeLessThan(RSS_GROWTH_BYTES_MAX);

    // Still serving, on new connections: Kafka and HTTP.
    const versions = await ask(18, 3, { clientSoftwareName: 'fuzz', clientSoftwareVersion: '1.0' });
    expect(versions.errorCode).toBe(0);
    expect((versions.apiKeys as unknown[]).length).toBe(ALL_SPECS.length);
    const metadata = await ask(3, 8, { topics: [{ name: TOPIC }], allowAutoTopicCreation: false });
    expect((metadata.brokers as { port: number }[]).map((b) => b.port)).toEqual([server.kafkaPort]);
    expect((metadata.topics as { name: string; errorCode: number }[]).map((t) => [t.name, t.errorCode])).toEqual([[TOPIC, 0]]);
    expect((await call(server.url, 'GET', '/v1/health')).status).toBe(200);
    expect(server.output()).not.toMatch(/"level":(50|60)/);
  }, 120_000);
});
