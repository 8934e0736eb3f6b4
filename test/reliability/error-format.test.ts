/**
 * Refusals made before a route runs (bad percent-encoding, over-long path segments, malformed
 * request lines, oversized headers) must use the one error body every other refusal has,
 * `{"error":{"code","message"}}`, not Fastify's or Node's own shape: a client maps `error.code`.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startServer, type ServerProcess } from '../e2e/helpers.js';

let server: ServerProcess;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server.stop();
});

function raw(bytes: string): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(server.port, '127.0.0.1');
    let text = '';
    socket.on('data', (d) => { text += d.toString('latin1'); });
    socket.on('error', reject);
    socket.on('close', () => {
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
      const body = text.slice(text.indexOf('\r\n\r\n') + 4);
      try {
        resolve({ status, body: JSON.parse(body) });
      } catch {
        resolve({ status, body });
      }
    });
    socket.end(bytes, 'latin1');
  });
}

function expectOurShape(status: number, body: any, code: string): void {
  expect({ status, code: body?.error?.code, message: typeof body?.error?.message }).toEqual({ status, code, message: 'string' });
}

describe('refusals made before routing use the lakestream error body', () => {
  it('a path segment that is not valid percent-encoded UTF-8 is a 400 BAD_REQUEST', async () => {
    const r = await call(server.url, 'GET', '/v1/databases/%ED%A0%80/tables');
    expectOurShape(r.status, r.body, 'BAD_REQUEST');
  });

  it('a path parameter longer than the router allows is a 414 URI_TOO_LONG', async () => {
    const r = await call(server.url, 'GET', `/v1/databases/${'x'.repeat(300)}/tables`);
    expectOurShape(r.status, r.body, 'URI_TOO_LONG');
    expect(r.status).toBe(414);
  });

  it('a malformed request line is a 400 BAD_REQUEST', async () => {
    const r = await raw('GARBAGE / HTTP/1.1\r\n\r\n');
    expectOurShape(r.status, r.body, 'BAD_REQUEST');
  });

  it('headers above the size limit are a 431 in our shape', async () => {
    const r = await raw(`GET /v1/health HTTP/1.1\r\nhost: x\r\nx-big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(r.status).toBe(431);
    expect(typeof r.body?.error?.code).toBe('string');
  });

  it('and the refusals that reach the error handler already are (control)', async () => {
    const r = await call(server.url, 'GET', '/v1/databases/nope/tables/x/buckets/0/records?offset=-1');
    expect(r.status).toBeGreaterThanOrEqual(400);
    expect(typeof r.body.error.code).toBe('string');
  });
});
