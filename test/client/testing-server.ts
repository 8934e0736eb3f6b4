import * as A from 'apache-arrow';
import { arrowSchema, batchFromData, batchRows, batchToIpc, CHANGE_TYPE_FIELD, COMMIT_TIMESTAMP_FIELD, ipcToBatches, LOG_OFFSET_FIELD, rowsToBatch } from '../../src/common/arrow.js';
import { rowFromJson, rowToJson } from '../../src/common/json-values.js';
import type { Column } from '../../src/common/schema.js';
import type { ChangeType, Row } from '../../src/common/values.js';
import type { FetchFn } from '../../src/client/http.js';

/**
 * An in-memory stand-in for the server's HTTP API, served through an injected `fetch`: enough of the
 * wire contract (one database, single-bucket tables) to unit-test the client's wiring without sockets.
 */
export interface TestingTable {
  readonly name: string;
  readonly columns: Column[];
  readonly primaryKey: string[];
  readonly log: { row: Row; ts: number; changeType: ChangeType }[];
  readonly kv: Map<string, Row>;
  readonly seen: Map<string, unknown>;
}

export interface SeenRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: Headers;
  readonly body: Uint8Array;
}

type Injected = { status: number; body: unknown; headers?: Record<string, string> };

export class TestingServer {
  readonly tables = new Map<string, TestingTable>();
  readonly requests: SeenRequest[] = [];
  private readonly failures: Injected[] = [];
  private waiters: (() => void)[] = [];

  addTable(name: string, columns: Column[], primaryKey: string[] = []): TestingTable {
    const t: TestingTable = { name, columns, primaryKey, log: [], kv: new Map(), seen: new Map() };
    this.tables.set(name, t);
    return t;
  }

  private losingReplies = 0;

  /** The next request is carried out but its reply is lost, as when a connection resets. */
  loseNextReply(): void {
    this.losingReplies++;
  }

  /** The next `n` requests (health included) fail with this reply. */
  failNext(n: number, reply: Injected): void {
    for (let i = 0; i < n; i++) this.failures.push(reply);
  }

  appendRows(table: string, rows: Row[], changeType: ChangeType = '+A'): void {
    const t = this.tables.get(table)!;
    for (const row of rows) t.log.push({ row, ts: 1_000 + t.log.length, changeType });
    this.wake();
  }

  readonly fetch: FetchFn = async (input, init) => {
    const url = new URL(input);
    const body = init.body === undefined ? new Uint8Array(0) : typeof init.body === 'string' ? new TextEncoder().encode(init.body) : new Uint8Array(init.body as Uint8Array);
    const headers = new Headers(init.headers as Record<string, string>);
    this.requests.push({ method: init.method ?? 'GET', path: url.pathname, query: url.searchParams, headers, body });
    const injected = this.failures.shift();
    if (injected) return json(injected.status, injected.body, injected.headers);
    if (this.losingReplies > 0) {
      this.losingReplies--;
      await this.route(init.method ?? 'GET', url, headers, body, init.signal ?? undefined);
      throw new TypeError('fetch failed', { cause: Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }) });
    }
    try {
      return await this.route(init.method ?? 'GET', url, headers, body, init.signal ?? undefined);
    } catch (e) {
      return json(400, { error: { code: (e as { code?: string }).code ?? 'BAD_REQUEST', message: (e as Error).message } });
    }
  };

  private wake(): void {
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) w();
  }

  private async route(method: string, url: URL, headers: Headers, body: Uint8Array, signal: AbortSignal | undefined): Promise<Response> {
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    if (parts[1] === 'health') return json(200, { status: 'ok' });
    const t = this.tables.get(parts[4] ?? '');
    if (parts[2] === 'db' && !t) return json(404, { error: { code: 'TABLE_NOT_FOUND', message: `table db.${parts[4]} does not exist` } });
    if (!t) return json(404, { error: { code: 'ROUTE_NOT_FOUND', message: url.pathname } });
    const op = parts[5];
    if (method === 'GET' && op === undefined) {
      return json(200, { database: 'db', name: t.name, kind: t.primaryKey.length ? 'primary-key' : 'log', columns: t.columns, primaryKey: t.primaryKey, buckets: 1, bucketKey: t.primaryKey, properties: {}, tableId: 1, createdAt: 0 });
    }
    if (method === 'POST' && (op === 'append' || op === 'upsert' || op === 'delete')) {
      const pair = `${headers.get('x-writer-id')}/${headers.get('x-batch-sequence')}`;
      if (headers.has('x-writer-id') && t.seen.has(pair)) return json(200, t.seen.get(pair));
      const rows = headers.get('content-type') === 'application/vnd.apache.arrow.stream'
        ? ipcToBatches(body).batches.flatMap((b) => batchRows(b))
        : (JSON.parse(new TextDecoder().decode(body)) as unknown[]).map((o, i) => {
          const only = op === 'delete' ? t.primaryKey : url.searchParams.get('columns')?.split(',');
          return rowFromJson(t.columns, o, i, only ? { only } : {});
        });
      const base = t.log.length;
      for (const row of rows) {
        const key = t.primaryKey.map((k) => String(row[k])).join('|');
        if (op === 'delete') t.kv.delete(key);
        else if (op === 'upsert') t.kv.set(key, { ...(t.kv.get(key) ?? {}), ...row });
        t.log.push({ row, ts: 1_000 + t.log.length, changeType: op === 'append' ? '+A' : op === 'delete' ? '-D' : '+U' });
      }
      const reply = { rows: rows.length, buckets: [{ bucket: 0, baseOffset: String(base), rows: rows.length }] };
      if (headers.has('x-writer-id')) t.seen.set(pair, reply);
      this.wake();
      return json(200, reply);
    }
    if (method === 'POST' && op === 'lookup') {
      const keyColumns = t.columns.filter((x) => t.primaryKey.includes(x.name));
      const keys = headers.get('content-type') === ARROW_STREAM
        ? ipcToBatches(body).batches.flatMap((b) => batchRows(b))
        : (JSON.parse(new TextDecoder().decode(body)) as { keys: Record<string, unknown>[] }).keys.map((k) => rowFromJson(keyColumns, k, 0));
      if (keys.length > 10_000) return json(400, { error: { code: 'TOO_MANY_KEYS', message: 'too many' } });
      const rows = keys.map((k) => t.kv.get(t.primaryKey.map((c) => String(k[c])).join('|')) ?? null);
      if (headers.get('accept') === ARROW_STREAM) {
        return new Response(lookupReplyIpc(t.columns, rows), { status: 200, headers: { 'content-type': ARROW_STREAM } });
      }
      return json(200, { rows: rows.map((row) => (row ? rowToJson(t.columns, row) : null)) });
    }
    if (method === 'POST' && op === 'prefix-lookup') {
      const { prefixes } = JSON.parse(new TextDecoder().decode(body)) as { prefixes: Record<string, unknown>[] };
      const rows = prefixes.map((p) => [...t.kv.values()]
        .filter((r) => Object.entries(p).every(([k, v]) => String(r[k]) === String(v)))
        .map((r) => rowToJson(t.columns, r)));
      return json(200, { rows });
    }
    if (method === 'GET' && op === 'buckets' && parts[7] === 'offsets') {
      const at = url.searchParams.get('at');
      return json(200, { offset: String(at === 'earliest' ? 0 : t.log.length) });
    }
    if (method === 'GET' && op === 'buckets' && parts[7] === 'rows') {
      const limit = Number(url.searchParams.get('limit') ?? 1000);
      const after = Number(url.searchParams.get('after') ?? 0);
      const all = [...t.kv.values()];
      const page = all.slice(after, after + limit);
      const next = after + limit < all.length ? String(after + limit) : null;
      return json(200, { rows: page.map((r) => rowToJson(t.columns, r)), cursor: next, logOffset: String(t.log.length) });
    }
    if (method === 'GET' && op === 'buckets' && parts[7] === 'records') {
      const offset = Number(url.searchParams.get('offset'));
      const maxRecords = Number(url.searchParams.get('maxRecords') ?? 1000);
      const waitMs = Number(url.searchParams.get('waitMs') ?? 0);
      if (offset > t.log.length) return json(416, { error: { code: 'OFFSET_OUT_OF_RANGE', message: 'ahead', earliest: '0', latest: String(t.log.length) } });
      if (offset === t.log.length && waitMs > 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, waitMs);
          this.waiters.push(() => { clearTimeout(timer); resolve(); });
          signal?.addEventListener('abort', () => { clearTimeout(timer); resolve(); });
        });
      }
      const slice = t.log.slice(offset, offset + maxRecords);
      const next = String(offset + slice.length);
      const hwm = String(t.log.length);
      if (headers.get('accept') === 'application/vnd.apache.arrow.stream') {
        const user = rowsToBatch(t.columns, slice.map((e) => e.row));
        const schema = arrowSchema(t.columns, [LOG_OFFSET_FIELD, COMMIT_TIMESTAMP_FIELD, CHANGE_TYPE_FIELD]);
        const sys = (type: A.DataType, vs: unknown[]): A.Data => {
          const b = A.makeBuilder({ type, nullValues: [null] });
          for (const v of vs) b.append(v as never);
          return b.finish().flush() as A.Data;
        };
        const batch = batchFromData(schema, slice.length, [
          ...user.data.children,
          sys(new A.Int64(), slice.map((_, i) => BigInt(offset + i))),
          sys(new A.TimestampMillisecond('UTC'), slice.map((e) => e.ts)),
          sys(new A.Utf8(), slice.map((e) => e.changeType)),
        ] as A.Data[]);
        return new Response(batchToIpc(batch), { status: 200, headers: { 'content-type': 'application/vnd.apache.arrow.stream', 'x-next-offset': next, 'x-high-watermark': hwm } });
      }
      const records = slice.map((e, i) => ({ ...rowToJson(t.columns, e.row), _log_offset: offset + i, _commit_timestamp: e.ts, _change_type: e.changeType }));
      return json(200, { records, nextOffset: next, highWatermark: hwm });
    }
    return json(404, { error: { code: 'ROUTE_NOT_FOUND', message: `${method} ${url.pathname}` } });
  }
}

const ARROW_STREAM = 'application/vnd.apache.arrow.stream';

/** The server's Arrow lookup reply: the columns, all nullable, then a non-null `__found`; row i answers key i. */
function lookupReplyIpc(columns: readonly Column[], rows: readonly (Row | null)[]): Uint8Array {
  const values = rowsToBatch(columns.map((c) => ({ ...c, nullable: true })), rows.map((r) => r ?? {}));
  const found = A.vectorFromArray(rows.map((r) => r !== null), new A.Bool()).data[0]!;
  const schema = new A.Schema([...values.schema.fields, new A.Field('__found', new A.Bool(), false)]);
  return batchToIpc(batchFromData(schema, rows.length, [...values.data.children, found]));
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
}
