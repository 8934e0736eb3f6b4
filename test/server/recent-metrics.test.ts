import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from '../../src/server/app.js';
import { resolveConfig } from '../../src/server/config.js';
import { RecentMetrics } from '../../src/server/recent-metrics.js';

describe('recent metrics: 1 s samples of the server tallies', () => {
  it('turns the tallies of each interval into rates per second and starts again', () => {
    const recent = new RecentMetrics(10_000);
    recent.appended(300);
    recent.appended(200);
    recent.kvWritten('upsert', 40);
    recent.kvWritten('delete', 4);
    recent.lookedUp(12);
    recent.fetched(2048);
    recent.fsync(0.002);
    recent.fsync(0.004);
    recent.error('FORBIDDEN');
    recent.sample(12_000); // a 2 s interval: a late timer halves the rates, it does not double them
    recent.sample(13_000);
    expect(recent.samples()).toEqual({
      time: [12_000, 13_000],
      series: {
        appendedRows: [250, 0], upsertedRows: [20, 0], deletedRows: [2, 0], lookupKeys: [6, 0], fetchedBytes: [1024, 0],
        errors: [0.5, 0], fsyncMs: [3, null], fsyncMsMax: [4, null],
      },
    });
    expect(recent.samples(12_000).time).toEqual([13_000]);
    expect(recent.errorsByCode()).toEqual([{ code: 'FORBIDDEN', count: 1, lastAt: 12_000 }]);
  });

  it('keeps 15 minutes at most, whatever the uptime', () => {
    const recent = new RecentMetrics(0, 900);
    for (let s = 1; s <= 2000; s++) {
      recent.appended(s);
      recent.sample(s * 1000);
    }
    const { time, series } = recent.samples();
    expect(time).toHaveLength(900);
    expect(time[0]).toBe(1_101_000);
    expect(series.appendedRows.at(-1)).toBe(2000);
  });
});

describe('GET /v1/metrics/recent', () => {
  let server: Server;
  let dataDir: string;
  const T = '/v1/databases/ring/tables';

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lakestream-ring-'));
    server = await createServer(resolveConfig({ dataDir, port: '0', logLevel: 'silent' }, {}));
    await server.app.inject({ method: 'PUT', url: '/v1/databases/ring' });
    await server.app.inject({ method: 'PUT', url: `${T}/events`, payload: { columns: [{ name: 'id', type: 'int64', nullable: false }], buckets: 2 } });
    await server.app.inject({ method: 'PUT', url: `${T}/users`, payload: { columns: [{ name: 'id', type: 'int64', nullable: false }, { name: 'name', type: 'string' }], primaryKey: ['id'] } });
  });
  afterAll(async () => {
    await server?.close();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('samples appends, upserts, lookups, fetched bytes and errors, and sums up every table', async () => {
    const recent = server.context.metrics.recent;
    const start = Date.now();
    recent.sample(start);
    expect((await server.app.inject({ method: 'POST', url: `${T}/events/append`, payload: [{ id: 1 }, { id: 2 }, { id: 3 }] })).statusCode).toBe(200);
    expect((await server.app.inject({ method: 'POST', url: `${T}/users/upsert`, payload: [{ id: 1, name: 'ann' }, { id: 2, name: 'bob' }] })).statusCode).toBe(200);
    expect((await server.app.inject({ method: 'POST', url: `${T}/users/lookup`, payload: { keys: [{ id: 1 }, { id: 9 }] } })).statusCode).toBe(200);
    const fetches = await Promise.all([0, 1].map((b) => server.app.inject({ method: 'GET', url: `${T}/events/buckets/${b}/records` })));
    const fetchedBytes = fetches.reduce((n, r) => n + Number(r.headers['content-length']), 0);
    expect(fetchedBytes).toBeGreaterThan(0);
    expect((await server.app.inject({ method: 'GET', url: `${T}/nope/buckets/0/records` })).statusCode).toBe(404);
    recent.sample(Date.now() + 1);
    const reply = await server.app.inject({ method: 'GET', url: `/v1/metrics/recent?since=${start}` });
    expect(reply.statusCode).toBe(200);
    const body = reply.json();
    expect(body.intervalMs).toBe(1000);
    // The server's own timer may have sampled in between: rate x interval, summed, is the count.
    const times: number[] = body.samples.time;
    const countOf = (series: string) => times.reduce((n, t, i) => n + body.samples[series][i] * (t - (i === 0 ? start : times[i - 1]!)) / 1000, 0);
    expect(countOf('appendedRows')).toBeCloseTo(3, 6);
    expect(countOf('upsertedRows')).toBeCloseTo(2, 6);
    expect(countOf('lookupKeys')).toBeCloseTo(2, 6);
    expect(countOf('fetchedBytes')).toBeCloseTo(fetchedBytes, 6);
    expect(countOf('errors')).toBeCloseTo(1, 6);
    expect(body.samples.fsyncMs.some((v: number | null) => v !== null && v > 0)).toBe(true);
    expect(body.errorsByCode).toEqual([{ code: 'TABLE_NOT_FOUND', count: 1, lastAt: expect.any(Number) }]);
    expect(body.tables).toEqual([
      { table: 'ring.events', kind: 'log', buckets: 2, records: '3', bytes: expect.any(Number), segments: 2, highWatermarks: [expect.any(String), expect.any(String)], tiering: null },
      { table: 'ring.users', kind: 'primary-key', buckets: 1, records: '2', bytes: expect.any(Number), segments: 1, highWatermarks: ['2'], tiering: null },
    ]);
    expect(body.tables[0].highWatermarks.map(Number).reduce((a: number, b: number) => a + b, 0)).toBe(3);
  });

  it('refuses a since that is not epoch milliseconds', async () => {
    const reply = await server.app.inject({ method: 'GET', url: '/v1/metrics/recent?since=soon' });
    expect(reply.statusCode).toBe(400);
    expect(reply.json().error.code).toBe('INVALID_PARAMETER');
  });
});
