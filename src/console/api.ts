/**
 * The console's one way to the server: the documented HTTP API, JSON only, with the session's
 * bearer token. A refusal becomes an ApiError carrying the error catalogue's code.
 */
export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly body: unknown) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Where the token lives: sessionStorage, so it ends with the tab and is never in a URL. */
const TOKEN_KEY = 'lakestream.token';

export class Api {
  /** Called on a 401: the token was revoked (an auth file reload) or is wrong. */
  onUnauthenticated: () => void = () => undefined;

  get token(): string | null {
    return sessionStorage.getItem(TOKEN_KEY);
  }

  set token(value: string | null) {
    if (value === null) sessionStorage.removeItem(TOKEN_KEY);
    else sessionStorage.setItem(TOKEN_KEY, value);
  }

  get<T>(path: string, signal?: AbortSignal): Promise<T> {
    return this.call<T>('GET', path, undefined, signal);
  }

  post<T>(path: string, body: unknown, signal?: AbortSignal): Promise<T> {
    return this.call<T>('POST', path, body, signal);
  }

  private async call<T>(method: string, path: string, body: unknown, signal: AbortSignal | undefined): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    const token = this.token;
    if (token !== null) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(path, { method, headers, cache: 'no-store', ...(body !== undefined ? { body: JSON.stringify(body) } : {}), ...(signal ? { signal } : {}) });
    const parsed: unknown = await res.json().catch(() => null);
    if (res.ok) return parsed as T;
    const error = (parsed as { error?: { code?: string; message?: string } } | null)?.error;
    if (res.status === 401) this.onUnauthenticated();
    throw new ApiError(res.status, error?.code ?? `HTTP_${res.status}`, error?.message ?? `${method} ${path}: HTTP ${res.status}`, parsed);
  }
}

/** API paths, with every name escaped. */
export const paths = {
  table: (db: string, table: string) => `/v1/databases/${encodeURIComponent(db)}/tables/${encodeURIComponent(table)}`,
  bucket: (db: string, table: string, bucket: number) => `${paths.table(db, table)}/buckets/${bucket}`,
  tables: (db: string) => `/v1/databases/${encodeURIComponent(db)}/tables`,
};
