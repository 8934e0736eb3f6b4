/**
 * kafkajs, a real Kafka client, against the real server: topics are tables, in both directions.
 */
import { CompressionTypes, Kafka, logLevel, type Admin, type Consumer, type KafkaMessage, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../reliability/support.js';
import { call, startServer, type ServerProcess } from './helpers.js';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

let server: ServerProcess;
const clients: { disconnect(): Promise<void> }[] = [];

function kafka(port = server.kafkaPort): Kafka {
  return new Kafka({ clientId: 'e2e', brokers: [`127.0.0.1:${port}`], logLevel: logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 100, maxRetryTime: 1000 } });
}

async function connected<T extends { connect(): Promise<void>; disconnect(): Promise<void> }>(client: T): Promise<T> {
  await client.connect();
  clients.push(client);
  return client;
}

async function producer(opts: Parameters<Kafka['producer']>[0] = {}): Promise<Producer> {
  return connected(kafka().producer(opts));
}

async function admin(): Promise<Admin> {
  return connected(kafka().admin());
}

/** Consumes `count` messages of a topic from its beginning with a fresh group; returns them in arrival order. */
async function consumeAll(topic: string, count: number, groupId = `g-${topic}-${Math.random()}`): Promise<(KafkaMessage & { partition: number })[]> {
  const consumer: Consumer = await connected(kafka().consumer({ groupId, maxWaitTimeInMs: 200 }));
  await consumer.subscribe({ topic, fromBeginning: true });
  const got: (KafkaMessage & { partition: number })[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`consumed ${got.length} of ${count} messages of ${topic}`)), 30_000);
    void consumer.run({
      eachMessage: async ({ partition, message }) => {
        got.push({ ...message, partition });
        if (got.length === count) {
          clearTimeout(timer);
          resolve();
        }
      },
    });
  });
  await consumer.disconnect();
  return got;
}

const text = (b: Buffer | null | undefined) => (b == null ? null : b.toString());

beforeAll(async () => {
  server = await startServer({ args: ['--retention-check-interval', '300ms'] });
});

afterAll(async () => {
  for (const c of clients) await c.disconnect().catch(() => undefined);
  await server?.stop();
});

describe('kafkajs produces and consumes topics', () => {
  it('gets back exactly what it sent: keys, nulls, headers, timestamps, per partition, uncompressed and gzip', async () => {
    const a = await admin();
    expect(await a.createTopics({ topics: [{ topic: 'events', numPartitions: 3 }] })).toBe(true);
    const p = await producer();
    const sent = Array.from({ length: 60 }, (_, i) => ({
      key: i % 5 === 0 ? null : `key-${i % 7}`,
      value: i % 11 === 0 ? null : `value ${i} ${'x'.repeat(i)}`,
      headers: i % 2 === 0 ? { trace: `t${i}`, bin: Buffer.from([0, 255, i]) } : {},
      timestamp: String(1_700_000_000_000 + i),
      partition: i % 3,
    }));
    await p.send({ topic: 'events', messages: sent.slice(0, 30), acks: -1 });
    await p.send({ topic: 'events', messages: sent.slice(30), acks: -1, compression: CompressionTypes.GZIP });
    const got = await consumeAll('events', sent.length);
    for (let part = 0; part < 3; part++) {
      const mine = sent.filter((m) => m.partition === part);
      const theirs = got.filter((m) => m.partition === part);
      expect(theirs.map((m) => m.offset)).toEqual(mine.map((_, i) => String(i)));
      expect(theirs.map((m) => [text(m.key), text(m.value), m.timestamp])).toEqual(mine.map((m) => [m.key, m.value, m.timestamp]));
      expect(theirs.map((m) => Object.fromEntries(Object.entries(m.headers ?? {}).map(([k, v]) => [k, Buffer.from(v as Buffer).toString('hex')]))))
        .toEqual(mine.map((m) => Object.fromEntries(Object.entries(m.headers).map(([k, v]) => [k, Buffer.from(v).toString('hex')]))));
    }
  });

  it('finds offsets by timestamp (the client\'s CreateTime), earliest and latest', async () => {
    const a = await admin();
    await a.createTopics({ topics: [{ topic: 'timed', numPartitions: 1 }] });
    const p = await producer();
    const base = Date.now() - 60_000;
    await p.send({ topic: 'timed', messages: Array.from({ length: 10 }, (_, i) => ({ value: `m${i}`, timestamp: String(base + i * 1000) })) });
    const at = await a.fetchTopicOffsetsByTimestamp('timed', base + 4500);
    expect(at).toEqual([{ partition: 0, offset: '5' }]);
    const offsets = await a.fetchTopicOffsets('timed');
    expect(offsets[0]).toMatchObject({ partition: 0, offset: '10', low: '0', high: '10' });
  });

  it('auto-creates a topic on first use, and lists it as a table over HTTP', async () => {
    const p = await producer();
    await p.send({ topic: 'fresh', messages: [{ key: 'k', value: 'v' }] });
    const described = await call(server.url, 'GET', '/v1/databases/kafka/tables/fresh');
    expect(described.status).toBe(200);
    expect(described.body.columns.map((c: { name: string }) => c.name)).toEqual(['key', 'value', 'headers', 'timestamp']);
    const rows = await call(server.url, 'GET', '/v1/databases/kafka/tables/fresh/buckets/0/records?offset=0');
    expect(rows.body.records[0]).toMatchObject({ key: Buffer.from('k').toString('base64'), value: Buffer.from('v').toString('base64'), headers: null });
    const metrics = await fetch(`${server.url}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(/lakestream_kafka_requests_total\{api="Produce"\} [1-9]/);
    expect(metrics).toMatch(/lakestream_kafka_connections [1-9]/);
  });
});

describe('compacted topics are primary-key tables', () => {
  it('places keys as Kafka does, keeps the latest value per key, and deletes on tombstones', async () => {
    const a = await admin();
    await a.createTopics({ topics: [{ topic: 'users', numPartitions: 4, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }] });
    const p = await producer();
    const keys = Array.from({ length: 40 }, (_, i) => `user-${i}`);
    await p.send({ topic: 'users', messages: keys.map((k) => ({ key: k, value: `${k} v1` })) });
    await p.send({ topic: 'users', messages: keys.slice(0, 10).map((k) => ({ key: k, value: `${k} v2` })) });
    await p.send({ topic: 'users', messages: keys.slice(10, 15).map((k) => ({ key: k, value: null })) });
    const lookup = await call(server.url, 'POST', '/v1/databases/kafka/tables/users/lookup', { keys: [{ key: Buffer.from('user-3').toString('base64') }, { key: Buffer.from('user-12').toString('base64') }, { key: Buffer.from('user-30').toString('base64') }] });
    expect(lookup.status).toBe(200);
    const values = lookup.body.rows.map((r: { value: string } | null) => (r ? Buffer.from(r.value, 'base64').toString() : null));
    expect(values).toEqual(['user-3 v2', null, 'user-30 v1']);
    // The stream is the changelog: 40 inserts, 10 updates, 5 tombstones (before-images are skipped).
    const got = await consumeAll('users', 55);
    const tombstones = got.filter((m) => m.value === null).map((m) => text(m.key)).sort();
    expect(tombstones).toEqual(keys.slice(10, 15).sort());
    const latest = new Map<string, string | null>();
    for (const m of got) latest.set(text(m.key)!, text(m.value));
    expect(latest.get('user-3')).toBe('user-3 v2');
  });

  it('refuses a keyless record and a record on the wrong partition', async () => {
    const p = await producer({ retry: { retries: 0 } });
    await expect(p.send({ topic: 'users', messages: [{ value: 'no key' }] })).rejects.toThrow();
    // One key on every partition: three of the four are not its bucket.
    await expect(p.send({ topic: 'users', messages: [0, 1, 2, 3].map((partition) => ({ key: 'user-1', value: 'moved', partition })) })).rejects.toThrow();
    await until('the refusal logged', async () => /belongs on partition \d, not \d/.test(server.output()));
  });
});

describe('tables created over HTTP speak JSON over Kafka', () => {
  it('consumes HTTP appends as JSON values keyed by the canonical key JSON, and produces JSON rows', async () => {
    await call(server.url, 'PUT', '/v1/databases/shop');
    const created = await call(server.url, 'PUT', '/v1/databases/shop/tables/orders', {
      columns: [{ name: 'id', type: 'int64' }, { name: 'region', type: 'string' }, { name: 'amount', type: 'float64' }],
      buckets: 2, bucketKey: ['region'], properties: { 'table.bucket.function': 'kafka' },
    });
    expect(created.status).toBe(201);
    const appended = await call(server.url, 'POST', '/v1/databases/shop/tables/orders/append', [
      { id: 1, region: 'eu', amount: 1.5 }, { id: 2, region: 'us', amount: 2 }, { id: 9007199254740993n.toString(), region: 'eu', amount: 3 },
    ]);
    expect(appended.status).toBe(200);
    const p = await producer();
    // kafkajs's default partitioner is Kafka's: the canonical key JSON lands on its bucket.
    await p.send({ topic: 'shop.orders', messages: [{ key: '{"region":"ap"}', value: JSON.stringify({ id: 4, region: 'ap', amount: 4.25 }) }] });
    const got = await consumeAll('shop.orders', 4);
    const byId = new Map(got.map((m) => [JSON.parse(text(m.value)!).id as number | string, m]));
    expect(text(byId.get(1)!.key)).toBe('{"region":"eu"}');
    expect(JSON.parse(text(byId.get('9007199254740993')!.value)!)).toEqual({ id: '9007199254740993', region: 'eu', amount: 3 });
    expect(JSON.parse(text(byId.get(4)!.value)!)).toEqual({ id: 4, region: 'ap', amount: 4.25 });
  });

  it('refuses a value that is not a row of the table, naming the column', async () => {
    const p = await producer({ retry: { retries: 0 } });
    await expect(p.send({ topic: 'shop.orders', messages: [{ key: '{"region":"eu"}', value: JSON.stringify({ id: 'not a number', region: 'eu' }) }] })).rejects.toThrow();
    await until('the refusal logged', async () => /column 'id'/.test(server.output()));
  });

  it('a primary-key table reads as a compacted stream with change types, and takes upserts and tombstones', async () => {
    await call(server.url, 'PUT', '/v1/databases/shop/tables/stock', {
      columns: [{ name: 'sku', type: 'string' }, { name: 'qty', type: 'int32' }],
      primaryKey: ['sku'], buckets: 2, properties: { 'table.bucket.function': 'kafka' },
    });
    await call(server.url, 'POST', '/v1/databases/shop/tables/stock/upsert', [{ sku: 'a', qty: 1 }, { sku: 'b', qty: 2 }]);
    const p = await producer();
    await p.send({ topic: 'shop.stock', messages: [{ key: '{"sku":"a"}', value: JSON.stringify({ sku: 'a', qty: 10 }) }, { key: '{"sku":"b"}', value: null }] });
    const lookup = await call(server.url, 'POST', '/v1/databases/shop/tables/stock/lookup', { keys: [{ sku: 'a' }, { sku: 'b' }] });
    expect(lookup.body.rows).toEqual([{ sku: 'a', qty: 10 }, null]);
    const got = await consumeAll('shop.stock', 4);
    const types = got.map((m) => [text(m.key), m.headers?.['lakestream.change_type']?.toString(), text(m.value)]);
    expect(types).toEqual(expect.arrayContaining([
      ['{"sku":"a"}', '+I', '{"sku":"a","qty":1}'], ['{"sku":"a"}', '+U', '{"sku":"a","qty":10}'], ['{"sku":"b"}', '-D', null],
    ]));
  });
});

describe('consumer groups', () => {
  it('splits partitions between members and keeps committed offsets in a table readable over HTTP', async () => {
    const a = await admin();
    await a.createTopics({ topics: [{ topic: 'work', numPartitions: 4 }] });
    const p = await producer();
    await p.send({ topic: 'work', messages: Array.from({ length: 40 }, (_, i) => ({ value: `job ${i}`, partition: i % 4 })) });
    const seen = new Map<string, Set<number>>();
    const members = await Promise.all(['m1', 'm2'].map(async (name) => {
      const c = await connected(kafka().consumer({ groupId: 'workers', maxWaitTimeInMs: 200, sessionTimeout: 10_000, heartbeatInterval: 500 }));
      await c.subscribe({ topic: 'work', fromBeginning: true });
      seen.set(name, new Set());
      void c.run({ eachMessage: async ({ partition }) => { seen.get(name)!.add(partition); } });
      return c;
    }));
    const total = () => [...seen.values()].reduce((n, s) => n + s.size, 0);
    await until('both members consuming', async () => seen.get('m1')!.size > 0 && seen.get('m2')!.size > 0 && total() === 4);
    await until('offsets committed', async () => {
      const offsets = await a.fetchOffsets({ groupId: 'workers', topics: ['work'] });
      return offsets[0]!.partitions.every((x) => x.offset === '10');
    });
    const partitions = [...seen.values()].map((s) => [...s]);
    expect(new Set(partitions.flat()).size).toBe(4);
    expect(partitions[0]!.filter((x) => partitions[1]!.includes(x))).toEqual([]);
    const rows = await call(server.url, 'POST', '/v1/databases/_lakestream/tables/kafka_group_offsets/prefix-lookup', { prefixes: [{ group_id: 'workers' }] });
    expect(rows.status).toBe(200);
    expect(rows.body.rows[0].map((r: { partition: number; committed_offset: number }) => [r.partition, r.committed_offset]).sort()).toEqual([[0, 10], [1, 10], [2, 10], [3, 10]]);
    const groups = await call(server.url, 'GET', '/v1/kafka/groups');
    const workers = groups.body.groups.find((g: { groupId: string }) => g.groupId === 'workers');
    expect(workers).toMatchObject({ state: 'Stable', protocolType: 'consumer' });
    expect(workers.members).toHaveLength(2);
    expect(workers.members.flatMap((m: { assignment: { partitions: number[] }[] }) => m.assignment.flatMap((a) => a.partitions)).sort()).toEqual([0, 1, 2, 3]);
    expect(workers.offsets.map((o: { lag: string }) => o.lag)).toEqual(['0', '0', '0', '0']);
    for (const m of members) await m.disconnect();
  });
});

describe('what is refused clearly', () => {
  it('transactions and CreatePartitions fail at once with a message', async () => {
    const tx = await producer({ transactionalId: 'tx-1', maxInFlightRequests: 1, idempotent: true, retry: { retries: 1, initialRetryTime: 50 } });
    await expect(tx.transaction()).rejects.toThrow();
    const a = await admin();
    await expect(a.createPartitions({ topicPartitions: [{ topic: 'events', count: 6 }] })).rejects.toThrow(/partitions/i);
  });
});

describe('the lake', () => {
  it('tiers a topic and a consumer from the earliest offset reads the whole history through the lake', async () => {
    const a = await admin();
    await a.createTopics({ topics: [{ topic: 'history', numPartitions: 1, configEntries: [
      { name: 'table.datalake.enabled', value: 'true' }, { name: 'table.datalake.freshness', value: '1s' },
      { name: 'table.log.segment.roll-interval', value: '1s' }, { name: 'table.log.ttl', value: '1s' },
    ] }] });
    const p = await producer();
    await p.send({ topic: 'history', messages: Array.from({ length: 50 }, (_, i) => ({ key: `k${i}`, value: `old ${i}` })) });
    await until('tiered and dropped locally', async () => {
      const bucket = (await call(server.url, 'GET', '/v1/databases/kafka/tables/history/buckets/0')).body;
      if (Number(bucket.localLogStartOffset) === 0) {
        // An idle segment rolls at the next append; keep one arriving.
        await p.send({ topic: 'history', messages: [{ key: 'tick', value: 'tick' }] });
        return false;
      }
      return true;
    }, 60_000);
    const got = await consumeAll('history', 50);
    expect(got.slice(0, 50).map((m) => text(m.value))).toEqual(Array.from({ length: 50 }, (_, i) => `old ${i}`));
    expect(got[0]!.offset).toBe('0');
  });
});
