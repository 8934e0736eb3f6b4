import * as A from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startServer, type ServerProcess } from './helpers.js';

let server: ServerProcess;
const T = '/v1/databases/app/tables';

beforeAll(async () => {
  server = await startServer();
  await call(server.url, 'PUT', '/v1/databases/app');
  await call(server.url, 'PUT', `${T}/users`, {
    columns: [{ name: 'id', type: 'int32', nullable: false }, { name: 'name', type: 'string' }, { name: 'visits', type: 'int64' }],
    primaryKey: ['id'],
  });
});
afterAll(async () => {
  await server.stop();
});

describe('primary-key changelog as Arrow', () => {
  it('carries the stored change types, projected and from any offset, as the JSON changelog does', async () => {
    await call(server.url, 'POST', `${T}/users/upsert`, [{ id: 1, name: 'a', visits: 1 }, { id: 2, name: 'b', visits: 2 }]);
    await call(server.url, 'POST', `${T}/users/upsert`, [{ id: 1, name: 'a2', visits: 3 }]);
    await call(server.url, 'POST', `${T}/users/delete`, [{ id: 2 }]);
    for (const [offset, cols] of [[0, 'name'], [1, 'visits,id'], [3, 'id']] as const) {
      const q = `offset=${offset}&columns=${cols}`;
      const json = await call(server.url, 'GET', `${T}/users/buckets/0/records?${q}`);
      const arrow = await call<Uint8Array>(server.url, 'GET', `${T}/users/buckets/0/records?${q}`, undefined, { accept: 'application/vnd.apache.arrow.stream' });
      const t = A.tableFromIPC(arrow.body);
      expect(t.schema.fields.map((f) => f.name)).toEqual([...cols.split(','), '_log_offset', '_commit_timestamp', '_change_type']);
      expect([...t.getChild('_change_type')!]).toEqual(json.body.records.map((r: { _change_type: string }) => r._change_type));
      expect([...t.getChild('_log_offset')!].map(String)).toEqual(json.body.records.map((r: { _log_offset: number | string }) => String(r._log_offset)));
      expect(arrow.headers.get('x-next-offset')).toBe(String(json.body.nextOffset));
    }
    const all = await call(server.url, 'GET', `${T}/users/buckets/0/records?offset=0`);
    expect(all.body.records.map((r: { _change_type: string }) => r._change_type)).toEqual(['+I', '+I', '-U', '+U', '-D']);
  });

  it('gives every -U of an Arrow upsert its own key\'s old row, read from the index after a flush', async () => {
    const ids = [10, 11, 12, 13];
    const body = (names: string[]) => A.tableToIPC(A.tableFromArrays({ id: Int32Array.from(ids), name: names, visits: BigInt64Array.from(ids, BigInt) }), 'stream');
    expect((await call(server.url, 'POST', `${T}/users/upsert`, body(ids.map((id) => `old-${id}`)))).status).toBe(200);
    expect((await call(server.url, 'GET', `${T}/users/buckets/0/rows`)).status).toBe(200); // flushes the memtable into LMDB
    const r = await call(server.url, 'POST', `${T}/users/upsert`, body(ids.map((id) => `new-${id}`)));
    expect(r.status).toBe(200);
    const from = r.body.buckets[0].baseOffset;
    const records = (await call(server.url, 'GET', `${T}/users/buckets/0/records?offset=${from}`)).body.records;
    expect(records.map((x: { _change_type: string; id: number; name: string }) => `${x._change_type} ${x.id} ${x.name}`)).toEqual(
      ids.flatMap((id) => [`-U ${id} old-${id}`, `+U ${id} new-${id}`]),
    );
  });
});

describe('Arrow upserts: keys read straight from the Arrow buffers', () => {
  it('encodes every key type as JSON writes and lookups do, in the buckets JSON puts them in', async () => {
    await call(server.url, 'PUT', `${T}/events`, {
      columns: [
        { name: 'tenant', type: 'string', nullable: false }, { name: 'seq', type: 'int64', nullable: false },
        { name: 'day', type: 'date', nullable: false }, { name: 'at', type: 'timestamp', nullable: false },
        { name: 'small', type: 'int32', nullable: false }, { name: 'v', type: 'string' },
      ],
      primaryKey: ['tenant', 'seq', 'day', 'at', 'small'], bucketKey: ['tenant'], buckets: 4,
    });
    const n = 60;
    const tenants = Array.from({ length: n }, (_, i) => `t-${i % 7}-é`);
    const seqs = Array.from({ length: n }, (_, i) => BigInt(i * 1_000_003 - 30_000_000));
    const days = Array.from({ length: n }, (_, i) => 19_000 + i);
    const ats = Array.from({ length: n }, (_, i) => 1_700_000_000_000 + i * 1000);
    const smalls = Array.from({ length: n }, (_, i) => i - 30);
    const table = new A.Table({
      tenant: A.vectorFromArray(tenants, new A.Utf8()),
      seq: A.vectorFromArray(seqs, new A.Int64()),
      day: A.vectorFromArray(days.map((d) => new Date(d * 86_400_000)), new A.DateDay()),
      at: A.vectorFromArray(ats.map((ms) => new Date(ms)), new A.TimestampMillisecond()),
      small: A.vectorFromArray(smalls, new A.Int32()),
      v: A.vectorFromArray(tenants.map((_, i) => `arrow-${i}`), new A.Utf8()),
    });
    const written = await call(server.url, 'POST', `${T}/events/upsert`, A.tableToIPC(table, 'stream'));
    expect(written.status).toBe(200);
    const jsonKey = (i: number) => ({ tenant: tenants[i], seq: seqs[i]!.toString(), day: new Date(days[i]! * 86_400_000).toISOString().slice(0, 10), at: ats[i], small: smalls[i] });
    const found = await call(server.url, 'POST', `${T}/events/lookup`, { keys: Array.from({ length: n }, (_, i) => jsonKey(i)) });
    expect(found.body.rows.map((r: { v: string } | null) => r?.v)).toEqual(tenants.map((_, i) => `arrow-${i}`));
    // The same keys written as JSON are updates of the Arrow rows, in the same buckets.
    const again = await call(server.url, 'POST', `${T}/events/upsert`, Array.from({ length: n }, (_, i) => ({ ...jsonKey(i), v: `json-${i}` })));
    expect(again.status).toBe(200);
    let updates = 0;
    for (const b of again.body.buckets as { bucket: number; baseOffset: string }[]) {
      const records = (await call(server.url, 'GET', `${T}/events/buckets/${b.bucket}/records?offset=${b.baseOffset}`)).body.records as { _change_type: string; v: string }[];
      expect(records.every((r, i) => r._change_type === (i % 2 === 0 ? '-U' : '+U'))).toBe(true);
      updates += records.length / 2;
    }
    expect(updates).toBe(n);
    expect(new Set((written.body.buckets as { bucket: number }[]).map((b) => b.bucket)).size).toBeGreaterThan(1);
  });
});
