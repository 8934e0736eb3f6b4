import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startServer, type ServerProcess } from './helpers.js';

let server: ServerProcess;
const T = '/v1/databases/obs/tables';

/** `name{labels} value` lines of the Prometheus text format, keyed by everything before the value. */
async function scrape(): Promise<{ text: string; series: Map<string, number>; contentType: string }> {
  const res = await fetch(`${server.url}/metrics`);
  expect(res.status).toBe(200);
  const text = await res.text();
  const series = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    series.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return { text, series, contentType: res.headers.get('content-type') ?? '' };
}

function sumOf(series: Map<string, number>, prefix: string): number {
  let n = 0;
  for (const [k, v] of series) if (k.startsWith(prefix)) n += v;
  return n;
}

const APPENDS = 7;
const ROWS_PER_APPEND = 30;
const LOOKUPS = 4;

beforeAll(async () => {
  server = await startServer();
  await call(server.url, 'PUT', '/v1/databases/obs');
  await call(server.url, 'PUT', `${T}/events`, {
    columns: [{ name: 'id', type: 'int64', nullable: false }, { name: 'kind', type: 'string' }], buckets: 3, bucketKey: ['id'],
  });
  await call(server.url, 'PUT', `${T}/users`, {
    columns: [{ name: 'id', type: 'int64', nullable: false }, { name: 'name', type: 'string' }], primaryKey: ['id'],
    properties: { 'table.datalake.enabled': 'true', 'table.datalake.freshness': '1h' },
  });
  for (let a = 0; a < APPENDS; a++) {
    const rows = Array.from({ length: ROWS_PER_APPEND }, (_, i) => ({ id: a * ROWS_PER_APPEND + i, kind: 'click' }));
    expect((await call(server.url, 'POST', `${T}/events/append`, rows)).status).toBe(200);
  }
  await call(server.url, 'POST', `${T}/users/upsert`, [{ id: 1, name: 'ann' }, { id: 2, name: 'bob' }, { id: 3, name: 'cy' }]);
  await call(server.url, 'POST', `${T}/users/delete`, [{ id: 3 }]);
  for (let i = 0; i < LOOKUPS; i++) {
    expect((await call(server.url, 'POST', `${T}/users/lookup`, { keys: [{ id: 1 }, { id: 2 }, { id: 9 }] })).status).toBe(200);
  }
  expect((await call(server.url, 'GET', `${T}/missing/buckets/0/records`)).status).toBe(404);
  expect((await call(server.url, 'GET', `${T}/events/buckets/7/records`)).status).toBe(404);
});
afterAll(async () => {
  await server.stop();
});

describe('metrics: GET /metrics in the Prometheus text format', () => {
  it('counts appended rows and bytes per table, equal to what was appended', async () => {
    const { series, contentType } = await scrape();
    expect(contentType).toContain('text/plain');
    expect(series.get('lakestream_appended_rows_total{table="obs.events"}')).toBe(APPENDS * ROWS_PER_APPEND);
    expect(series.get('lakestream_appended_bytes_total{table="obs.events"}')).toBeGreaterThan(APPENDS * ROWS_PER_APPEND * 10);
    expect(series.get('lakestream_kv_written_rows_total{table="obs.users",operation="upsert"}')).toBe(3);
    expect(series.get('lakestream_kv_written_rows_total{table="obs.users",operation="delete"}')).toBe(1);
  });

  it('reports high watermarks per table and bucket, summing to the rows appended', async () => {
    const { series } = await scrape();
    const buckets = [0, 1, 2].map((b) => series.get(`lakestream_high_watermark{table="obs.events",bucket="${b}"}`));
    expect(buckets.every((v) => v !== undefined && v > 0)).toBe(true);
    expect(buckets.reduce((a, b) => a! + b!, 0)).toBe(APPENDS * ROWS_PER_APPEND);
    // The changelog of the primary-key table: +I +I +I, then -D.
    expect(series.get('lakestream_high_watermark{table="obs.users",bucket="0"}')).toBe(4);
  });

  it('counts requests and latency by route pattern and status, never by raw URL', async () => {
    const { text, series } = await scrape();
    const append = 'method="POST",route="/v1/databases/:db/tables/:table/append",status="200"';
    expect(series.get(`lakestream_http_requests_total{${append}}`)).toBe(APPENDS);
    expect(series.get(`lakestream_http_request_duration_seconds_count{${append}}`)).toBe(APPENDS);
    expect(series.get(`lakestream_http_request_duration_seconds_sum{${append}}`)).toBeGreaterThan(0);
    expect(series.get(`lakestream_http_request_duration_seconds_bucket{le="+Inf",${append}}`)).toBe(APPENDS);
    expect(series.get('lakestream_http_requests_total{method="GET",route="/v1/databases/:db/tables/:table/buckets/:bucket/records",status="404"}')).toBe(2);
    expect(text).not.toContain('/obs/');
    expect(text).not.toContain('missing');
  });

  it('counts lookups, their keys and latency', async () => {
    const { series } = await scrape();
    expect(series.get('lakestream_lookups_total{table="obs.users",kind="lookup"}')).toBe(LOOKUPS);
    expect(series.get('lakestream_lookup_keys_total{table="obs.users",kind="lookup"}')).toBe(LOOKUPS * 3);
    expect(series.get('lakestream_lookup_duration_seconds_count{table="obs.users",kind="lookup"}')).toBe(LOOKUPS);
  });

  it('reports the row cache in front of LMDB', async () => {
    const { series } = await scrape();
    // The upserts of new keys asked the cache, then LMDB, for an old row.
    expect(series.get('lakestream_index_row_cache_misses_total')).toBeGreaterThanOrEqual(3);
    expect(series.get('lakestream_index_row_cache_hits_total')).toBeGreaterThanOrEqual(0);
    expect(series.get('lakestream_index_row_cache_entries')).toBeGreaterThanOrEqual(0);
    expect(series.get('lakestream_index_row_cache_bytes')).toBeGreaterThanOrEqual(0);
  });

  it('reports the index writer thread and the memtables', async () => {
    // Reading a bucket's rows flushes its memtable into LMDB first.
    expect((await call(server.url, 'GET', `${T}/users/buckets/0/rows`)).status).toBe(200);
    const { series } = await scrape();
    expect(series.get('lakestream_index_flush_duration_seconds_count')).toBeGreaterThanOrEqual(1);
    expect(series.get('lakestream_index_flush_duration_seconds_sum')).toBeGreaterThan(0);
    // ids 1 and 2, and the deletion of 3.
    expect(series.get('lakestream_index_flushed_keys_total')).toBeGreaterThanOrEqual(3);
    expect(series.get('lakestream_index_memtable_bytes{table="obs.users",bucket="0"}')).toBeGreaterThanOrEqual(0);
    expect(series.has('lakestream_index_memtable_bytes{table="obs.events",bucket="0"}')).toBe(false);
  });

  it('measures fsync latency with a histogram', async () => {
    const { series } = await scrape();
    const count = series.get('lakestream_log_fsync_duration_seconds_count')!;
    // One group commit at least per write request (they were sequential), maybe more (directory syncs share a round).
    expect(count).toBeGreaterThanOrEqual(APPENDS + 2);
    expect(series.get('lakestream_log_fsync_duration_seconds_sum')).toBeGreaterThan(0);
    expect(series.get('lakestream_log_fsync_duration_seconds_bucket{le="+Inf"}')).toBe(count);
  });

  it('counts errors by code', async () => {
    const { series } = await scrape();
    expect(series.get('lakestream_errors_total{code="TABLE_NOT_FOUND"}')).toBe(1);
    expect(series.get('lakestream_errors_total{code="BUCKET_NOT_FOUND"}')).toBe(1);
  });

  it('reports tiering lag of lake-enabled tables only', async () => {
    const { series } = await scrape();
    expect(series.get('lakestream_tiering_pending_records{table="obs.users"}')).toBe(4);
    expect(series.get('lakestream_tiering_lag_seconds{table="obs.users"}')).toBeGreaterThan(0);
    expect(series.has('lakestream_tiering_pending_records{table="obs.events"}')).toBe(false);
  });

  it('includes process memory and the default Node metrics', async () => {
    const { series } = await scrape();
    expect(series.get('process_resident_memory_bytes')).toBeGreaterThan(10 * 1024 * 1024);
    expect(series.get('nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
    expect([...series.keys()].some((k) => k.startsWith('nodejs_eventloop_lag_seconds'))).toBe(true);
  });

  it('drops the high watermark series of a dropped table', async () => {
    await call(server.url, 'DELETE', `${T}/events`);
    const { series } = await scrape();
    expect(sumOf(series, 'lakestream_high_watermark{table="obs.events"')).toBe(0);
    expect(series.has('lakestream_high_watermark{table="obs.users",bucket="0"}')).toBe(true);
  });
});
