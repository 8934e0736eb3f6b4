/**
 * kcat (librdkafka 2.0) against the real server: produce with every codec, keys and headers, consume
 * back exactly what was sent from the beginning, from an offset and from a time; metadata; and a
 * compacted topic, which takes keys only on the partition Kafka's murmur2 partitioner picks.
 */
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kafkaPartition } from '../../src/common/murmur2.js';
import { call, startServer, type ServerProcess } from './helpers.js';
import { jsonLines, kcat, logLines, python, stopClients, waitFor, type KcatRecord } from './kafka-helpers.js';

const CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
const PARTITIONS = 3;
const RECORDS_PER_PARTITION = 30;
const COMPACT_PARTITIONS = 4;


let server: ServerProcess;
let broker: string;

beforeAll(async () => {
  server = await startServer();
  broker = `127.0.0.1:${server.kafkaPort}`;
  const created = await python('admin', {
    bootstrap: broker,
    create: [
      ...CODECS.map((c) => ({ name: `kcat-${c}`, partitions: PARTITIONS })),
      { name: 'kcat-time', partitions: 2 },
      { name: 'kcat-compact', partitions: COMPACT_PARTITIONS, configs: { 'cleanup.policy': 'compact' } },
    ],
  });
  expect(created.topics.map((t: { errorCode: number }) => t.errorCode)).toEqual(new Array(CODECS.length + 2).fill(0));
});

afterAll(async () => {
  await stopClients();
  await server?.stop();
});

/** Sorted by partition, then offset, and without the fields a comparison should not see. */
function byPosition(records: KcatRecord[]): Omit<KcatRecord, 'ts' | 'tstype' | 'topic'>[] {
  return records
    .map(({ partition, offset, key, payload, headers }) => ({ partition, offset, key, payload, ...(headers ? { headers } : {}) }))
    .sort((a, b) => a.partition - b.partition || a.offset - b.offset);
}

async function consume(args: readonly string[]): Promise<KcatRecord[]> {
  const done = await kcat(broker, ['-C', '-J', '-u', '-e', ...args]);
  expect(done.code, done.stderr).toBe(0);
  return jsonLines<KcatRecord>(done.stdout);
}

async function produce(args: readonly string[], lines: readonly string[]): Promise<void> {
  const done = await kcat(broker, ['-P', ...args], `${lines.join('\n')}\n`);
  expect(done.code, done.stderr).toBe(0);
  expect(done.stderr).not.toContain('Delivery failed');
}

/** Partition p's lines: mostly keyed, every fifth without a key (no ':'), one with an empty key. */
function linesOf(codec: string, p: number): { line: string; key: string | null; payload: string }[] {
  return Array.from({ length: RECORDS_PER_PARTITION }, (_, i) => {
    const payload = `v-${codec}-${p}-${i}-${'x'.repeat(i * 7)}`;
    const key = i % 5 === 4 ? null : i === 1 ? '' : `k${p}-${i}`;
    return { line: key === null ? payload : `${key}:${payload}`, key, payload };
  });
}

/** Headers repeat a name (order matters) and one has no value. */
const HEADER_ARGS = ['-H', 'trace=abc', '-H', 'n=1', '-H', 'trace=def', '-H', 'bare'];
const HEADERS = ['trace', 'abc', 'n', '1', 'trace', 'def', 'bare', null];

describe('kcat: produce and consume', () => {
  it.each(CODECS)('produces keyed and unkeyed records with headers compressed with %s and consumes exactly them back', async (codec) => {
    const topic = `kcat-${codec}`;
    const before = Date.now();
    const expected = [];
    for (let p = 0; p < PARTITIONS; p++) {
      const lines = linesOf(codec, p);
      // The last partition's records carry no headers: kcat then prints none.
      const headers = p < PARTITIONS - 1;
      await produce(['-t', topic, '-p', String(p), '-K', ':', '-z', codec, ...(headers ? HEADER_ARGS : [])], lines.map((l) => l.line));
      expected.push(...lines.map((l, i) => ({ partition: p, offset: i, key: l.key, payload: l.payload, ...(headers ? { headers: HEADERS } : {}) })));
    }
    const after = Date.now();
    const records = await consume(['-t', topic, '-o', 'beginning']);
    expect(byPosition(records)).toEqual(expected);
    for (const r of records) {
      expect(r.tstype).toBe('create');
      expect(r.ts).toBeGreaterThanOrEqual(before);
      expect(r.ts).toBeLessThanOrEqual(after);
    }
  });

  it('consumes a partition from an offset', async () => {
    const records = await consume(['-t', 'kcat-zstd', '-p', '1', '-o', '17']);
    expect(records.map((r) => r.offset)).toEqual(Array.from({ length: RECORDS_PER_PARTITION - 17 }, (_, i) => 17 + i));
    expect(records[0]).toMatchObject({ partition: 1, key: 'k1-17', payload: `v-zstd-1-17-${'x'.repeat(17 * 7)}` });
  });

  it('consumes from an offset past the end after librdkafka resets it (OFFSET_OUT_OF_RANGE, then auto.offset.reset)', async () => {
    const records = await consume(['-t', 'kcat-gzip', '-p', '2', '-o', '1000', '-X', 'auto.offset.reset=earliest']);
    expect(records.map((r) => r.offset)).toEqual(Array.from({ length: RECORDS_PER_PARTITION }, (_, i) => i));
  });

  it('consumes from a time (-o s@ms): the first records created at or after it, on every partition', async () => {
    const first = ['a:early-0', 'b:early-1', 'c:early-2'];
    for (const p of [0, 1]) await produce(['-t', 'kcat-time', '-p', String(p), '-K', ':'], first);
    const early = await consume(['-t', 'kcat-time', '-o', 'beginning']);
    const earlyMax = Math.max(...early.map((r) => r.ts));
    await waitFor('the clock to pass the first records', () => Date.now() > earlyMax);
    for (const p of [0, 1]) await produce(['-t', 'kcat-time', '-p', String(p), '-K', ':'], ['d:late-0', 'e:late-1']);
    const all = await consume(['-t', 'kcat-time', '-o', 'beginning']);
    const since = Math.min(...all.filter((r) => r.payload!.startsWith('late')).map((r) => r.ts));
    const late = await consume(['-t', 'kcat-time', '-o', `s@${since}`]);
    expect(byPosition(late)).toEqual(byPosition(all.filter((r) => r.ts >= since)));
    expect(byPosition(late).map((r) => [r.partition, r.offset, r.payload])).toEqual([
      [0, 3, 'late-0'], [0, 4, 'late-1'], [1, 3, 'late-0'], [1, 4, 'late-1'],
    ]);
    expect(await consume(['-t', 'kcat-time', '-o', `s@${Date.now() + 3_600_000}`])).toEqual([]);
  });

  it('lists the broker, its controller and every topic with its partitions (-L)', async () => {
    const done = await kcat(broker, ['-L', '-J']);
    expect(done.code, done.stderr).toBe(0);
    const meta = JSON.parse(done.stdout.trim());
    expect(meta.controllerid).toBe(0);
    expect(meta.brokers).toEqual([{ id: 0, name: broker }]);
    const topics = Object.fromEntries(meta.topics.map((t: { topic: string; partitions: { partition: number; leader: number }[] }) => [t.topic, t.partitions]));
    for (const c of CODECS) {
      expect(topics[`kcat-${c}`].map((p: { partition: number; leader: number }) => [p.partition, p.leader])).toEqual([[0, 0], [1, 0], [2, 0]]);
    }
    expect(topics['kcat-compact']).toHaveLength(COMPACT_PARTITIONS);
  });
});

describe('kcat: a compacted topic', () => {
  const utf8 = (s: string) => new TextEncoder().encode(s);
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const MURMUR2 = ['-X', 'partitioner=murmur2_random'];
  const keys = Array.from({ length: 20 }, (_, i) => `user-${i}`);

  it('takes keyed records from librdkafka with partitioner=murmur2_random, each on its key\'s partition', async () => {
    await produce(['-t', 'kcat-compact', '-K', ':', '-z', 'lz4', ...MURMUR2], keys.map((k) => `${k}:first-${k}`));
    const records = await consume(['-t', 'kcat-compact', '-o', 'beginning']);
    expect(records.map((r) => r.key).sort()).toEqual([...keys].sort());
    for (const r of records) {
      expect(r.partition, r.key!).toBe(kafkaPartition(utf8(r.key!), COMPACT_PARTITIONS));
      expect(r.payload).toBe(`first-${r.key}`);
    }
  });

  it('deletes a key with a tombstone (-Z: an empty value is null) and keeps the latest value, as HTTP lookups show', async () => {
    await produce(['-t', 'kcat-compact', '-K', ':', '-Z', ...MURMUR2], ['user-3:', 'user-4:second']);
    const lookup = await call(server.url, 'POST', '/v1/databases/kafka/tables/kcat-compact/lookup', { keys: [{ key: b64('user-3') }, { key: b64('user-4') }, { key: b64('user-5') }] });
    expect(lookup.status, JSON.stringify(lookup.body)).toBe(200);
    expect(lookup.body.rows[0]).toBeNull();
    expect(lookup.body.rows[1].value).toBe(b64('second'));
    expect(lookup.body.rows[2].value).toBe(b64('first-user-5'));
    const p3 = kafkaPartition(utf8('user-3'), COMPACT_PARTITIONS);
    const records = await consume(['-t', 'kcat-compact', '-p', String(p3), '-o', 'beginning']);
    const last = records.filter((r) => r.key === 'user-3').at(-1);
    expect(last?.payload).toBeNull();
  });

  it('refuses a record that librdkafka\'s default partitioner (crc32) put on the wrong partition, naming the right one', async () => {
    // A key whose crc32 partition (librdkafka's consistent_random) is not its murmur2 partition.
    const key = keys.map((k) => `wrong-${k}`).find((k) => zlib.crc32(k) % COMPACT_PARTITIONS !== kafkaPartition(utf8(k), COMPACT_PARTITIONS))!;
    const crcPartition = zlib.crc32(key) % COMPACT_PARTITIONS;
    const right = kafkaPartition(utf8(key), COMPACT_PARTITIONS);
    const done = await kcat(broker, ['-P', '-t', 'kcat-compact', '-K', ':', '-X', 'message.timeout.ms=10000'], `${key}:misplaced\n`);
    expect(done.code).not.toBe(0);
    expect(done.stderr).toContain('Delivery failed');
    expect(done.stderr).toContain('Broker failed to validate record');
    await waitFor('the refusal in the server log', () => logLines(server.output(), 'kafka: produce refused').some((l) => l.partition === crcPartition), 5_000, () => server.output().slice(-3000));
    const refusal = logLines(server.output(), 'kafka: produce refused').find((l) => l.partition === crcPartition && String(l.problem).includes('belongs on partition'));
    expect(refusal?.topic).toBe('kcat-compact');
    expect(refusal?.problem).toContain(`belongs on partition ${right}, not ${crcPartition}`);
    expect(refusal?.problem).toContain('partitioner=murmur2_random');
    const lookup = await call(server.url, 'POST', '/v1/databases/kafka/tables/kcat-compact/lookup', { keys: [{ key: b64(key) }] });
    expect(lookup.body.rows).toEqual([null]);
  });

  it('refuses a record without a key', async () => {
    const done = await kcat(broker, ['-P', '-t', 'kcat-compact', '-p', '0', '-X', 'message.timeout.ms=10000'], 'no key at all\n');
    expect(done.code).not.toBe(0);
    expect(done.stderr).toContain('Broker failed to validate record');
    await waitFor('the refusal in the server log', () => logLines(server.output(), 'kafka: produce refused').some((l) => String(l.problem).includes('has no key')), 5_000);
  });
});
