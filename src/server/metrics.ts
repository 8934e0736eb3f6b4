/**
 * Prometheus metrics (`GET /metrics`), one registry per server. Hot paths do a constant amount of
 * work per request, never per row: a labelled child is looked up in a Map once and then incremented
 * or observed. Gauges that describe state (high watermarks, tiering lag) are computed on scrape.
 * The same events feed `recent`, the 1 s ring of the web console's plots.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { RowCache } from '../kv/row-cache.js';
import { tieredOffsetOf } from '../lake/snapshot.js';
import type { TieringService } from '../tiering/tiering-service.js';
import { RecentMetrics } from './recent-metrics.js';
import type { TableRuntime, TableStore } from './table-store.js';

export const LATENCY_BUCKETS_S = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const FSYNC_BUCKETS_S = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
/** A route label for requests no route matched: the raw URL never becomes a label. */
const UNMATCHED_ROUTE = 'unmatched';

/** Memoises labelled children so the hot path is one Map lookup, not prom-client's label hashing. */
class Children<C> {
  private readonly map = new Map<string, C>();
  constructor(private readonly make: (labels: string[]) => C) {}
  get(...labels: string[]): C {
    const key = labels.join('\u0000');
    let c = this.map.get(key);
    if (c === undefined) this.map.set(key, (c = this.make(labels)));
    return c;
  }
}

type Inc = { inc(n?: number): void };
type Observe = { observe(v: number): void };

export interface TieringLag {
  /** Records between the tiered offset (or the local log start, if later) and the high watermark. */
  pendingRecords: bigint;
  /** Age of the oldest record not yet in the lake; 0 when nothing is pending. */
  lagMs: number;
}

/** How far a table's lake is behind its log, summed (records) and maxed (age) over buckets. */
export async function tieringLag(tiering: TieringService, table: TableRuntime, now: number): Promise<TieringLag> {
  const snapshot = await tiering.snapshot(table.tableId);
  let pendingRecords = 0n;
  let lagMs = 0;
  for (const [b, log] of table.logs.entries()) {
    const tiered = tieredOffsetOf(snapshot, b);
    const from = tiered > log.logStartOffset ? tiered : log.logStartOffset;
    const pending = log.highWatermark - from;
    if (pending <= 0n) continue;
    pendingRecords += pending;
    const first = await log.read(from, { maxBytes: 1 });
    if (first.length > 0) lagMs = Math.max(lagMs, now - first[0]!.commitTimestamp);
  }
  return { pendingRecords, lagMs };
}

export class ServerMetrics {
  readonly registry = new Registry();
  private readonly requests: Children<Inc>;
  private readonly latency: Children<Observe>;
  private readonly errors: Children<Inc>;
  private readonly appendedRows: Children<Inc>;
  private readonly appendedBytes: Children<Inc>;
  private readonly kvRows: Children<Inc>;
  private readonly lookups: Children<Inc>;
  private readonly lookupKeys: Children<Inc>;
  private readonly lookupLatency: Children<Observe>;
  private readonly fetchedBytes: Children<Inc>;
  private readonly fsync: Histogram;
  private readonly indexWrites: Histogram;
  private readonly indexKeys: Counter;
  /** The last 15 minutes in 1 s samples (`GET /v1/metrics/recent`); the server's timer calls `recent.sample`. */
  readonly recent = new RecentMetrics(Date.now());
  /** Set by `watch` once the table store exists (the store needs `observeFsync` first). */
  private tables: TableStore | undefined;

  constructor(tiering: TieringService, rowCache: RowCache) {
    const registers = [this.registry];
    const openTables = (): TableRuntime[] => this.tables?.all() ?? [];
    collectDefaultMetrics({ register: this.registry });

    const requests = new Counter({ name: 'lakestream_http_requests_total', help: 'HTTP requests by method, route pattern and status', labelNames: ['method', 'route', 'status'] as const, registers });
    const latency = new Histogram({ name: 'lakestream_http_request_duration_seconds', help: 'HTTP request latency by method, route pattern and status', labelNames: ['method', 'route', 'status'] as const, buckets: LATENCY_BUCKETS_S, registers });
    const errors = new Counter({ name: 'lakestream_errors_total', help: 'Refused or failed requests by error code', labelNames: ['code'] as const, registers });
    const appendedRows = new Counter({ name: 'lakestream_appended_rows_total', help: 'Rows appended to log tables', labelNames: ['table'] as const, registers });
    const appendedBytes = new Counter({ name: 'lakestream_appended_bytes_total', help: 'Request body bytes (content-length) of successful appends', labelNames: ['table'] as const, registers });
    const kvRows = new Counter({ name: 'lakestream_kv_written_rows_total', help: 'Rows upserted or deleted in primary-key tables', labelNames: ['table', 'operation'] as const, registers });
    const lookups = new Counter({ name: 'lakestream_lookups_total', help: 'Lookup requests by table and kind (lookup, prefix)', labelNames: ['table', 'kind'] as const, registers });
    const lookupKeys = new Counter({ name: 'lakestream_lookup_keys_total', help: 'Keys looked up by table and kind (lookup, prefix)', labelNames: ['table', 'kind'] as const, registers });
    const fetchedBytes = new Counter({ name: 'lakestream_fetched_bytes_total', help: 'Bytes of successful fetch responses (HTTP records bodies, Kafka record batches)', labelNames: ['table'] as const, registers });
    const lookupLatency = new Histogram({ name: 'lakestream_lookup_duration_seconds', help: 'Time to answer a lookup request, index work only', labelNames: ['table', 'kind'] as const, buckets: LATENCY_BUCKETS_S, registers });
    this.fsync = new Histogram({ name: 'lakestream_log_fsync_duration_seconds', help: 'Duration of one group commit (fdatasync of the covered segments, plus the directory when needed)', buckets: FSYNC_BUCKETS_S, registers });
    this.indexWrites = new Histogram({ name: 'lakestream_index_flush_duration_seconds', help: 'Memtable flushes (and replays) into LMDB on the index writer thread, from hand-off to commit', buckets: LATENCY_BUCKETS_S, registers });
    this.indexKeys = new Counter({ name: 'lakestream_index_flushed_keys_total', help: 'Key states written into LMDB by memtable flushes and replays', registers });

    this.requests = new Children((l) => requests.labels(...l));
    this.latency = new Children((l) => latency.labels(...l));
    this.errors = new Children((l) => errors.labels(...l));
    this.appendedRows = new Children((l) => appendedRows.labels(...l));
    this.appendedBytes = new Children((l) => appendedBytes.labels(...l));
    this.kvRows = new Children((l) => kvRows.labels(...l));
    this.lookups = new Children((l) => lookups.labels(...l));
    this.lookupKeys = new Children((l) => lookupKeys.labels(...l));
    this.lookupLatency = new Children((l) => lookupLatency.labels(...l));
    this.fetchedBytes = new Children((l) => fetchedBytes.labels(...l));

    const perBucket = (name: string, help: string, values: (t: TableRuntime) => readonly number[]) => new Gauge({
      name, help, labelNames: ['table', 'bucket'] as const, registers,
      collect() {
        this.reset();
        for (const t of openTables()) values(t).forEach((v, b) => this.labels(t.qualifiedName, String(b)).set(v));
      },
    });
    perBucket('lakestream_high_watermark', 'High watermark (first offset not yet visible) per table and bucket', (t) => t.logs.map((log) => Number(log.highWatermark)));
    perBucket('lakestream_index_memtable_bytes', 'Memory of a primary-key bucket\'s memtables not yet in LMDB (writers wait above twice --index-memtable-size)', (t) => (t.kv ?? []).map((kv) => kv.memtableBytes));
    this.rowCacheMetrics(rowCache, registers);
    const pending = new Gauge({ name: 'lakestream_tiering_pending_records', help: 'Records of lake-enabled tables not yet in a lake snapshot', labelNames: ['table'] as const, registers });
    new Gauge({
      name: 'lakestream_tiering_lag_seconds',
      help: 'Age of the oldest record of a lake-enabled table not yet in a lake snapshot (0 when caught up)',
      labelNames: ['table'] as const,
      registers,
      async collect() {
        this.reset();
        pending.reset();
        const now = Date.now();
        for (const t of openTables()) {
          if (!tiering.isEnabled(t.tableId)) continue;
          try {
            const lag = await tieringLag(tiering, t, now);
            this.labels(t.qualifiedName).set(lag.lagMs / 1000);
            pending.labels(t.qualifiedName).set(Number(lag.pendingRecords));
          } catch {
            // dropped while scraping, or the lake is unreachable: /v1/health reports the latter
          }
        }
      },
    });
  }

  /** The tables whose high watermarks and tiering lag are reported on scrape. */
  watch(tables: TableStore): void {
    this.tables = tables;
  }

  /** The row cache's counts, read on scrape. */
  private rowCacheMetrics(cache: RowCache, registers: Registry[]): void {
    const counted = (name: string, help: string, read: (c: RowCache) => number) => new Counter({
      name, help, registers,
      collect() {
        this.reset();
        this.inc(read(cache));
      },
    });
    const gauged = (name: string, help: string, read: (c: RowCache) => number) => new Gauge({
      name, help, registers,
      collect() {
        this.set(read(cache));
      },
    });
    counted('lakestream_index_row_cache_hits_total', 'Primary-key reads the row cache answered (LMDB not read)', (c) => c.hits);
    counted('lakestream_index_row_cache_misses_total', 'Primary-key reads the row cache could not answer', (c) => c.misses);
    gauged('lakestream_index_row_cache_entries', 'Keys the row cache answers for (rows and known-absent keys)', (c) => c.entries);
    gauged('lakestream_index_row_cache_bytes', 'Memory the row cache holds (--index-row-cache-size caps it)', (c) => c.allocatedBytes);
  }

  /** For `IndexWriter`'s `onWrite`. */
  readonly observeIndexWrite = (seconds: number, keys: number): void => {
    this.indexWrites.observe(seconds);
    this.indexKeys.inc(keys);
  };

  /** For `BucketLog`'s `onSync`. */
  readonly observeFsync = (seconds: number): void => {
    this.fsync.observe(seconds);
    this.recent.fsync(seconds);
  };

  request(req: FastifyRequest, reply: FastifyReply): void {
    const route = req.routeOptions.url ?? UNMATCHED_ROUTE;
    const status = String(reply.statusCode);
    this.requests.get(req.method, route, status).inc();
    this.latency.get(req.method, route, status).observe(reply.elapsedTime / 1000);
  }

  error(code: string): void {
    this.errors.get(code).inc();
    this.recent.error(code);
  }

  appended(table: string, rows: number, bytes: number): void {
    this.appendedRows.get(table).inc(rows);
    if (bytes > 0) this.appendedBytes.get(table).inc(bytes);
    this.recent.appended(rows);
  }

  kvWritten(table: string, operation: 'upsert' | 'delete', rows: number): void {
    this.kvRows.get(table, operation).inc(rows);
    this.recent.kvWritten(operation, rows);
  }

  lookup(table: string, kind: 'lookup' | 'prefix', keys: number, seconds: number): void {
    this.lookups.get(table, kind).inc();
    this.lookupKeys.get(table, kind).inc(keys);
    this.lookupLatency.get(table, kind).observe(seconds);
    this.recent.lookedUp(keys);
  }

  /** A fetch's response body, once sent (HTTP) or encoded (Kafka). */
  fetched(table: string, bytes: number): void {
    if (bytes <= 0) return;
    this.fetchedBytes.get(table).inc(bytes);
    this.recent.fetched(bytes);
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }

  /** Registers `GET /metrics` and the per-request hook. */
  install(app: FastifyInstance): void {
    app.addHook('onResponse', (req, reply, done) => {
      this.request(req, reply);
      done();
    });
    app.get('/metrics', async (_req, reply) => reply.type(this.registry.contentType).send(await this.render()));
  }
}

/** Content-length of a request, for byte counters; 0 when the client streamed without one. */
export function bodyBytes(headers: { 'content-length'?: string | undefined }): number {
  const n = Number(headers['content-length']);
  return Number.isSafeInteger(n) && n > 0 ? n : 0;
}
