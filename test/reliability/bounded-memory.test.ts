/**
 * Memory under write load, on the real server: request bodies are admitted before they are read,
 * under one process-wide byte bound (--max-buffered-write-bytes), so many large concurrent writes
 * are answered 200 or 503 without the server holding all their bodies at once.
 */
import fs from 'node:fs';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchToIpc, rowsToBatch } from '../../src/common/arrow.js';
import type { Column } from '../../src/common/schema.js';
import { call, startServer, type Reply, type ServerProcess } from '../e2e/helpers.js';
import { until } from './support.js';

const MB = 1024 * 1024;
const BUFFERED_BYTES_MAX = 64 * MB;
/** What the server may grow by beyond the bound: fastify's copy of each admitted body, parsing, the log's write and V8's slack. */
const RSS_MARGIN_BYTES = 256 * MB;
const DB = '/v1/databases/mem';
const LOG = `${DB}/tables/blobs`;
const COLUMNS: Column[] = [{ name: 'id', type: 'int64', nullable: false }, { name: 'pad', type: 'string', nullable: true }];
const ROWS_PER_REQUEST = 64;
/** 64 rows of just under 256 KiB: an Arrow body of at most 16 MiB, four of which fill the bound exactly. */
const BODY = batchToIpc(rowsToBatch(COLUMNS, Array.from({ length: ROWS_PER_REQUEST }, (_, i) => ({ id: BigInt(i), pad: 'x'.repeat(256 * 1024 - 64) }))));

let server: ServerProcess;

beforeAll(async () => {
  server = await startServer({ args: ['--max-buffered-write-bytes', String(BUFFERED_BYTES_MAX)] });
  await call(server.url, 'PUT', DB);
  expect((await call(server.url, 'PUT', LOG, { columns: COLUMNS, buckets: 1 })).status).toBe(201);
});
afterAll(async () => {
  await server.stop();
});

function status(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const kb = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb) * 1024;
}

/** What the server says it holds of request bodies (lakestream_buffered_request_bytes). */
async function bufferedBytes(): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  return Number(/^lakestream_buffered_request_bytes (\d+)$/m.exec(text)?.[1]);
}

async function rowsInLog(): Promise<number> {
  return Number((await call(server.url, 'GET', `${LOG}/buckets/0`)).body.highWatermark);
}

interface RawReply {
  status: number;
  headers: Record<string, string>;
  body: any;
  /** Body bytes written before the answer came. */
  sentBytes: number;
}

/** The answer in `bytes` once it is whole (headers and content-length bytes of body), else undefined. */
function parseAnswer(bytes: Buffer): Omit<RawReply, 'sentBytes'> | undefined {
  const end = bytes.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const [statusLine, ...lines] = bytes.subarray(0, end).toString('latin1').split('\r\n');
  const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
  const length = Number(headers['content-length']);
  if (bytes.length - end - 4 < length) return undefined;
  return { status: Number(statusLine!.split(' ')[1]), headers, body: JSON.parse(bytes.subarray(end + 4, end + 4 + length).toString()) };
}

/**
 * POSTs `body` on its own connection in 256 KiB pieces, as a client that reads while it sends: it
 * stops sending at the first byte of the answer. A reset before the whole answer fails the call.
 * `sendBytesMax` stops sending early and leaves the upload hanging until `abandon` is called.
 */
function rawPost(urlPath: string, body: Uint8Array, sendBytesMax = body.length): { reply: Promise<RawReply>; abandon(): void } {
  const socket = net.connect(server.port, '127.0.0.1');
  const reply = new Promise<RawReply>((resolve, reject) => {
    let answer = Buffer.alloc(0);
    let sent = 0;
    socket.on('error', (e) => reject(new Error(`the connection failed after ${sent} body bytes, before the answer: ${e.message}`)));
    socket.on('close', () => reject(new Error(`the connection closed after ${sent} body bytes, before the answer`)));
    socket.on('data', (d) => {
      answer = Buffer.concat([answer, d]);
      const whole = parseAnswer(answer);
      if (!whole) return;
      resolve({ ...whole, sentBytes: sent });
      socket.destroy();
    });
    socket.write(`POST ${urlPath} HTTP/1.1\r\nhost: x\r\ncontent-type: application/vnd.apache.arrow.stream\r\ncontent-length: ${body.length}\r\n\r\n`);
    const pump = () => {
      if (answer.length > 0 || socket.destroyed || sent >= sendBytesMax) return;
      const piece = body.subarray(sent, Math.min(sent + 256 * 1024, sendBytesMax));
      sent += piece.length;
      socket.write(piece, pump);
    };
    pump();
  });
  return { reply, abandon: () => socket.destroy() };
}

/** A chunked body (no content-length): the 16 MiB body `times` over, from a stream, as fetch sends one. */
async function postChunked(times: number): Promise<Reply> {
  let sent = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent++ < times) controller.enqueue(BODY);
      else controller.close();
    },
  });
  const res = await fetch(server.url + `${LOG}/append`, {
    method: 'POST', body, headers: { 'content-type': 'application/vnd.apache.arrow.stream' }, duplex: 'half',
  } as RequestInit);
  return { status: res.status, body: await res.json(), headers: res.headers };
}

function expectOverloaded(r: { status: number; body: any }, retryAfter: string | null | undefined, connection: string | null | undefined): void {
  expect(r.status).toBe(503);
  expect(r.body.error.code).toBe('OVERLOADED');
  expect(r.body.error.message).toContain('--max-buffered-write-bytes');
  expect(Number(retryAfter)).toBeGreaterThan(0);
  expect(connection).toBe('close');
}

describe('bounded memory under write load', () => {
  it('64 concurrent 16 MiB appends: each is 200 or 503 with Retry-After before its body is sent, none half-applied, and RSS grows by less than the bound plus a margin', async () => {
    expect(BODY.length).toBeLessThanOrEqual(16 * MB);
    expect(BODY.length).toBeGreaterThan(16 * MB - 8192);
    expect((await call(server.url, 'POST', `${LOG}/append`, BODY)).status).toBe(200); // warm the path
    const pid = server.proc.pid!;
    const before = status(pid, 'VmRSS');
    fs.writeFileSync(`/proc/${pid}/clear_refs`, '5'); // VmHWM starts again from the current RSS
    const replies = await Promise.all(Array.from({ length: 64 }, () => rawPost(`${LOG}/append`, BODY).reply));
    const growth = status(pid, 'VmHWM') - before;
    const accepted = replies.filter((r) => r.status === 200);
    const refused = replies.filter((r) => r.status === 503);
    expect(accepted.length + refused.length).toBe(64);
    expect(accepted.length).toBeGreaterThan(0);
    expect(refused.length).toBeGreaterThan(0);
    for (const r of refused) {
      expectOverloaded(r, r.headers['retry-after'], r.headers.connection);
      expect(r.sentBytes).toBeLessThan(BODY.length); // answered while most of its body was unsent
    }
    expect(await rowsInLog()).toBe((1 + accepted.length) * ROWS_PER_REQUEST);
    console.log(`bounded-memory: ${accepted.length} accepted, ${refused.length} refused, RSS grew ${(growth / MB).toFixed(0)} MiB`);
    expect(growth).toBeLessThan(BUFFERED_BYTES_MAX + RSS_MARGIN_BYTES);
  });

  it('fetch sees the 503 while uploads hold the bound, not a reset; abandoned uploads give their bytes back', async () => {
    const rows = await rowsInLog();
    // Four bodies of a quarter of the bound each, their heads sent and their bodies hanging: the bound is full.
    const holders = Array.from({ length: 4 }, () => rawPost(`${LOG}/append`, BODY, 1024));
    await until('the four hanging uploads to hold the bound', async () => (await bufferedBytes()) === 4 * BODY.length);
    const refused = await fetch(server.url + `${LOG}/append`, { method: 'POST', body: BODY, headers: { 'content-type': 'application/vnd.apache.arrow.stream' } });
    expectOverloaded({ status: refused.status, body: await refused.json() }, refused.headers.get('retry-after'), refused.headers.get('connection'));
    for (const h of holders) {
      h.abandon();
      await expect(h.reply).rejects.toThrow('before the answer');
    }
    // The server gives their bytes back when it sees their connections close; then four whole bodies fit again.
    await until('the abandoned uploads to give their bytes back', async () => (await bufferedBytes()) === 0);
    const replies = await Promise.all(Array.from({ length: 4 }, () => rawPost(`${LOG}/append`, BODY).reply));
    expect(replies.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    expect(await rowsInLog()).toBe(rows + 4 * ROWS_PER_REQUEST);
    expect(await bufferedBytes()).toBe(0);
  });

  it('a chunked body is counted as it streams: one under the bound is written, one that passes it is refused and writes nothing', async () => {
    const rows = await rowsInLog();
    const small = await postChunked(1);
    expect(small.status).toBe(200);
    const big = await postChunked(5);
    expect(big.status).toBe(413);
    expect(big.body.error.code).toBe('REQUEST_TOO_LARGE');
    expect(big.body.error.message).toContain('--max-buffered-write-bytes');
    expect(await rowsInLog()).toBe(rows + ROWS_PER_REQUEST);
  });

  it('a chunked body that crosses the bound while others hold it is 503 OVERLOADED mid-stream, seen by fetch, and writes nothing', async () => {
    const rows = await rowsInLog();
    const holders = Array.from({ length: 3 }, () => rawPost(`${LOG}/append`, BODY, 1024));
    await until('three hanging uploads to hold three quarters of the bound', async () => (await bufferedBytes()) === 3 * BODY.length);
    const crossing = await postChunked(2);
    expectOverloaded(crossing, crossing.headers.get('retry-after'), crossing.headers.get('connection'));
    for (const h of holders) {
      h.abandon();
      await expect(h.reply).rejects.toThrow('before the answer');
    }
    await until('every byte to be given back', async () => (await bufferedBytes()) === 0);
    expect(await rowsInLog()).toBe(rows);
  });
});
