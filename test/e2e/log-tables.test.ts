import * as A from 'apache-arrow';
import pl from 'nodejs-polars';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchRows, ipcToBatches } from '../../src/common/arrow.js';
import { call, startServer, type ServerProcess } from './helpers.js';

let server: ServerProcess;
const T = '/v1/databases/app/tables';
const columns = [
  { name: 'id', type: 'int64', nullable: false },
  { name: 'name', type: 'string' },
  { name: 'score', type: 'float64' },
  { name: 'at', type: 'timestamp' },
  { name: 'day', type: 'date' },
  { name: 'blob', type: 'binary' },
  { name: 'ok', type: 'boolean' },
  { name: 'small', type: 'int16' },
];

async function hw(table: string, bucket = 0): Promise<string> {
  return (await call(server.url, 'GET', `${T}/${table}/buckets/${bucket}`)).body.highWatermark;
}

beforeAll(async () => {
  server = await startServer({ args: ['--max-request-bytes', '2mb'] });
  await call(server.url, 'PUT', '/v1/databases/app');
  await call(server.url, 'PUT', `${T}/events`, { columns });
  await call(server.url, 'PUT', `${T}/keyed`, { columns: [{ name: 'k', type: 'string', nullable: false }, { name: 'v', type: 'int32' }], buckets: 4, bucketKey: ['k'] });
  await call(server.url, 'PUT', `${T}/rr`, { columns: [{ name: 'v', type: 'int32' }], buckets: 3 });
});
afterAll(async () => {
  await server.stop();
});

describe('log tables: append and read as JSON', () => {
  it('appends JSON rows and reads them back in every type', async () => {
    const r = await call(server.url, 'POST', `${T}/events/append`, [
      { id: '9007199254740993', name: 'a', score: 1.5, at: '2024-05-01T10:00:00Z', day: '2024-05-01', blob: 'AQID', ok: true, small: -3 },
      { id: 2, name: null, score: 'NaN', at: 1714557600000, day: null, blob: null, ok: false, small: null },
    ]);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ rows: 2, buckets: [{ bucket: 0, baseOffset: '0', rows: 2 }] });
    const read = await call(server.url, 'GET', `${T}/events/buckets/0/records?offset=0`);
    expect(read.body.nextOffset).toBe('2');
    expect(read.body.highWatermark).toBe('2');
    const [a, b] = read.body.records;
    expect(a).toMatchObject({ id: '9007199254740993', name: 'a', score: 1.5, at: 1714557600000, day: '2024-05-01', blob: 'AQID', ok: true, small: -3, _log_offset: 0, _change_type: '+A' });
    expect(typeof a._commit_timestamp).toBe('number');
    expect(b).toMatchObject({ id: 2, name: null, score: 'NaN', at: 1714557600000, ok: false, _log_offset: 1 });
  });

  it('projects columns and pages with maxRecords from the middle of a batch', async () => {
    await call(server.url, 'POST', `${T}/events/append`, Array.from({ length: 10 }, (_, i) => ({ id: 100 + i })));
    const r = await call(server.url, 'GET', `${T}/events/buckets/0/records?offset=5&maxRecords=3&columns=id`);
    expect(r.body.records.map((x: any) => x.id)).toEqual([103, 104, 105]);
    expect(Object.keys(r.body.records[0]).sort()).toEqual(['_change_type', '_commit_timestamp', '_log_offset', 'id']);
    expect(r.body.nextOffset).toBe('8');
  });

  it('refuses an offset past the end with OFFSET_OUT_OF_RANGE naming the range', async () => {
    const r = await call(server.url, 'GET', `${T}/events/buckets/0/records?offset=999`);
    expect(r.status).toBe(416);
    expect(r.body.error.code).toBe('OFFSET_OUT_OF_RANGE');
    expect(r.body.error.message).toMatch(/0.*12/);
  });

  it('reports offsets by earliest, latest and timestamp, and bucket stats', async () => {
    expect((await call(server.url, 'GET', `${T}/events/buckets/0/offsets?at=earliest`)).body.offset).toBe('0');
    expect((await call(server.url, 'GET', `${T}/events/buckets/0/offsets?at=latest`)).body.offset).toBe('12');
    expect((await call(server.url, 'GET', `${T}/events/buckets/0/offsets?at=${Date.now() + 60_000}`)).body.offset).toBe('12');
    expect((await call(server.url, 'GET', `${T}/events/buckets/0/offsets?at=0`)).body.offset).toBe('0');
    const s = await call(server.url, 'GET', `${T}/events/buckets/0`);
    expect(s.body).toMatchObject({ localLogStartOffset: '0', highWatermark: '12', segments: 1 });
    expect(s.body.bytes).toBeGreaterThan(100);
  });

  it('long-polls with waitMs until data arrives', async () => {
    const end = await hw('events');
    const started = Date.now();
    const pending = call(server.url, 'GET', `${T}/events/buckets/0/records?offset=${end}&waitMs=5000`);
    await new Promise((r) => setTimeout(r, 200));
    await call(server.url, 'POST', `${T}/events/append`, [{ id: 7 }]);
    const r = await pending;
    expect(r.body.records.map((x: any) => x.id)).toEqual([7]);
    expect(Date.now() - started).toBeLessThan(4000);
    const idle = await call(server.url, 'GET', `${T}/events/buckets/0/records?offset=${await hw('events')}&waitMs=300`);
    expect(idle.body.records).toEqual([]);
  });
});

describe('log tables: Arrow in and out', () => {
  it('accepts dictionary strings and nullable-flagged fields without nulls, and serves Arrow with projection', async () => {
    const dict = A.vectorFromArray(['x', 'y', 'x'], new A.Dictionary(new A.Utf8(), new A.Int32()));
    const table = new A.Table({ id: A.vectorFromArray([1n, 2n, 3n], new A.Int64()), name: dict });
    const before = BigInt(await hw('events'));
    const r = await call(server.url, 'POST', `${T}/events/append`, A.tableToIPC(table, 'stream'));
    expect(r.status).toBe(200);
    const res = await call<Uint8Array>(server.url, 'GET', `${T}/events/buckets/0/records?offset=${before}&columns=name,id`, undefined, { accept: 'application/vnd.apache.arrow.stream' });
    expect(res.headers.get('x-next-offset')).toBe(String(before + 3n));
    const got = A.tableFromIPC(res.body);
    expect(got.schema.fields.map((f) => f.name)).toEqual(['name', 'id', '_log_offset', '_commit_timestamp', '_change_type']);
    expect(got.getChild('name')!.toArray()).toEqual(['x', 'y', 'x']);
    expect([...got.getChild('_log_offset')!]).toEqual([before, before + 1n, before + 2n]);
    // An independent Arrow reader accepts what we send.
    const df = pl.readIPCStream(Buffer.from(res.body));
    expect(df.height).toBe(3);
    expect(df.getColumn('name').toArray()).toEqual(['x', 'y', 'x']);
    expect(df.getColumn('_change_type').toArray()).toEqual(['+A', '+A', '+A']);
  });

  it('serves the same records as Arrow (projected, from any offset, cut by maxRecords) as it does as JSON', async () => {
    await call(server.url, 'PUT', `${T}/mirror`, { columns });
    for (let b = 0; b < 4; b++) {
      const rows = Array.from({ length: 7 + b * 5 }, (_, i) => ({
        id: b * 100 + i, name: i % 3 ? `n${i}` : null, score: i % 4 ? i / 8 : null, at: 1714557600000 + i, day: i % 5 ? '2024-05-01' : null,
        blob: i % 2 ? 'AQID' : null, ok: i % 6 ? i % 2 === 0 : null, small: i % 7 ? -i : null,
      }));
      expect((await call(server.url, 'POST', `${T}/mirror/append`, rows)).status).toBe(200);
    }
    const json = (offset: number, q: string) => call(server.url, 'GET', `${T}/mirror/buckets/0/records?offset=${offset}&${q}`);
    const arrow = (offset: number, q: string) => call<Uint8Array>(server.url, 'GET', `${T}/mirror/buckets/0/records?offset=${offset}&${q}`, undefined, { accept: 'application/vnd.apache.arrow.stream' });
    for (const cols of ['id', 'ok,small', 'blob,id,day', 'name,score,at', columns.map((c) => c.name).join(',')]) {
      for (const [offset, max] of [[0, 1000], [3, 5], [8, 20], [20, 3], [40, 1000]] as const) {
        const q = `columns=${cols}&maxRecords=${max}`;
        const [j, a] = await Promise.all([json(offset, q), arrow(offset, q)]);
        expect(a.headers.get('x-next-offset')).toBe(j.body.nextOffset);
        const t = A.tableFromIPC(a.body);
        const names = cols.split(',');
        const fromArrow = t.toArray().map((r) => {
          const o = r.toJSON() as Record<string, unknown>;
          return Object.fromEntries([...names, '_log_offset', '_change_type'].map((n) => [n, o[n]]));
        });
        const fromJson = (j.body.records as Record<string, unknown>[]).map((r) => Object.fromEntries([...names, '_log_offset', '_change_type'].map((n) => [n, r[n]])));
        const norm = (rows: Record<string, unknown>[]) => rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k,
          v instanceof Uint8Array ? Buffer.from(v).toString('base64') : typeof v === 'bigint' ? Number(v) : v instanceof Date ? v.getTime() : v])));
        const day = (rows: Record<string, unknown>[]) => rows.map((r) => ('day' in r && typeof r.day === 'number' ? { ...r, day: new Date(r.day).toISOString().slice(0, 10) } : r));
        const at = (rows: Record<string, unknown>[]) => rows.map((r) => ('at' in r && typeof r.at === 'string' ? { ...r, at: Date.parse(r.at) } : r));
        expect(day(norm(fromArrow))).toEqual(at(norm(fromJson)));
      }
    }
  });

  it('keeps a leading U+FEFF in strings, from JSON and dictionary-encoded Arrow, through JSON and Arrow reads', async () => {
    await call(server.url, 'PUT', `${T}/bom`, { columns: [{ name: 'id', type: 'int32', nullable: false }, { name: 's', type: 'string' }] });
    await call(server.url, 'POST', `${T}/bom/append`, [{ id: 1, s: '\uFEFFone' }]);
    const dict = A.vectorFromArray(['\uFEFFtwo', 'x'], new A.Dictionary(new A.Utf8(), new A.Int32()));
    await call(server.url, 'POST', `${T}/bom/append`, A.tableToIPC(new A.Table({ id: A.vectorFromArray([2, 3], new A.Int32()), s: dict }), 'stream'));
    const json = await call(server.url, 'GET', `${T}/bom/buckets/0/records?offset=0`);
    expect(json.body.records.map((r: { s: string }) => r.s)).toEqual(['\uFEFFone', '\uFEFFtwo', 'x']);
    const arrow = await call<Uint8Array>(server.url, 'GET', `${T}/bom/buckets/0/records?offset=0&columns=s`, undefined, { accept: 'application/vnd.apache.arrow.stream' });
    expect(ipcToBatches(arrow.body).batches.flatMap((b) => batchRows(b, ['s']).map((r) => r.s))).toEqual(['\uFEFFone', '\uFEFFtwo', 'x']);
  });

  it.each(['zstd', 'lz4'])('stores %s-compressed batches and serves Arrow an independent reader accepts', async (codec) => {
    await call(server.url, 'PUT', `${T}/packed_${codec}`, { columns, properties: { 'table.log.compression': codec } });
    const rows = Array.from({ length: 500 }, (_, i) => ({ id: i, name: `name ${i % 7}`, score: i / 4, ok: i % 2 === 0 }));
    expect((await call(server.url, 'POST', `${T}/packed_${codec}/append`, rows)).status).toBe(200);
    const res = await call<Uint8Array>(server.url, 'GET', `${T}/packed_${codec}/buckets/0/records?offset=0&columns=id,name,score`, undefined, { accept: 'application/vnd.apache.arrow.stream' });
    const df = pl.readIPCStream(Buffer.from(res.body));
    expect(df.height).toBe(500);
    expect(df.getColumn('name').toArray().slice(0, 3)).toEqual(['name 0', 'name 1', 'name 2']);
    expect(df.getColumn('score').toArray()[9]).toBe(2.25);
    await call(server.url, 'PUT', `${T}/plain_${codec}`, { columns });
    await call(server.url, 'POST', `${T}/plain_${codec}/append`, rows);
    const stored = (await call(server.url, 'GET', `${T}/packed_${codec}/buckets/0`)).body.bytes;
    const plain = (await call(server.url, 'GET', `${T}/plain_${codec}/buckets/0`)).body.bytes;
    expect(stored).toBeLessThan(plain);
  });

  it('serves an Arrow body of several record batches back as Arrow, as one stored batch', async () => {
    await call(server.url, 'PUT', `${T}/multi`, { columns: [{ name: 'id', type: 'int64', nullable: false }, { name: 's', type: 'string' }] });
    const part = (from: number, n: number) => new A.Table({
      id: A.vectorFromArray(Array.from({ length: n }, (_, i) => BigInt(from + i)), new A.Int64()),
      s: A.vectorFromArray(Array.from({ length: n }, (_, i) => (i % 3 ? `s${from + i}` : null)), new A.Utf8()),
    });
    const body = A.tableToIPC(new A.Table([...part(0, 3).batches, ...part(3, 5).batches]), 'stream');
    expect((await call(server.url, 'POST', `${T}/multi/append`, body)).body.rows).toBe(8);
    const res = await call<Uint8Array>(server.url, 'GET', `${T}/multi/buckets/0/records?offset=0`, undefined, { accept: 'application/vnd.apache.arrow.stream' });
    expect(res.status).toBe(200);
    const got = ipcToBatches(res.body).batches.flatMap((b) => batchRows(b, ['id', 's']));
    expect(got).toEqual(Array.from({ length: 8 }, (_, i) => ({ id: BigInt(i), s: i % 3 === 0 ? null : `s${i}` })));
  });

  it('refuses an Arrow schema that does not match, naming the column', async () => {
    const before = await hw('events');
    const wrong = A.tableToIPC(new A.Table({ id: A.vectorFromArray(['1'], new A.Utf8()) }), 'stream');
    const r = await call(server.url, 'POST', `${T}/events/append`, wrong);
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('SCHEMA_MISMATCH');
    expect(r.body.error.message).toContain("'id'");
    const nulls = A.tableToIPC(new A.Table({ id: A.vectorFromArray([1n, null], new A.Int64()) }), 'stream');
    expect((await call(server.url, 'POST', `${T}/events/append`, nulls)).body.error.code).toBe('NULL_IN_NON_NULLABLE');
    expect(await hw('events')).toBe(before);
  });
});

describe('log tables: buckets and idempotence', () => {
  it('routes rows by bucket key, the same key always to the same bucket', async () => {
    const rows = Array.from({ length: 200 }, (_, i) => ({ k: `key-${i % 20}`, v: i }));
    const r = await call(server.url, 'POST', `${T}/keyed/append`, rows);
    expect(r.body.rows).toBe(200);
    expect(r.body.buckets.length).toBeGreaterThan(1);
    const seen = new Map<string, number>();
    for (let b = 0; b < 4; b++) {
      const recs = (await call(server.url, 'GET', `${T}/keyed/buckets/${b}/records?offset=0`)).body.records;
      for (const rec of recs) {
        expect(seen.get(rec.k) ?? b).toBe(b);
        seen.set(rec.k, b);
      }
    }
    expect(seen.size).toBe(20);
  });

  it('stores a keyed Arrow body of several record batches where the same rows sent as JSON go, readable as Arrow', async () => {
    const keyed = { columns: [{ name: 'k', type: 'string', nullable: false }, { name: 'v', type: 'int32' }, { name: 'note', type: 'string' }], buckets: 4, bucketKey: ['k'] };
    await call(server.url, 'PUT', `${T}/keyed_json`, keyed);
    await call(server.url, 'PUT', `${T}/keyed_arrow`, keyed);
    const rows = Array.from({ length: 300 }, (_, i) => ({ k: `key-${i % 37}`, v: i % 11 ? i : null, note: i % 5 ? `n${i}`.repeat(i % 4) : null }));
    await call(server.url, 'POST', `${T}/keyed_json/append`, rows);
    const parts = [rows.slice(0, 100), rows.slice(100)].map((part) => new A.Table({
      k: A.vectorFromArray(part.map((r) => r.k), new A.Utf8()),
      v: A.vectorFromArray(part.map((r) => r.v), new A.Int32()),
      note: A.vectorFromArray(part.map((r) => r.note), new A.Utf8()),
    }));
    const body = A.tableToIPC(new A.Table([...parts[0]!.batches, ...parts[1]!.batches]), 'stream');
    expect((await call(server.url, 'POST', `${T}/keyed_arrow/append`, body)).body.rows).toBe(300);
    const arrowRows = async (table: string, b: number) => {
      const res = await call<Uint8Array>(server.url, 'GET', `${T}/${table}/buckets/${b}/records?offset=0&columns=k,v,note`, undefined, { accept: 'application/vnd.apache.arrow.stream' });
      expect(res.status).toBe(200);
      return ipcToBatches(res.body).batches.flatMap((batch) => batchRows(batch, ['k', 'v', 'note']));
    };
    let total = 0;
    for (let b = 0; b < 4; b++) {
      const got = await arrowRows('keyed_arrow', b);
      expect(got).toEqual(await arrowRows('keyed_json', b));
      total += got.length;
    }
    expect(total).toBe(300);
  });

  it('spreads keyless requests round-robin over buckets', async () => {
    for (let i = 0; i < 6; i++) await call(server.url, 'POST', `${T}/rr/append`, [{ v: i }]);
    const counts = await Promise.all([0, 1, 2].map(async (b) => Number(await hw('rr', b))));
    expect(counts).toEqual([2, 2, 2]);
  });

  it('acknowledges a retried request again without appending it twice', async () => {
    const headers = { 'x-writer-id': '42', 'x-batch-sequence': '7' };
    const first = await call(server.url, 'POST', `${T}/events/append`, [{ id: 1000 }], headers);
    const before = await hw('events');
    const retry = await call(server.url, 'POST', `${T}/events/append`, [{ id: 1000 }], headers);
    expect(retry.status).toBe(200);
    expect(retry.body).toEqual(first.body);
    expect(await hw('events')).toBe(before);
  });
});

describe('log tables: bad input changes nothing', () => {
  const cases: [string, string, unknown, Record<string, string>, number, string][] = [
    ['malformed JSON', 'events', '[{"id": 1', {}, 400, 'INVALID_JSON'],
    ['not an array', 'events', { id: 1 }, {}, 400, 'INVALID_VALUE'],
    ['wrong type', 'events', [{ id: 'abc' }], {}, 400, 'INVALID_VALUE'],
    ['unsafe int64 number', 'events', '[{"id": 9007199254740993}]', {}, 400, 'INVALID_VALUE'],
    ['null in non-nullable', 'events', [{ id: null }], {}, 400, 'NULL_IN_NON_NULLABLE'],
    ['unknown column', 'events', [{ id: 1, nope: 2 }], {}, 400, 'UNKNOWN_COLUMN'],
    ['int16 overflow', 'events', [{ id: 1, small: 40000 }], {}, 400, 'INVALID_VALUE'],
    ['bad timestamp', 'events', [{ id: 1, at: 'yesterday' }], {}, 400, 'INVALID_VALUE'],
    ['bad date', 'events', [{ id: 1, day: '2024-02-30' }], {}, 400, 'INVALID_VALUE'],
    ['bad base64', 'events', [{ id: 1, blob: '!!' }], {}, 400, 'INVALID_VALUE'],
    ['second row bad', 'events', [{ id: 1 }, { id: 'x' }], {}, 400, 'INVALID_VALUE'],
    ['garbage Arrow', 'events', new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9]), {}, 400, 'INVALID_ARROW'],
    ['wrong content type', 'events', 'id=1', { 'content-type': 'text/plain' }, 415, 'UNSUPPORTED_CONTENT_TYPE'],
    ['half a writer header', 'events', [{ id: 1 }], { 'x-writer-id': '1' }, 400, 'INVALID_PARAMETER'],
  ];
  it.each(cases)('%s gets a 4xx with a code', async (_name, table, body, headers, status, code) => {
    const before = await hw(table);
    const r = await call(server.url, 'POST', `${T}/${table}/append`, body, headers);
    expect(r.status).toBe(status);
    expect(r.body.error.code).toBe(code);
    expect(await hw(table)).toBe(before);
  });

  it('refuses a body over --max-request-bytes with 413', async () => {
    const before = await hw('events');
    const big = Array.from({ length: 30_000 }, (_, i) => ({ id: i, name: 'x'.repeat(80) }));
    const r = await call(server.url, 'POST', `${T}/events/append`, big);
    expect(r.status).toBe(413);
    expect(r.body.error.code).toBe('REQUEST_TOO_LARGE');
    expect(await hw('events')).toBe(before);
  });

  it.each([
    ['unknown bucket', `${T}/events/buckets/9/records`, 404, 'BUCKET_NOT_FOUND'],
    ['unknown table', `${T}/nope/buckets/0/records`, 404, 'TABLE_NOT_FOUND'],
    ['bad offset', `${T}/events/buckets/0/records?offset=-1`, 400, 'INVALID_PARAMETER'],
    ['absurd maxRecords', `${T}/events/buckets/0/records?maxRecords=1e99`, 400, 'INVALID_PARAMETER'],
    ['unknown projected column', `${T}/events/buckets/0/records?columns=nope`, 400, 'UNKNOWN_COLUMN'],
    ['bad at', `${T}/events/buckets/0/offsets?at=tomorrow`, 400, 'INVALID_PARAMETER'],
  ])('read with %s gets %i %s', async (_n, url, status, code) => {
    const r = await call(server.url, 'GET', url);
    expect(r.status).toBe(status);
    expect(r.body.error.code).toBe(code);
  });

  it('keeps serving after all of that', async () => {
    expect((await call(server.url, 'GET', '/v1/health')).status).toBe(200);
  });
});
