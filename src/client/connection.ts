import { LakestreamError } from '../common/errors.js';
import { Admin } from './admin.js';
import { tableContext } from './context.js';
import type { FetchFn } from './http.js';
import { HttpClient, pathOf } from './http.js';
import type { RetryOptions } from './retry.js';
import { retryPolicy } from './retry.js';
import type { Closeable } from './context.js';
import { Table } from './table.js';
import { parseTableDescription } from './wire.js';

export interface ConnectOptions {
  /** Sent as `Authorization: Bearer <token>`. */
  readonly token?: string;
  /** Per attempt, for requests that do not long-poll (a long-poll adds its wait). Default 30 s. */
  readonly timeoutMs?: number;
  readonly retry?: RetryOptions;
  /** The fetch to use; default the global `fetch` (undici). For tests and custom dispatchers. */
  readonly fetch?: FetchFn;
}

export const DEFAULT_TIMEOUT_MS = 30_000;

/** A client's handle on one server. Cheap: no I/O until asked. */
export class Connection {
  readonly url: string;
  private readonly http: HttpClient;
  private readonly tables = new Map<string, Promise<Table>>();
  private readonly open = new Set<Closeable>();
  private closed = false;

  constructor(url: string, opts: ConnectOptions = {}) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new LakestreamError('INVALID_PARAMETER', `'${url}' is not a URL; expected e.g. http://127.0.0.1:9123`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new LakestreamError('INVALID_PARAMETER', `'${url}' must be an http:// or https:// URL`);
    }
    const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new LakestreamError('INVALID_PARAMETER', 'timeoutMs must be a positive number');
    this.url = parsed.origin + parsed.pathname.replace(/\/+$/, '');
    this.http = new HttpClient({
      baseUrl: this.url,
      token: opts.token,
      timeoutMs,
      retry: retryPolicy(opts.retry),
      fetch: opts.fetch ?? ((input, init) => fetch(input, init)),
    });
  }

  admin(): Admin {
    this.checkOpen();
    return new Admin(this.http, (db, table) => this.forget(db, table));
  }

  /** Opens a table: fetches its description once and caches it (until admin changes the table). */
  table(database: string, name: string): Promise<Table> {
    this.checkOpen();
    const key = `${database}\u0000${name}`;
    let t = this.tables.get(key);
    if (!t) {
      t = this.http
        .json({ method: 'GET', path: pathOf('databases', database, 'tables', name), idempotent: true })
        .then((body) => new Table(tableContext(this.http, database, name, parseTableDescription(body), (c) => this.track(c))));
      this.tables.set(key, t);
      t.catch(() => this.tables.delete(key));
    }
    return t;
  }

  /** True when the server answers `GET /v1/health` with `{"status":"ok"}`. */
  async health(): Promise<boolean> {
    const body = await this.http.json({ method: 'GET', path: pathOf('health'), idempotent: true });
    return typeof body === 'object' && body !== null && (body as { status?: unknown }).status === 'ok';
  }

  /** Flushes and closes every writer, drains lookupers, stops scanners. Rejects with the first failure. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const live = [...this.open];
    this.open.clear();
    this.tables.clear();
    const results = await Promise.allSettled(live.map(async (c) => c.close()));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  private checkOpen(): void {
    if (this.closed) throw new LakestreamError('UNSUPPORTED_OPERATION', 'the connection is closed');
  }

  /** Holds `c` until it closes itself (the returned function) or the connection closes it. */
  private track(c: Closeable): () => void {
    this.open.add(c);
    return () => {
      this.open.delete(c);
    };
  }

  private forget(database: string, table?: string): void {
    for (const key of this.tables.keys()) {
      const [db, t] = key.split('\u0000');
      if (db === database && (table === undefined || t === table)) this.tables.delete(key);
    }
  }
}

/** A connection to the server at `url` (e.g. `http://127.0.0.1:9123`). No I/O happens here. */
export function connect(url: string, opts: ConnectOptions = {}): Connection {
  return new Connection(url, opts);
}
