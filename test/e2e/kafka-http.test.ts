/**
 * Kafka and HTTP see the same tables. What Kafka clients produce reads back over HTTP (key, value
 * and headers as base64, the client's timestamp); rows appended or upserted over HTTP to tables
 * created over HTTP consume over Kafka as JSON object values keyed by the canonical key JSON, a
 * primary-key table as its changelog; JSON rows produced over Kafka land in such tables, and rows
 * that do not fit are refused naming the column.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kafkaPartition } from '../../src/common/murmur2.js';
import { encodeHeaders } from '../../src/kafka/records/record-headers.js';
import { call, startServer, type ServerProcess } from './helpers.js';
import { jsonLines, kcat, logLines, python, stopClients, waitFor, type KcatRecord } from './kafka-helpers.js';

let server: ServerProcess;
let broker: string;

beforeAll(async () => {
  server = await startServer();
  broker = `127.0.0.1:${server.kafkaPort}`;
  expect((await call(server.url, 'PUT', '/v1/databases/shop')).status).toBe(201);
});

afterAll(async () => {
  await stopClients();
  await server?.stop();
});

const b64 = (bytes: Uint8Array | string) => Buffer.from(bytes).toString('base64');
const utf8 = (s: string) => new TextEncoder().encode(s);

async function createTable(name: string, definition: object): Promise<void> {
  const reply = await call(server.url, 'PUT', `/v1/databases/shop/tables/${name}`, definition);
  expect(reply.status, JSON.stringify(reply.body)).toBe(201);
}

async function httpRecords(db: string, table: string, bucket: number): Promise<Record<string, any>[]> {
  const reply = await call(server.url, 'GET', `/v1/databases/${db}/tables/${table}/buckets/${bucket}/records`);
  expect(reply.status, JSON.stringify(reply.body)).toBe(200);
  return reply.body.records;
}

async function consume(topic: string): Promise<KcatRecord[]> {
  const done = await kcat(broker, ['-C', '-J', '-u', '-e', '-t', topic, '-o', 'beginning']);
  expect(done.code, done.stderr).toBe(0);
  return jsonLines<KcatRecord>(done.stdout).sort((a, b) => a.partition - b.partition || a.offset - b.offset);
}

describe('Kafka to HTTP', () => {
  it('reads records produced by kafka-python over HTTP: key, value and raw headers as base64, the client\'s timestamp', async () => {
    const at = Date.now() - 60_000;
    const sent = [
      { topic: 'kh-raw', key: b64(new Uint8Array([0, 1, 0xff])), value: b64('first'), headers: [['trace', b64('abc')], ['bin', b64(new Uint8Array([0, 0xfe]))]], timestamp: at },
      { topic: 'kh-raw', key: null, value: b64('second'), headers: [], timestamp: at + 5 },
      { topic: 'kh-raw', key: b64('k'), value: null, headers: [], timestamp: at + 9 },
    ];
    const produced = await python('produce', { bootstrap: broker, compression: 'gzip', records: sent });
    expect(produced.error).toBeUndefined();
    const records = await httpRecords('kafka', 'kh-raw', 0);
    expect(records.map((r) => ({ key: r.key, value: r.value, headers: r.headers, timestamp: r.timestamp, offset: r._log_offset }))).toEqual([
      { key: sent[0]!.key, value: sent[0]!.value, headers: b64(encodeHeaders([{ key: 'trace', value: utf8('abc') }, { key: 'bin', value: new Uint8Array([0, 0xfe]) }])!), timestamp: at, offset: 0 },
      { key: null, value: sent[1]!.value, headers: null, timestamp: at + 5, offset: 1 },
      { key: sent[2]!.key, value: null, headers: null, timestamp: at + 9, offset: 2 },
    ]);
    const table = await call(server.url, 'GET', '/v1/databases/kafka/tables/kh-raw');
    expect(table.body.kind).toBe('log');
    expect(table.body.columns.map((c: { name: string; type: string }) => `${c.name} ${c.type}`)).toEqual(['key binary', 'value binary', 'headers binary', 'timestamp timestamp']);
  });
});

describe('HTTP to Kafka', () => {
  it('consumes rows appended over HTTP as JSON object values keyed by the bucket key\'s canonical JSON', async () => {
    await createTable('orders', {
      columns: [
        { name: 'id', type: 'int64', nullable: false },
        { name: 'customer', type: 'string', nullable: true },
        { name: 'amount', type: 'float64', nullable: true },
        { name: 'placed', type: 'timestamp', nullable: true },
        { name: 'big', type: 'int64', nullable: true },
      ],
      bucketKey: ['id'],
      buckets: 2,
    });
    const rows = Array.from({ length: 8 }, (_, i) => ({
      id: i + 1, customer: i === 3 ? null : `c${i}`, amount: i * 1.5, placed: 1_700_000_000_000 + i,
      // int64 beyond 2^53 travels as a decimal string, as in the HTTP API's JSON.
      big: i === 2 ? '9007199254740993' : i,
    }));
    const appended = await call(server.url, 'POST', '/v1/databases/shop/tables/orders/append', rows);
    expect(appended.status, JSON.stringify(appended.body)).toBe(200);
    const stored: { id: number; offset: number; ts: number; bucket: number }[] = [];
    for (const bucket of [0, 1]) {
      for (const r of await httpRecords('shop', 'orders', bucket)) stored.push({ id: r.id, offset: r._log_offset, ts: r._commit_timestamp, bucket });
    }
    expect(stored).toHaveLength(rows.length);
    const consumed = await consume('shop.orders');
    expect(consumed.map((r) => ({ partition: r.partition, offset: r.offset, key: r.key, payload: r.payload, ts: r.ts }))).toEqual(
      stored.map((s) => {
        const row = rows.find((r) => r.id === s.id)!;
        return { partition: s.bucket, offset: s.offset, key: `{"id":${row.id}}`, payload: JSON.stringify(row), ts: s.ts };
      }).sort((a, b) => a.partition - b.partition || a.offset - b.offset),
    );
    expect(new Set(consumed.map((r) => r.partition))).toEqual(new Set([0, 1]));
  });

  it('consumes a primary-key table\'s changelog as a compacted topic: upserts as values, deletes as tombstones, no update-befores', async () => {
    await createTable('customers', {
      columns: [{ name: 'id', type: 'int32', nullable: false }, { name: 'name', type: 'string', nullable: true }],
      primaryKey: ['id'],
    });
    const url = '/v1/databases/shop/tables/customers';
    expect((await call(server.url, 'POST', `${url}/upsert`, [{ id: 1, name: 'ann' }, { id: 2, name: 'bob' }])).status).toBe(200);
    expect((await call(server.url, 'POST', `${url}/upsert`, [{ id: 1, name: 'anna' }])).status).toBe(200);
    expect((await call(server.url, 'POST', `${url}/delete`, [{ id: 2 }])).status).toBe(200);
    // +I, +I, -U, +U, -D: readable once the index has them.
    await waitFor('the changelog to be readable', async () => (await httpRecords('shop', 'customers', 0)).length === 5);
    const consumed = await consume('shop.customers');
    const header = (t: string) => ['lakestream.change_type', t];
    expect(consumed.map((r) => ({ offset: r.offset, key: r.key, payload: r.payload, headers: r.headers }))).toEqual([
      { offset: 0, key: '{"id":1}', payload: '{"id":1,"name":"ann"}', headers: header('+I') },
      { offset: 1, key: '{"id":2}', payload: '{"id":2,"name":"bob"}', headers: header('+I') },
      { offset: 3, key: '{"id":1}', payload: '{"id":1,"name":"anna"}', headers: header('+U') },
      { offset: 4, key: '{"id":2}', payload: null, headers: header('-D') },
    ]);
  });
});

describe('Kafka JSON rows into tables created over HTTP', () => {
  it('appends JSON values produced by kcat, readable over HTTP', async () => {
    await createTable('events', { columns: [{ name: 'id', type: 'int64', nullable: false }, { name: 'kind', type: 'string', nullable: true }] });
    const done = await kcat(broker, ['-P', '-t', 'shop.events'], '{"id":1,"kind":"click"}\n{"id":2}\n');
    expect(done.code, done.stderr).toBe(0);
    const records = await httpRecords('shop', 'events', 0);
    expect(records.map((r) => [r.id, r.kind])).toEqual([[1, 'click'], [2, null]]);
  });

  it('refuses a value that is not a row of the table, naming the column, and writes none of its batch', async () => {
    const done = await kcat(broker, ['-P', '-t', 'shop.events', '-X', 'message.timeout.ms=10000', '-X', 'linger.ms=50'], '{"id":3}\n{"id":"four"}\n');
    expect(done.code).not.toBe(0);
    expect(done.stderr).toContain('Broker failed to validate record');
    await waitFor('the refusal in the server log', () => logLines(server.output(), 'kafka: produce refused').some((l) => l.topic === 'shop.events' && String(l.problem).includes("column 'id' (int64) got \"four\"")), 5_000, () => server.output().slice(-3000));
    expect((await httpRecords('shop', 'events', 0)).map((r) => r.id)).toEqual([1, 2]);
  });

  it('takes keyed JSON rows from kafka-python\'s default partitioner into a table with the Kafka bucket function', async () => {
    await createTable('keyed', {
      columns: [{ name: 'id', type: 'int64', nullable: false }, { name: 'v', type: 'string', nullable: true }],
      bucketKey: ['id'], buckets: 4, properties: { 'table.bucket.function': 'kafka' },
    });
    const records = Array.from({ length: 12 }, (_, i) => ({ topic: 'shop.keyed', key: b64(`{"id":${i}}`), value: b64(JSON.stringify({ id: i, v: `v${i}` })), headers: [] }));
    const produced = await python('produce', { bootstrap: broker, records });
    expect(produced.error).toBeUndefined();
    for (let b = 0; b < 4; b++) {
      const ids = (await httpRecords('shop', 'keyed', b)).map((r) => r.id as number);
      for (const id of ids) expect(kafkaPartition(utf8(`{"id":${id}}`), 4)).toBe(b);
      expect(ids).toEqual(records.map((_, i) => i).filter((i) => kafkaPartition(utf8(`{"id":${i}}`), 4) === b));
    }
  });
});
