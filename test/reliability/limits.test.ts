/**
 * The named limits, enforced by the real server while requests arrive: request bytes (413 while the
 * body is still streaming in), rows per request, keys per lookup, fetch bytes, waiting fetches and
 * in-flight writes (503 with Retry-After), plus hostile bodies that once took the server down.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchToIpc, rowsToBatch } from '../../src/common/arrow.js';
import type { Column } from '../../src/common/schema.js';
import { call, startServer, type ServerProcess } from '../e2e/helpers.js';
import { readBucket, until } from './support.js';

const DB = '/v1/databases/lim';
const LOG = `${DB}/tables/events`;
const PK = `${DB}/tables/users`;
const REQUEST_BYTES_MAX = 256 * 1024;
const ROWS_MAX = 100;
const FETCH_BYTES_MAX = 2048;
const COLUMNS: Column[] = [{ name: 'id', type: 'int64', nullable: false }, { name: 'pad', type: 'string', nullable: true }];
/** A 961-byte Arrow stream the fuzzer found: its schema claims ~2^31 fields, and apache-arrow built them until the heap ran out. */
const OOM_ARROW = Buffer.from('/////+AAAAAQAAAAAAAKABAADgAHAAgACgAAAAAAAAEQAAAAAAAEAAgACAAAAAQACAAAAAQAAAADAAAAhAAAAEgAAAAEAAAAmP///xAAAAAUAAAAAAAAAxgAAAACAAAAYzIAAAAAKHkUzU7tA8V7X9chxJsYWHdcEv0YAAQACwATABQAAAAMABAAAAAUAAAAAAAAARQAAAAAAAAEEAAAAAIAAABjMQAAAAAAAMz///8QABQABAAAAA8AEAAAAAgAEAAAABAAAAAUAAAAAAAABhQAAAACAAAAYzAAAAAAAAAEAAQABAAAAP/////4AAAAFAAAAAAAAAAMABYAFAAPABAABAAMAAAA4AAAAAAAAAAAAAADEAAAAAQACgAYAAwACAAEAAoAAAAUAAAAiAAAAAYAAAAAAAAAAAAAAAcAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAABAAAAAAAAAAEAAAAAAAAAAQAAAAAAAAACAAAAAAAAAACAAAAAAAAAAoAAAAAAAAAAQAAAAAAAAALAAAAAAAAAAAAAAAAAAAACwAAAAAAAAADAAAAAAAAAAAAAAAAMAAAAGAAAAAAAAAAAAAAAAAAAABgAAAAAAAAADAAAAAAAAAAYAAAAAAAAAAAAAAAAAAAAXAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAABwAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAGAAAACQAAAAsAAAALAAAACwAAAAsAAAAAAAAA/gIB13+9pgB/fwIAAAAAALQv7Hftvd+l537d5/Yefuu1dx2QePWpfCRlGblAHVmSAAAAAACAKEAAAAAAAAD4f/////8AAAAA', 'base64');

let server: ServerProcess;

beforeAll(async () => {
  server = await startServer({
    args: ['--max-request-bytes', String(REQUEST_BYTES_MAX), '--max-rows-per-request', String(ROWS_MAX), '--max-fetch-bytes', String(FETCH_BYTES_MAX), '--max-long-polls', '2', '--max-in-flight-writes', '1'],
  });
  await call(server.url, 'PUT', DB);
  expect((await call(server.url, 'PUT', LOG, { columns: COLUMNS, buckets: 1 })).status).toBe(201);
  expect((await call(server.url, 'PUT', PK, { columns: COLUMNS, primaryKey: ['id'], buckets: 2 })).status).toBe(201);
});
afterAll(async () => {
  await server.stop();
});

async function highWatermark(table: string, bucket = 0): Promise<string> {
  return (await call(server.url, 'GET', `${table}/buckets/${bucket}`)).body.highWatermark;
}

const rows = (n: number, from = 0) => Array.from({ length: n }, (_, i) => ({ id: from + i, pad: 'p' }));

describe('limits', () => {
  it('request bytes: a huge chunked body is refused with 413 long before it is all sent', async () => {
    const totalBytes = 512 * 1024 * 1024;
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    // A raw socket, paced: stop writing at the first byte of the answer, so the server's close
    // after its 413 does not reset the connection before the answer is read.
    const result = await new Promise<{ status: number; sentBytes: number; body: string }>((resolve, reject) => {
      const socket = net.connect(server.port, '127.0.0.1');
      let sentBytes = 0;
      let answer = '';
      const finish = () => {
        clearTimeout(timer);
        socket.destroy();
        const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0);
        resolve({ status, sentBytes, body: answer.slice(answer.indexOf('\r\n\r\n') + 4) });
      };
      const timer = setTimeout(() => reject(new Error(`no answer in 30 s after ${sentBytes} bytes`)), 30_000);
      socket.on('data', (d) => {
        answer += d.toString('latin1');
        const head = answer.indexOf('\r\n\r\n');
        const length = Number(/content-length: (\d+)/i.exec(answer)?.[1] ?? -1);
        if (head >= 0 && length >= 0 && answer.length - head - 4 >= length) finish();
      });
      socket.on('error', () => finish());
      socket.write(`POST ${LOG}/append HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n`);
      const pump = () => {
        if (answer !== '' || socket.destroyed) return;
        if (sentBytes >= totalBytes) return void socket.end('0\r\n\r\n');
        sentBytes += chunk.length;
        socket.write(`${chunk.length.toString(16)}\r\n`);
        socket.write(chunk);
        socket.write('\r\n', () => setTimeout(pump, 5));
      };
      pump();
    });
    expect(result, result.body).toMatchObject({ status: 413 });
    expect(JSON.parse(result.body).error.code).toBe('REQUEST_TOO_LARGE');
    expect(result.sentBytes).toBeLessThan(totalBytes / 8); // answered while most of the body was still unsent
    expect((await call(server.url, 'GET', '/v1/health')).status).toBe(200);
    expect(await highWatermark(LOG)).toBe('0');
  });

  it('request bytes: a declared content-length above the limit is refused at once', async () => {
    const r = await call(server.url, 'POST', `${LOG}/append`, new Uint8Array(REQUEST_BYTES_MAX + 1));
    expect(r.status).toBe(413);
    expect(r.body.error.code).toBe('REQUEST_TOO_LARGE');
  });

  it('rows per request: one row above --max-rows-per-request is 413 TOO_MANY_ROWS, as JSON and as Arrow, for append and upsert', async () => {
    for (const [path, body] of [
      [`${LOG}/append`, rows(ROWS_MAX + 1)], [`${PK}/upsert`, rows(ROWS_MAX + 1)], [`${PK}/delete`, rows(ROWS_MAX + 1).map((r) => ({ id: r.id }))],
      [`${LOG}/append`, batchToIpc(rowsToBatch(COLUMNS, rows(ROWS_MAX + 1).map((r) => ({ ...r, id: BigInt(r.id) }))))],
    ] as const) {
      const r = await call(server.url, 'POST', path, body);
      expect({ path, status: r.status, code: r.body.error?.code }).toEqual({ path, status: 413, code: 'TOO_MANY_ROWS' });
    }
    expect(await highWatermark(LOG)).toBe('0');
    expect((await call(server.url, 'POST', `${LOG}/append`, rows(ROWS_MAX))).status).toBe(200);
    expect(await highWatermark(LOG)).toBe(String(ROWS_MAX));
  });

  it('keys per lookup: 10,001 keys are 400 TOO_MANY_KEYS, 10,000 are answered', async () => {
    const over = await call(server.url, 'POST', `${PK}/lookup`, { keys: Array.from({ length: 10_001 }, (_, id) => ({ id })) });
    expect(over.status).toBe(400);
    expect(over.body.error.code).toBe('TOO_MANY_KEYS');
    const ok = await call(server.url, 'POST', `${PK}/lookup`, { keys: Array.from({ length: 10_000 }, (_, id) => ({ id })) });
    expect(ok.status).toBe(200);
    expect(ok.body.rows).toHaveLength(10_000);
  });

  it('fetch bytes: maxBytes above --max-fetch-bytes is 400, and a fetch returns about maxBytes, at least one batch', async () => {
    for (let i = 1; i < 30; i++) expect((await call(server.url, 'POST', `${LOG}/append`, rows(20, 1000 * i).map((r) => ({ ...r, pad: 'x'.repeat(50) })))).status).toBe(200);
    const over = await call(server.url, 'GET', `${LOG}/buckets/0/records?offset=0&maxBytes=${FETCH_BYTES_MAX + 1}`);
    expect(over.status).toBe(400);
    expect(over.body.error.code).toBe('INVALID_PARAMETER');
    const page = await call(server.url, 'GET', `${LOG}/buckets/0/records?offset=0&maxBytes=${FETCH_BYTES_MAX}&maxRecords=100000`);
    expect(page.status).toBe(200);
    const all = Number(page.body.highWatermark);
    expect(page.body.records.length).toBeGreaterThan(0);
    expect(page.body.records.length).toBeLessThan(all); // bounded by bytes, not by the whole log
    const tiny = await call(server.url, 'GET', `${LOG}/buckets/0/records?offset=0&maxBytes=1`);
    expect(tiny.body.records.length).toBeGreaterThan(0); // one batch at least, so a reader always progresses
    const byDefault = await call(server.url, 'GET', `${LOG}/buckets/0/records?offset=0&maxRecords=100000`);
    expect(byDefault.body.records.length).toBeLessThan(all); // the default maxBytes is capped by --max-fetch-bytes
  });

  it('open long-polls: with --max-long-polls 2 the third waiting fetch is 503 with Retry-After; the two waiting get the new rows', async () => {
    const hw = await highWatermark(LOG);
    const wait = (waitMs: number) => call(server.url, 'GET', `${LOG}/buckets/0/records?offset=${hw}&waitMs=${waitMs}`);
    const first = wait(20_000);
    const second = wait(20_000);
    // A third fetch is refused once both are waiting; until then it waits 1 ms and returns empty.
    const third = await until('two fetches waiting', async () => {
      const r = await wait(1);
      return r.status === 503 && r;
    });
    expect(third.body.error.code).toBe('OVERLOADED');
    expect(Number(third.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await call(server.url, 'POST', `${LOG}/append`, rows(3, 900_000))).status).toBe(200);
    const [a, b] = await Promise.all([first, second]);
    for (const r of [a, b]) {
      expect(r.status).toBe(200);
      expect(r.body.records.map((x: any) => x.id)).toEqual([900_000, 900_001, 900_002]);
    }
    // Both slots are free again.
    const again = await call(server.url, 'GET', `${LOG}/buckets/0/records?offset=${await highWatermark(LOG)}&waitMs=50`);
    expect(again.status).toBe(200);
  });

  it('in-flight writes: with --max-in-flight-writes 1 concurrent appends get some 503 with Retry-After, which wrote nothing', async () => {
    const before = Number(await highWatermark(LOG));
    const replies = await Promise.all(Array.from({ length: 40 }, (_, i) => call(server.url, 'POST', `${LOG}/append`, rows(ROWS_MAX, 2_000_000 + i * ROWS_MAX))));
    const refused = replies.filter((r) => r.status === 503);
    const accepted = replies.filter((r) => r.status === 200);
    expect(refused.length).toBeGreaterThan(0);
    expect(accepted.length + refused.length).toBe(40);
    for (const r of refused) {
      expect(r.body.error.code).toBe('OVERLOADED');
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    expect(Number(await highWatermark(LOG))).toBe(before + accepted.length * ROWS_MAX);
  });
});

describe('hostile bodies that reached past validation', () => {
  it('an Arrow schema claiming billions of fields is 400 INVALID_ARROW, and the server stays up (it ran out of heap)', async () => {
    const r = await call(server.url, 'POST', `${LOG}/append`, OOM_ARROW);
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('INVALID_ARROW');
    expect((await call(server.url, 'GET', '/v1/health')).status).toBe(200);
  });

  it('an Arrow timestamp beyond the safe integer range is 400, not a 500 and not a row that breaks every later read', async () => {
    await call(server.url, 'PUT', `${DB}/tables/times`, { columns: [{ name: 'id', type: 'int64', nullable: false }, { name: 't', type: 'timestamp', nullable: true }, { name: 'd', type: 'date', nullable: true }], buckets: 2, bucketKey: ['id'] });
    const cols: Column[] = [{ name: 'id', type: 'int64', nullable: false }, { name: 't', type: 'timestamp', nullable: true }];
    const body = batchToIpc(rowsToBatch(cols, [{ id: 1n, t: 0 }]));
    // Patch the one timestamp value (the last 8 data bytes before the end-of-stream marker hold it) to 2^60.
    const bytes = Buffer.from(body);
    const at = bytes.lastIndexOf(Buffer.from([0, 0, 0, 0, 0, 0, 0, 0]), bytes.length - 9);
    bytes.writeBigInt64LE(1n << 60n, at);
    const r = await call(server.url, 'POST', `${DB}/tables/times/append`, new Uint8Array(bytes));
    expect(r.status).toBe(400);
    const json = await call(server.url, 'POST', `${DB}/tables/times/append`, [{ id: 2, d: 1_000_000_000 }]);
    expect(json.status).toBe(400);
    for (const b of [0, 1]) expect((await readBucket(server.url, `${DB}/tables/times`, b)).records).toEqual([]);
  });
});

describe('server flags', () => {
  // Every flag of SETTINGS must reach the config: one whose attribute name differs from its
  // setting key (--retention-check-interval -> retentionCheckMs, --lake-orphan-grace ->
  // lakeOrphanGraceMs) must not be dropped silently. A value below the minimum proves it is read.
  for (const [flag, value] of [['--retention-check-interval', '1ms'], ['--lake-orphan-grace', '1ms'], ['--max-long-polls', '0'], ['--index-row-cache-size', '5gb']] as const) {
    it(`serve refuses ${flag} ${value} at start, naming the flag`, async () => {
      const started = startServer({ args: [flag, value] });
      await expect(started.then(async (s) => { await s.stop(); return 'started'; })).rejects.toThrow(flag);
    });
  }
});
