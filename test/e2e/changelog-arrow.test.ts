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
