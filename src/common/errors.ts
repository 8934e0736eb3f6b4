/**
 * The one error catalogue. Every refusal the server makes has a code here; the HTTP layer maps
 * `status` in one place and the client maps `code` back to a typed error. Only `retriable` errors are
 * retried by the client, so a code is retriable only when the refusal changed nothing and the same
 * request may succeed a moment later without anyone acting: overload, shutdown, a timeout before the
 * body arrived, the network, an object store that is down for now. A storage fault (the index or a log cannot be written, the disk is
 * full) and a server bug (INTERNAL) are not: retrying them in a loop only hammers a server that
 * needs an operator.
 */
export const ERROR_CATALOG = {
  BAD_REQUEST: { status: 400, retriable: false },
  INVALID_JSON: { status: 400, retriable: false },
  INVALID_ARROW: { status: 400, retriable: false },
  UNSUPPORTED_CONTENT_TYPE: { status: 415, retriable: false },
  NOT_ACCEPTABLE: { status: 406, retriable: false },
  INVALID_NAME: { status: 400, retriable: false },
  INVALID_TABLE_DEFINITION: { status: 400, retriable: false },
  INVALID_PROPERTY: { status: 400, retriable: false },
  UNKNOWN_TYPE: { status: 400, retriable: false },
  DUPLICATE_COLUMN: { status: 400, retriable: false },
  UNKNOWN_COLUMN: { status: 400, retriable: false },
  INVALID_KEY: { status: 400, retriable: false },
  INVALID_BUCKETS: { status: 400, retriable: false },
  SCHEMA_MISMATCH: { status: 400, retriable: false },
  INVALID_VALUE: { status: 400, retriable: false },
  NULL_IN_NON_NULLABLE: { status: 400, retriable: false },
  MISSING_KEY: { status: 400, retriable: false },
  INVALID_PARAMETER: { status: 400, retriable: false },
  UNSUPPORTED_OPERATION: { status: 400, retriable: false },
  TOO_MANY_KEYS: { status: 400, retriable: false },
  TOO_MANY_ROWS: { status: 413, retriable: false },
  REQUEST_TOO_LARGE: { status: 413, retriable: false },
  URI_TOO_LONG: { status: 414, retriable: false },
  HEADERS_TOO_LARGE: { status: 431, retriable: false },
  REQUEST_TIMEOUT: { status: 408, retriable: true },
  OFFSET_OUT_OF_RANGE: { status: 416, retriable: false },
  DATABASE_NOT_FOUND: { status: 404, retriable: false },
  TABLE_NOT_FOUND: { status: 404, retriable: false },
  BUCKET_NOT_FOUND: { status: 404, retriable: false },
  ROUTE_NOT_FOUND: { status: 404, retriable: false },
  METHOD_NOT_ALLOWED: { status: 405, retriable: false },
  DATABASE_EXISTS: { status: 409, retriable: false },
  TABLE_EXISTS: { status: 409, retriable: false },
  DATABASE_NOT_EMPTY: { status: 409, retriable: false },
  OUT_OF_ORDER_SEQUENCE: { status: 409, retriable: false },
  UNAUTHENTICATED: { status: 401, retriable: false },
  FORBIDDEN: { status: 403, retriable: false },
  OVERLOADED: { status: 503, retriable: true },
  SHUTTING_DOWN: { status: 503, retriable: true },
  STORAGE_ERROR: { status: 503, retriable: false },
  INSUFFICIENT_STORAGE: { status: 507, retriable: false },
  /** The object store cannot be reached or is failing for now (network, 5xx, throttling): it passes. */
  LAKE_UNAVAILABLE: { status: 503, retriable: true },
  INTERNAL: { status: 500, retriable: false },
  NETWORK: { status: 0, retriable: true },
  TIMEOUT: { status: 0, retriable: true },
} as const satisfies Record<string, { status: number; retriable: boolean }>;

export type ErrorCode = keyof typeof ERROR_CATALOG;

export class LakestreamError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly retriable: boolean;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'LakestreamError';
    this.code = code;
    this.status = ERROR_CATALOG[code].status;
    this.retriable = ERROR_CATALOG[code].retriable;
    this.details = details;
  }

  toJSON(): { error: { code: ErrorCode; message: string } & Record<string, unknown> } {
    return { error: { code: this.code, message: this.message, ...(this.details ?? {}) } };
  }
}

export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.prototype.hasOwnProperty.call(ERROR_CATALOG, code);
}

/** Whether an error of the file system says the disk (or the user's quota) is full. */
export function isDiskFull(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}

/** Shorthand used at the boundaries where bad input enters. */
export function fail(code: ErrorCode, message: string, details?: Record<string, unknown>): never {
  throw new LakestreamError(code, message, details);
}
