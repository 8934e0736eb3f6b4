import * as A from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startServer, type ServerProcess } from './helpers.js';

let server: ServerProcess;
const T = '/v1/databases/ct/tables';
const columns = [
  { name: 'id', type: 'int64', nullable: false },
  { name: 'name', type: 'string', nullable: false },
  { name: 'city', type: 'string' },
];

async function lookup(table: string, ids: number[]): Promise<unknown[]> {
  const r = await call(server.url, 'POST', `${T}/${table}/lookup`, { keys: ids.map((id) => ({ id })) });
  expect(r.status).toBe(200);
  return r.body.rows;
}

async function changeTypes(table: string): Promise<string[]> {
  const out: string[] = [];
  for (let b = 0; b < 2; b++) {
    const r = await call(server.url, 'GET', `${T}/${table}/buckets/${b}/records?offset=0&maxRecords=1000`);
    out.push(...r.body.records.map((x: { id: number; _change_type: string }) => `${x._change_type}${x.id}`));
  }
  return out.sort();
}

function arrowBody(ids: number[], names: (string | null)[], types: (string | null)[]): Uint8Array {
  return A.tableToIPC(A.tableFromArrays({ id: BigInt64Array.from(ids, BigInt), name: names, _change_type: types }), 'stream');
}

beforeAll(async () => {
  server = await startServer();
  await call(server.url, 'PUT', '/v1/databases/ct');
  for (const t of ['json', 'arrow', 'partial']) {
    const r = await call(server.url, 'PUT', `${T}/${t}`, { columns, primaryKey: ['id'], buckets: 2 });
    expect(r.status).toBe(201);
  }
});
afterAll(async () => {
  await server.stop();
});

describe('HTTP upsert honours _change_type as the CLI does', () => {
  it('JSON: -D deletes the key (only the key is read), -U is ignored, +I/+U upsert, in order per key', async () => {
    let r = await call(server.url, 'POST', `${T}/json/upsert`, [{ id: 1, name: 'ann' }, { id: 2, name: 'bob' }, { id: 3, name: 'cy', city: 'oslo' }]);
    expect(r.status).toBe(200);
    // A tail's -D row carries the old image; a hand-written one just the key (name is not nullable).
    r = await call(server.url, 'POST', `${T}/json/upsert`, [{ id: 3, _change_type: '-D' }, { id: 2, name: 'bob', _change_type: '-D' }]);
    expect(r.status).toBe(200);
    expect(r.body.rows).toBe(2);
    expect(await lookup('json', [1, 2, 3])).toEqual([{ id: 1, name: 'ann', city: null }, null, null]);
    r = await call(server.url, 'POST', `${T}/json/upsert`, [
      { id: 4, name: 'dee', _change_type: '+I' },
      { id: 4, _change_type: '-D' },
      { id: 5, name: 'eve', _change_type: '-U' },
      { id: 1, name: 'anna', _change_type: '+U' },
      { id: 6, name: 'fay', _change_type: null },
    ]);
    expect(r.status).toBe(200);
    expect(r.body.rows).toBe(4);
    expect(await lookup('json', [1, 4, 5, 6])).toEqual([{ id: 1, name: 'anna', city: null }, null, null, { id: 6, name: 'fay', city: null }]);
    expect(await changeTypes('json')).toEqual(['+I1', '+I2', '+I3', '+I4', '+I6', '+U1', '-D2', '-D3', '-D4', '-U1'].sort());
  });

  it('JSON: any other _change_type is a 400 naming the row and the allowed values, and writes nothing', async () => {
    const r = await call(server.url, 'POST', `${T}/json/upsert`, [{ id: 7, name: 'gus' }, { id: 1, _change_type: 'D' }]);
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('INVALID_VALUE');
    expect(r.body.error.message).toBe('row 1: _change_type "D" is not one of +I or +U (upsert), -D (delete the key), -U (ignored)');
    expect(await lookup('json', [1, 7])).toEqual([{ id: 1, name: 'anna', city: null }, null]);
    const plusA = await call(server.url, 'POST', `${T}/json/upsert`, [{ id: 7, name: 'gus', _change_type: '+A' }]);
    expect(plusA.status).toBe(400);
    const missingKey = await call(server.url, 'POST', `${T}/json/upsert`, [{ name: 'x', _change_type: '-D' }]);
    expect(missingKey.status).toBe(400);
    expect(missingKey.body.error.message).toContain("row 0 lacks key column 'id'");
  });

  it('Arrow: a _change_type utf8 column is honoured the same way, in row order', async () => {
    let r = await call(server.url, 'POST', `${T}/arrow/upsert`, arrowBody([10, 11, 10, 12, 13], ['a', 'b', 'a', 'c', 'd'], ['+I', '+I', '-D', '-U', null]));
    expect(r.status).toBe(200);
    expect(r.body.rows).toBe(4);
    expect(await lookup('arrow', [10, 11, 12, 13])).toEqual([null, { id: 11, name: 'b', city: null }, null, { id: 13, name: 'd', city: null }]);
    // A delete's other columns are not read: a null in the non-nullable name is fine on a -D row.
    r = await call(server.url, 'POST', `${T}/arrow/upsert`, arrowBody([11, 14], [null, 'e'], ['-D', '+U']));
    expect(r.status).toBe(200);
    expect(await lookup('arrow', [11, 14])).toEqual([null, { id: 14, name: 'e', city: null }]);
    expect(await changeTypes('arrow')).toEqual(['+I10', '+I11', '+I13', '+I14', '-D10', '-D11'].sort());
  });

  it('Arrow: an unknown value or a _change_type that is not utf8 is a 400 that writes nothing', async () => {
    const bad = await call(server.url, 'POST', `${T}/arrow/upsert`, arrowBody([20, 21], ['x', 'y'], ['+I', '??']));
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('row 1: _change_type "??" is not one of');
    const ints = A.tableToIPC(A.tableFromArrays({ id: BigInt64Array.from([20n]), name: ['x'], _change_type: Int8Array.from([1]) }), 'stream');
    const notText = await call(server.url, 'POST', `${T}/arrow/upsert`, ints);
    expect(notText.status).toBe(400);
    expect(notText.body.error.code).toBe('SCHEMA_MISMATCH');
    expect(await lookup('arrow', [20, 21])).toEqual([null, null]);
  });

  it('a partial update (columns=) deletes whole keys on -D rows', async () => {
    await call(server.url, 'POST', `${T}/partial/upsert`, [{ id: 1, name: 'ann', city: 'oslo' }, { id: 2, name: 'bob', city: 'rome' }]);
    const r = await call(server.url, 'POST', `${T}/partial/upsert?columns=id,name`, [{ id: 1, name: 'anna' }, { id: 2, _change_type: '-D' }]);
    expect(r.status).toBe(200);
    expect(await lookup('partial', [1, 2])).toEqual([{ id: 1, name: 'anna', city: 'oslo' }, null]);
  });
});
