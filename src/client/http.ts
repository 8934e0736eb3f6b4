import { LakestreamError } from '../common/errors.js';
import { errorFromResponse, mayHaveReachedServer, networkError, timeoutError } from './errors.js';
import type { RetryPolicy } from './retry.js';
import { withRetry } from './retry.js';

/**
 * The one place the client does I/O: Node's global `fetch` (undici), one timeout per attempt, the
 * bearer token, error mapping, and retries. Everything above it speaks in paths and bodies.
 */
export type FetchFn = (input: string, init: RequestInit) => Promise<Response>;

export const ARROW_STREAM = 'application/vnd.apache.arrow.stream';
export const JSON_TYPE = 'application/json';

export interface HttpClientOptions {
  readonly baseUrl: string;
  readonly token: string | undefined;
  readonly timeoutMs: number;
  readonly retry: RetryPolicy;
  readonly fetch: FetchFn;
}

export type QueryValue = string | number | bigint | boolean | undefined;

export interface RequestSpec {
  readonly method: 'GET' | 'PUT' | 'POST' | 'DELETE';
  /** Path below the base URL, segments already encoded (see `pathOf`). */
  readonly path: string;
  readonly query?: Readonly<Record<string, QueryValue>>;
  readonly body?: Uint8Array | string;
  readonly contentType?: string;
  readonly accept?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * Whether sending twice is harmless. When false, a failure that may have reached the server
   * (reset, timeout) is not retried; failures the server answered (503) and refused connections are.
   */
  readonly idempotent: boolean;
  /** Added to the connection's timeout, e.g. the long-poll wait of a fetch. */
  readonly extraTimeoutMs?: number;
  readonly signal?: AbortSignal;
}

export interface HttpReply {
  readonly status: number;
  readonly headers: Headers;
  readonly bytes: Uint8Array;
}

/** `/v1/databases/a/tables/b` from raw segments, each percent-encoded. */
export function pathOf(...segments: (string | number)[]): string {
  return '/v1/' + segments.map((s) => encodeURIComponent(String(s))).join('/');
}

export function queryString(query: Readonly<Record<string, QueryValue>> | undefined): string {
  if (!query) return '';
  const parts: string[] = [];
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined) continue;
    parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`);
  }
  return parts.length ? `?${parts.join('&')}` : '';
}

/** Thrown (never retried) when the caller's own signal aborted the request. */
export class RequestAbortedError extends Error {
  constructor(what: string) {
    super(`${what}: aborted`);
    this.name = 'AbortError';
  }
}

const decoder = new TextDecoder();

export class HttpClient {
  readonly baseUrl: string;
  private readonly opts: HttpClientOptions;

  constructor(opts: HttpClientOptions) {
    this.opts = opts;
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
  }

  /** Sends with retries; resolves with a 2xx reply, rejects with a `LakestreamError` (or `RequestAbortedError`). */
  send(spec: RequestSpec): Promise<HttpReply> {
    return withRetry((_n) => this.once(spec), this.opts.retry, {
      ...(spec.signal ? { signal: spec.signal } : {}),
      canRetry: (e) => spec.idempotent || !mayHaveReachedServer(e),
    });
  }

  /** Sends and parses a JSON reply; an empty body yields `undefined`. */
  async json(spec: RequestSpec): Promise<unknown> {
    const reply = await this.send({ accept: JSON_TYPE, ...spec });
    return parseJsonBody(reply, `${spec.method} ${spec.path}`);
  }

  /** One attempt, no retry. */
  async once(spec: RequestSpec): Promise<HttpReply> {
    const what = `${spec.method} ${spec.path}`;
    const url = this.baseUrl + spec.path + queryString(spec.query);
    const headers: Record<string, string> = { ...(spec.headers ?? {}) };
    if (spec.accept) headers.accept = spec.accept;
    if (spec.contentType) headers['content-type'] = spec.contentType;
    if (this.opts.token) headers.authorization = `Bearer ${this.opts.token}`;
    const timeoutMs = this.opts.timeoutMs + (spec.extraTimeoutMs ?? 0);

    if (spec.signal?.aborted) throw new RequestAbortedError(what);
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    const onAbort = (): void => controller.abort();
    spec.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      let res: Response;
      let bytes: Uint8Array;
      try {
        res = await this.opts.fetch(url, {
          method: spec.method,
          headers,
          ...(spec.body !== undefined ? { body: spec.body } : {}),
          signal: controller.signal,
        });
        bytes = new Uint8Array(await res.arrayBuffer());
      } catch (e) {
        if (spec.signal?.aborted) throw new RequestAbortedError(what);
        if (timedOut) throw timeoutError(what, timeoutMs);
        throw networkError(e, what, this.baseUrl);
      }
      if (res.status < 200 || res.status > 299) {
        const text = bytes.length > 0 ? decoder.decode(bytes) : undefined;
        throw errorFromResponse(res.status, text, res.headers.get('retry-after'));
      }
      return { status: res.status, headers: res.headers, bytes };
    } finally {
      clearTimeout(timer);
      spec.signal?.removeEventListener('abort', onAbort);
    }
  }
}

export function parseJsonBody(reply: HttpReply, what: string): unknown {
  if (reply.bytes.length === 0) return undefined;
  const text = decoder.decode(reply.bytes);
  try {
    return JSON.parse(text);
  } catch {
    throw new LakestreamError('INTERNAL', `${what}: the server replied with a body that is not JSON: ${text.slice(0, 200)}`);
  }
}
