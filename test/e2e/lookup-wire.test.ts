import * as A from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../src/client/index.js';
import { ARROW_LOOKUP_KEYS_MIN } from '../../src/client/lookuper.js';
import { readIpcBatchLayout } from '../../src/common/arrow-ipc-layout.js';
import { call, startServer, type ServerProcess } from './helpers.js';

/** Lookups on both wires: Arrow keys in and an Arrow batch out, and the JSON text written from stored rows. */
let server: ServerProcess;
const T = '/v1/databases/lw/tables';
const ARROW = 'application/vnd.apache.arrow.stream';
const columns = [
  { name: 'region', type: 'string', nullable: false },
  { name: 'id', type: 'int64', nullable: false },
  { name: 'name', type: 'string' },
  { name: 'score', type: 'float64' },
  { name: 'day', type: 'date' },
  { name: 'raw', type: 'binary' },
];
const rows = [
  { region: 'eu', id: 1, name: 'quote " back\\slash\nnewline\u0001 é 😀', score: 1.5, day: '2024-02-29', raw: 'AAEC' },
  { region: 'eu', id: '9007199254740993', name: null, score: 'NaN', day: null, raw: null },
  { region: 'us', id: -7, name: '\uFEFFbom', score: -0.25, day: '1970-01-01', raw: '' },
];

function keysIpc(regions: string[], ids: bigint[]): Uint8Array {
  const table = new A.Table({
    region: A.vectorFromArray(regions, new A.Utf8()),
    id: A.vectorFromArray(ids, new A.Int64()),
  });
  return A.tableToIPC(table, 'stream');
}

async function lookupArrow(body: Uint8Array): Promise<A.Table> {
  const r = await call(server.url, 'POST', `${T}/scores/lookup`, body, { accept: ARROW });
  expect(r.status).toBe(200);
  expect(r.headers.get('content-type')).toContain(ARROW);
  return A.tableFromIPC(r.body as Uint8Array);
}

beforeAll(async () => {
  server = await startServer();
  await call(server.url, 'PUT', '/v1/databases/lw');
  await call(server.url, 'PUT', `${T}/scores`, { columns, primaryKey: ['region', 'id'], buckets: 3, bucketKey: ['region'] });
  expect((await call(server.url, 'POST', `${T}/scores/upsert`, rows)).status).toBe(200);
});
afterAll(async () => {
  await server.stop();
});

describe('lookup: Arrow keys in, one Arrow record batch out', () => {
  it('answers key i in row i, with __found false and nulls for a missing key, across buckets', async () => {
    const table = await lookupArrow(keysIpc(['us', 'eu', 'eu', 'eu'], [-7n, 404n, 9007199254740993n, 1n]));
    expect(table.numRows).toBe(4);
    expect([...table.getChild('__found')!]).toEqual([true, false, true, true]);
    expect([...table.getChild('id')!]).toEqual([-7n, null, 9007199254740993n, 1n]);
    expect(table.getChild('region')!.get(1)).toBeNull();
    expect(table.getChild('score')!.get(2)).toBeNaN();
    expect(table.getChild('name')!.get(2)).toBeNull();
    expect(table.getChild('name')!.get(3)).toBe(rows[0]!.name);
    expect(table.getChild('day')!.get(3)).toBe(Date.UTC(2024, 1, 29));
    expect([...(table.getChild('raw')!.get(3) as Uint8Array)]).toEqual([0, 1, 2]);
    expect(table.schema.fields.find((f) => f.name === '__found')!.nullable).toBe(false);
  });

  it('answers JSON keys with Arrow, and an empty key list with an empty batch', async () => {
    const r = await call(server.url, 'POST', `${T}/scores/lookup`, { keys: [{ region: 'us', id: -7 }] }, { accept: ARROW });
    expect([...A.tableFromIPC(r.body as Uint8Array).getChild('score')!]).toEqual([-0.25]);
    expect((await lookupArrow(keysIpc([], []))).numRows).toBe(0);
  });

  it.each([
    ['a body that is not Arrow', () => Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]), 'INVALID_ARROW'],
    ['a key column of the wrong type', () => A.tableToIPC(new A.Table({ region: A.vectorFromArray(['eu']), id: A.vectorFromArray(['1']) }), 'stream'), 'SCHEMA_MISMATCH'],
    ['a non-key column', () => A.tableToIPC(new A.Table({ region: A.vectorFromArray(['eu']), id: A.vectorFromArray([1n], new A.Int64()), name: A.vectorFromArray(['x']) }), 'stream'), 'UNKNOWN_COLUMN'],
    ['a missing key column', () => A.tableToIPC(new A.Table({ id: A.vectorFromArray([1n], new A.Int64()) }), 'stream'), 'NULL_IN_NON_NULLABLE'],
    ['a null key', () => A.tableToIPC(new A.Table({ region: A.vectorFromArray(['eu', null], new A.Utf8()), id: A.vectorFromArray([1n, 2n], new A.Int64()) }), 'stream'), 'NULL_IN_NON_NULLABLE'],
    ['too many keys', () => keysIpc(Array.from({ length: 10_001 }, () => 'eu'), Array.from({ length: 10_001 }, (_, i) => BigInt(i))), 'TOO_MANY_KEYS'],
  ])('refuses %s with a 4xx %s', async (_what, body, code) => {
    const r = await call(server.url, 'POST', `${T}/scores/lookup`, body(), { accept: ARROW });
    expect(r.status).toBeGreaterThanOrEqual(400);
    expect(r.status).toBeLessThan(500);
    expect(r.body.error.code).toBe(code);
  });

  it('refuses a damaged body with a schema it has read before (the fast key read) with 400 INVALID_ARROW', async () => {
    const valid = keysIpc(['eu', 'us'], [1n, -7n]);
    expect([...(await lookupArrow(valid)).getChild('__found')!]).toEqual([true, true]);
    expect([...(await lookupArrow(valid)).getChild('id')!]).toEqual([1n, -7n]);
    // The region column's offsets [0, 2, 4] sit in the body; damage them, and cut the body short.
    const read = readIpcBatchLayout(valid, valid.length);
    if (read.kind !== 'layout') throw new Error('no layout');
    const offsetsAt = read.layout.bodyStart + read.layout.buffers[read.layout.fields[0]!.firstBuffer + 1]!.offset;
    const damaged = (at: number, value: number) => {
      const bytes = valid.slice();
      new DataView(bytes.buffer).setInt32(offsetsAt + at, value, true);
      return bytes;
    };
    for (const body of [damaged(4, 5), damaged(4, 40_000), damaged(8, 1_000), valid.subarray(0, read.layout.bodyStart + 4)]) {
      const r = await call(server.url, 'POST', `${T}/scores/lookup`, body, { accept: ARROW });
      expect(r.status).toBe(400);
      expect(r.body.error.code).toBe('INVALID_ARROW');
    }
    expect([...(await lookupArrow(valid)).getChild('__found')!]).toEqual([true, true]);
  });
});

describe('lookup: JSON rows written from the stored bytes', () => {
  it('escapes strings, keeps int64 beyond 2^53 as a string, and returns null for a missing key', async () => {
    const r = await fetch(`${server.url}${T}/scores/lookup`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ keys: [{ region: 'eu', id: 1 }, { region: 'eu', id: '9007199254740993' }, { region: 'xx', id: 1 }, { region: 'us', id: -7 }] }),
    });
    expect(r.headers.get('content-type')).toContain('application/json');
    const text = await r.text();
    expect(JSON.parse(text)).toEqual({
      rows: [
        { region: 'eu', id: 1, name: rows[0]!.name, score: 1.5, day: '2024-02-29', raw: 'AAEC' },
        { region: 'eu', id: '9007199254740993', name: null, score: 'NaN', day: null, raw: null },
        null,
        { region: 'us', id: -7, name: '\uFEFFbom', score: -0.25, day: '1970-01-01', raw: '' },
      ],
    });
    expect(text).toContain(String.raw`"quote \" back\\slash\nnewline\u0001 é 😀"`);
  });
});

describe('lookup: the client Lookuper', () => {
  it('a batch large enough for the Arrow wire gives the same rows as small JSON batches', async () => {
    const conn = connect(server.url);
    const table = await conn.table('lw', 'scores');
    const keys = Array.from({ length: ARROW_LOOKUP_KEYS_MIN + 10 }, (_, i) => (i % 3 === 0 ? { region: 'us', id: -7 } : { region: 'eu', id: i % 3 === 1 ? 1 : 5 }));
    const big = table.lookuper({ maxBatchKeys: 1000 });
    const small = table.lookuper({ maxBatchKeys: 1 });
    const [viaArrow, viaJson] = await Promise.all([Promise.all(keys.map((k) => big.lookup(k))), Promise.all(keys.map((k) => small.lookup(k)))]);
    await Promise.all([big.close(), small.close()]);
    expect(viaArrow).toEqual(viaJson);
    expect(viaArrow.slice(0, 3).map((r) => r?.id ?? null)).toEqual([-7n, 1n, null]);
  });

  it('coalesces lookups across buckets and gives rows in the in-memory forms, null for a missing key', async () => {
    const conn = connect(server.url);
    const table = await conn.table('lw', 'scores');
    const lookuper = table.lookuper();
    const got = await Promise.all([
      lookuper.lookup({ region: 'eu', id: 1 }),
      lookuper.lookup({ region: 'eu', id: 404 }),
      lookuper.lookup({ region: 'eu', id: 9007199254740993n }),
      lookuper.lookup({ region: 'us', id: -7 }),
    ]);
    await lookuper.close();
    expect(got).toEqual([
      { region: 'eu', id: 1n, name: rows[0]!.name, score: 1.5, day: Date.UTC(2024, 1, 29), raw: Uint8Array.from([0, 1, 2]) },
      null,
      { region: 'eu', id: 9007199254740993n, name: null, score: NaN, day: null, raw: null },
      { region: 'us', id: -7n, name: '\uFEFFbom', score: -0.25, day: 0, raw: new Uint8Array(0) },
    ]);
  });
});
