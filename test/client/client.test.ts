import { describe, expect, it } from 'vitest';
import type { Column } from '../../src/common/schema.js';
import type { ScanRecord } from '../../src/client/index.js';
import { connect } from '../../src/client/index.js';
import { until } from '../reliability/support.js';
import { TestingServer } from './testing-server.js';

const logColumns: Column[] = [
  { name: 'id', type: 'int64', nullable: false },
  { name: 'msg', type: 'string', nullable: true },
  { name: 'at', type: 'timestamp', nullable: true },
];
const pkColumns: Column[] = [
  { name: 'k', type: 'int64', nullable: false },
  { name: 'v', type: 'string', nullable: true },
  { name: 'n', type: 'int32', nullable: true },
];

function setup() {
  const server = new TestingServer();
  server.addTable('events', logColumns);
  server.addTable('users', pkColumns, ['k']);
  const conn = connect('http://lakestream.test:9123/', { token: 's3cret', fetch: server.fetch, retry: { initialBackoffMs: 1, maxBackoffMs: 5 } });
  return { server, conn };
}

async function take(it: AsyncIterator<ScanRecord>, n: number): Promise<ScanRecord[]> {
  const out: ScanRecord[] = [];
  while (out.length < n) {
    const r = await it.next();
    if (r.done) break;
    out.push(r.value);
  }
  return out;
}

describe('client against a testing server', () => {
  it('sends the bearer token and checks health', async () => {
    const { server, conn } = setup();
    expect(await conn.health()).toBe(true);
    expect(server.requests[0]!.headers.get('authorization')).toBe('Bearer s3cret');
    expect(server.requests[0]!.path).toBe('/v1/health');
  });

  it('opens a table once and caches its description', async () => {
    const { server, conn } = setup();
    const [a, b] = await Promise.all([conn.table('db', 'events'), conn.table('db', 'events')]);
    expect(a).toBe(b);
    expect(a.description.kind).toBe('log');
    expect(a.description.columns.map((c) => c.name)).toEqual(['id', 'msg', 'at']);
    expect(server.requests.length).toBe(1);
  });

  it('maps a missing table to TABLE_NOT_FOUND and does not cache the failure', async () => {
    const { server, conn } = setup();
    await expect(conn.table('db', 'nope')).rejects.toMatchObject({ code: 'TABLE_NOT_FOUND', retriable: false });
    server.addTable('nope', logColumns);
    expect((await conn.table('db', 'nope')).name).toBe('nope');
  });

  it('appends rows given in JSON forms as Arrow batches with writer id and increasing sequences', async () => {
    const { server, conn } = setup();
    const t = await conn.table('db', 'events');
    const w = t.appendWriter({ batchRows: 10, lingerMs: 1 });
    const acks = Array.from({ length: 25 }, (_, i) => w.append({ id: i, msg: `m${i}`, at: new Date(1000 + i) }));
    await w.flush();
    expect((await Promise.all(acks)).map((a) => a?.offset)).toEqual(Array.from({ length: 25 }, (_, i) => BigInt(i)));
    const posts = server.requests.filter((r) => r.method === 'POST');
    expect(posts.map((r) => r.headers.get('content-type'))).toEqual(Array(3).fill('application/vnd.apache.arrow.stream'));
    expect(posts.map((r) => r.headers.get('x-batch-sequence'))).toEqual(['0', '1', '2']);
    expect(new Set(posts.map((r) => r.headers.get('x-writer-id')))).toEqual(new Set([w.writerId.toString()]));
    expect(server.tables.get('events')!.log.map((e) => e.row.id)).toEqual(Array.from({ length: 25 }, (_, i) => BigInt(i)));
    expect(server.tables.get('events')!.log[3]!.row.at).toBe(1003);
    await w.close();
  });

  it('retries an overloaded append with the same bytes and sequence, honouring Retry-After', async () => {
    const { server, conn } = setup();
    const t = await conn.table('db', 'events');
    const w = t.appendWriter({ lingerMs: 0 });
    server.failNext(2, { status: 503, body: { error: { code: 'OVERLOADED', message: 'busy' } }, headers: { 'retry-after': '0' } });
    await w.append({ id: 1 });
    const posts = server.requests.filter((r) => r.method === 'POST');
    expect(posts).toHaveLength(3);
    expect(new Set(posts.map((r) => Buffer.from(r.body).toString('hex'))).size).toBe(1);
    expect(new Set(posts.map((r) => r.headers.get('x-batch-sequence')))).toEqual(new Set(['0']));
    expect(server.tables.get('events')!.log).toHaveLength(1);
  });

  it('does not append twice when a reply is lost and the batch is re-sent', async () => {
    const { server, conn } = setup();
    const t = await conn.table('db', 'events');
    const w = t.appendWriter({ lingerMs: 0 });
    server.loseNextReply();
    const ack = await w.append({ id: 42 });
    expect(ack).toEqual({ bucket: 0, offset: 0n });
    expect(server.tables.get('events')!.log).toHaveLength(1);
  });

  it('surfaces a refused batch on the row and on flush', async () => {
    const { server, conn } = setup();
    const t = await conn.table('db', 'events');
    const w = t.appendWriter({ lingerMs: 0 });
    server.failNext(1, { status: 400, body: { error: { code: 'SCHEMA_MISMATCH', message: 'no' } } });
    await expect(w.append({ id: 1 })).rejects.toMatchObject({ code: 'SCHEMA_MISMATCH' });
    await expect(w.flush()).rejects.toMatchObject({ code: 'SCHEMA_MISMATCH' });
  });

  it('refuses an append writer on a primary-key table and an upsert writer on a log table', async () => {
    const { conn } = setup();
    await expect(conn.table('db', 'users').then((t) => t.appendWriter())).rejects.toMatchObject({ code: 'UNSUPPORTED_OPERATION' });
    await expect(conn.table('db', 'events').then((t) => t.upsertWriter())).rejects.toMatchObject({ code: 'UNSUPPORTED_OPERATION' });
  });

  it('upserts, partially updates and deletes, then coalesces concurrent lookups into one request', async () => {
    const { server, conn } = setup();
    const t = await conn.table('db', 'users');
    const w = t.upsertWriter({ lingerMs: 0 });
    for (let k = 1; k <= 3; k++) void w.upsert({ k, v: `v${k}`, n: k });
    void w.delete({ k: 2 });
    await w.flush();
    const partial = t.upsertWriter({ columns: ['n'], lingerMs: 0, format: 'json' });
    await partial.upsert({ k: 3, n: 30 });
    const posts = server.requests.filter((r) => r.method === 'POST');
    expect(posts.map((r) => r.path.split('/').pop())).toEqual(['upsert', 'delete', 'upsert']);
    expect(posts[2]!.query.get('columns')).toBe('k,n');
    expect(JSON.parse(new TextDecoder().decode(posts[2]!.body))).toEqual([{ k: 3, n: 30 }]);

    const before = server.requests.length;
    const l = t.lookuper();
    const rows = await Promise.all([1, 2, 3].map((k) => l.lookup({ k })));
    expect(rows).toEqual([{ k: 1n, v: 'v1', n: 1 }, null, { k: 3n, v: 'v3', n: 30 }]);
    const lookups = server.requests.slice(before);
    expect(lookups).toHaveLength(1);
    expect(JSON.parse(new TextDecoder().decode(lookups[0]!.body))).toEqual({ keys: [{ k: 1 }, { k: 2 }, { k: 3 }] });
    await expect(l.lookup({ v: 'x' })).rejects.toMatchObject({ code: 'UNKNOWN_COLUMN' });
  });

  it('writes changelog rows by _change_type, and refuses a bad row before it is batched', async () => {
    const { server, conn } = setup();
    const t = await conn.table('db', 'users');
    const w = t.upsertWriter({ lingerMs: 0 });
    expect(w.validate({ k: 1, v: 'a', _change_type: '+I' })).toBe('upsert');
    expect(w.validate({ k: 1, v: 'ignored', _change_type: '-D' })).toBe('delete');
    expect(w.validate({ k: 1, _change_type: '-U' })).toBe('skip');
    expect(() => w.validate({ k: 1, _change_type: '+A' })).toThrow('_change_type "+A" is not one of +I or +U (upsert), -D (delete the key), -U (ignored)');
    expect(() => w.tryChange({ k: 'x' })).toThrow("column 'k' (int64)");
    expect(w.tryChange({ k: 1, _change_type: '-U' })).toBeUndefined();
    const acks = [w.tryChange({ k: 1, v: 'a' }), w.tryChange({ k: 1, v: 'a', _change_type: '-D' })];
    const replies = await Promise.all(acks);
    expect(replies.map((r) => r!.rows)).toEqual([1, 1]);
    await w.flush(); // the refused row was never batched: nothing to report
    expect(server.requests.filter((r) => r.method === 'POST').map((r) => r.path.split('/').pop())).toEqual(['upsert', 'delete']);
    const { pipeline } = await import('node:stream/promises');
    const { Readable } = await import('node:stream');
    await expect(pipeline(Readable.from([{ k: 2, _change_type: 'X' }]), w.toWritable())).rejects.toMatchObject({ code: 'INVALID_VALUE' });
  });

  it('answers prefix lookups with every row under the bucket key', async () => {
    const { conn } = setup();
    const t = await conn.table('db', 'users');
    const w = t.upsertWriter({ lingerMs: 0 });
    await Promise.all([w.upsert({ k: 1, v: 'a' }), w.upsert({ k: 2, v: 'b' })]);
    const p = t.prefixLookuper();
    expect(await Promise.all([p.lookup({ k: 1 }), p.lookup({ k: 9 })])).toEqual([[{ k: 1n, v: 'a', n: null }], []]);
    await p.close();
    await expect(p.lookup({ k: 1 })).rejects.toMatchObject({ code: 'UNSUPPORTED_OPERATION' });
  });

  it('pipes rows into a Writable with back-pressure and flushes on end', async () => {
    const { server, conn } = setup();
    const t = await conn.table('db', 'events');
    const w = t.appendWriter({ batchRows: 16, maxInFlight: 1, lingerMs: 1 });
    const { pipeline } = await import('node:stream/promises');
    const { Readable } = await import('node:stream');
    await pipeline(Readable.from(Array.from({ length: 100 }, (_, i) => ({ id: i }))), w.toWritable(8));
    expect(server.tables.get('events')!.log).toHaveLength(100);
    expect(w.pendingRows).toBe(0);
  });

  it('scans from earliest as typed Arrow records and tracks positions', async () => {
    const { server, conn } = setup();
    server.appendRows('events', [{ id: 1n, msg: 'a', at: 5 }, { id: 2n, msg: null, at: null }]);
    const t = await conn.table('db', 'events');
    const s = t.scanner({ from: 'earliest', waitMs: 50 });
    const it = s[Symbol.asyncIterator]();
    const got = await take(it, 2);
    expect(got).toEqual([
      { bucket: 0, offset: 0n, timestamp: 1000, changeType: '+A', row: { id: 1n, msg: 'a', at: 5 } },
      { bucket: 0, offset: 1n, timestamp: 1001, changeType: '+A', row: { id: 2n, msg: null, at: null } },
    ]);
    expect(s.position(0)).toBe(2n);
    server.appendRows('events', [{ id: 3n, msg: 'c', at: null }]);
    const [third] = await take(it, 1);
    expect(third!.row.id).toBe(3n);
    expect(s.positions()).toEqual({ 0: 3n });
    s.stop();
    expect(await it.next()).toEqual({ done: true, value: undefined });
    const waits = server.requests.filter((r) => r.path.endsWith('/records')).map((r) => r.query.get('waitMs'));
    expect(waits).toContain('50');
  });

  it('scans from latest in JSON with a projection, resuming from saved positions', async () => {
    const { server, conn } = setup();
    server.appendRows('events', [{ id: 1n, msg: 'old', at: null }]);
    const t = await conn.table('db', 'events');
    const s = t.scanner({ from: 'latest', format: 'json', columns: ['msg'], waitMs: 20 });
    const it = s[Symbol.asyncIterator]();
    const pending = take(it, 1);
    // The scanner knows its positions once it has resolved `latest` (1): a row appended now is after it.
    await until('the scanner to resolve latest', async () => Object.keys(s.positions()).length > 0);
    server.appendRows('events', [{ id: 2n, msg: 'new', at: null }]);
    expect((await pending).map((r) => r.row)).toEqual([{ msg: 'new' }]);
    expect(server.requests.filter((r) => r.path.endsWith('/records')).every((r) => r.query.get('columns') === 'msg')).toBe(true);
    const saved = s.positions();
    s.stop();
    server.appendRows('events', [{ id: 3n, msg: 'after', at: null }]);
    const resumed = t.scanner({ from: { offsets: saved }, waitMs: 20 });
    const [next] = await take(resumed[Symbol.asyncIterator](), 1);
    expect(next!.offset).toBe(2n);
    resumed.stop();
  });

  it('reads a primary-key table in full: snapshot rows as +I, then the changelog from the snapshot offset', async () => {
    const { conn } = setup();
    const t = await conn.table('db', 'users');
    const w = t.upsertWriter({ lingerMs: 0 });
    for (let k = 1; k <= 3; k++) void w.upsert({ k, v: `v${k}` });
    await w.flush();
    const s = t.scanner({ from: 'full', maxRecords: 2, waitMs: 20 });
    const it = s[Symbol.asyncIterator]();
    const snap = await take(it, 3);
    expect(snap.map((r) => [r.changeType, r.offset, r.row.k])).toEqual([['+I', -1n, 1n], ['+I', -1n, 2n], ['+I', -1n, 3n]]);
    await w.delete({ k: 1 });
    const [change] = await take(it, 1);
    expect([change!.changeType, change!.offset, change!.row.k]).toEqual(['-D', 3n, 1n]);
    expect(s.position(0)).toBe(4n);
    s.stop();
  });

  it('fails the scan on an offset out of range, or jumps when told to', async () => {
    const { server, conn } = setup();
    server.appendRows('events', [{ id: 1n, msg: null, at: null }]);
    const t = await conn.table('db', 'events');
    const bad = t.scanner({ from: { offsets: { 0: 5n } }, waitMs: 10 });
    await expect(bad[Symbol.asyncIterator]().next()).rejects.toMatchObject({ code: 'OFFSET_OUT_OF_RANGE', details: { earliest: '0' } });
    const jump = t.scanner({ from: { offsets: { 0: 5n } }, onOutOfRange: 'earliest', waitMs: 10 });
    const [first] = await take(jump[Symbol.asyncIterator](), 1);
    expect(first!.offset).toBe(0n);
    jump.stop();
  });

  it('streams records through a Readable and closes everything with the connection', async () => {
    const { server, conn } = setup();
    server.appendRows('events', Array.from({ length: 50 }, (_, i) => ({ id: BigInt(i), msg: null, at: null })));
    const t = await conn.table('db', 'events');
    const s = t.scanner({ from: 'earliest', maxRecords: 7, waitMs: 10 });
    const seen: bigint[] = [];
    for await (const r of s.toReadable(4)) {
      seen.push(r.offset as bigint);
      if (seen.length === 50) break;
    }
    expect(seen).toEqual(Array.from({ length: 50 }, (_, i) => BigInt(i)));
    expect(s.isStopped).toBe(true);
    const w = t.appendWriter({ lingerMs: 60_000 });
    void w.append({ id: 99 });
    await conn.close();
    expect(server.tables.get('events')!.log).toHaveLength(51);
    expect(() => conn.admin()).toThrow(/closed/);
  });
});
