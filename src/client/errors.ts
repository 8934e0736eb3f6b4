import type { ErrorCode } from '../common/errors.js';
import { isErrorCode, LakestreamError } from '../common/errors.js';

/**
 * Maps what the server (or the network) says back to a `LakestreamError` with the server's code, so
 * callers branch on `code` and the retry loop on `retriable`. Wire form of a refusal:
 *
 *   HTTP 4xx/5xx  {"error": {"code": "TABLE_NOT_FOUND", "message": "...", ...extra fields}}
 *   HTTP 503      may carry `Retry-After: <seconds>`
 *
 * Extra fields beside code/message (e.g. `earliest`/`latest` of OFFSET_OUT_OF_RANGE) land in
 * `details`, together with `httpStatus` and, when present, `retryAfterMs`.
 */

/** Longest server message kept, so a misbehaving proxy cannot blow up our error messages. */
const MESSAGE_CHARS_MAX = 2000;

/** The code to use when the body names no code we know, chosen from the HTTP status alone. */
export function codeForStatus(status: number): ErrorCode {
  switch (status) {
    case 400: return 'BAD_REQUEST';
    case 401: return 'UNAUTHENTICATED';
    case 403: return 'FORBIDDEN';
    case 404: return 'ROUTE_NOT_FOUND';
    case 405: return 'METHOD_NOT_ALLOWED';
    case 406: return 'NOT_ACCEPTABLE';
    case 413: return 'REQUEST_TOO_LARGE';
    case 415: return 'UNSUPPORTED_CONTENT_TYPE';
    case 416: return 'OFFSET_OUT_OF_RANGE';
    case 503: return 'OVERLOADED';
    case 507: return 'INSUFFICIENT_STORAGE';
    default: return 'INTERNAL';
  }
}

/** `Retry-After` is either delta-seconds or an HTTP date; returns milliseconds from `nowMs`, or undefined. */
export function parseRetryAfterMs(header: string | null | undefined, nowMs: number = Date.now()): number | undefined {
  if (header === null || header === undefined) return undefined;
  const text = header.trim();
  if (text === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const at = Date.parse(text);
  if (!Number.isFinite(at)) return undefined;
  return Math.max(0, at - nowMs);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Builds the error for a non-2xx reply from its status, its body (already parsed JSON, raw text, or
 * undefined) and its `Retry-After` header. A known code is kept; an unknown code becomes INTERNAL (the
 * server's code is kept in `details.serverCode`); a body without a code falls back to the status.
 */
export function errorFromResponse(status: number, body: unknown, retryAfter?: string | null): LakestreamError {
  let parsed = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body);
    } catch {
      parsed = body;
    }
  }
  const details: Record<string, unknown> = { httpStatus: status };
  const retryAfterMs = parseRetryAfterMs(retryAfter);
  if (retryAfterMs !== undefined) details.retryAfterMs = retryAfterMs;

  const err = isRecord(parsed) && isRecord(parsed.error) ? parsed.error : undefined;
  if (!err) {
    const text = typeof parsed === 'string' ? parsed.trim().slice(0, 200) : '';
    const message = `HTTP ${status}${text ? `: ${text}` : ' with no error body'}`;
    return new LakestreamError(codeForStatus(status), message, details);
  }
  const { code, message, ...extra } = err;
  Object.assign(details, extra);
  const text = typeof message === 'string' ? message.slice(0, MESSAGE_CHARS_MAX) : `HTTP ${status}`;
  if (isErrorCode(code)) return new LakestreamError(code, text, details);
  if (typeof code === 'string') details.serverCode = code.slice(0, 100);
  return new LakestreamError('INTERNAL', typeof code === 'string' ? `${code.slice(0, 100)}: ${text}` : text, details);
}

/** Socket-level error codes that mean the request never reached the server, so any request may be retried. */
const NOT_SENT_CAUSES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

function causeCode(e: unknown): string | undefined {
  let cur: unknown = e;
  for (let depth = 0; depth < 5 && isRecord(cur); depth++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * A failure below HTTP (refused, reset, DNS, TLS, body cut short) -> NETWORK, retriable.
 * `details.requestSent` is false when the socket error proves the server never saw the request.
 */
/** A request that got no HTTP reply; `server` (the base URL) is named so a wrong address shows. */
export function networkError(e: unknown, what: string, server?: string): LakestreamError {
  const code = causeCode(e);
  const reason = code ?? (e instanceof Error ? ((e.cause as Error | undefined)?.message ?? e.message) : String(e));
  return new LakestreamError('NETWORK', server ? `${what}: cannot reach the server at ${server} (${reason})` : `${what}: ${reason}`, {
    ...(code ? { cause: code } : {}),
    ...(server ? { server } : {}),
    requestSent: code === undefined ? true : !NOT_SENT_CAUSES.has(code),
  });
}

export function timeoutError(what: string, timeoutMs: number): LakestreamError {
  return new LakestreamError('TIMEOUT', `${what}: no reply within ${timeoutMs} ms`, { timeoutMs, requestSent: true });
}

/** Whether retrying could apply a non-idempotent request twice. */
export function mayHaveReachedServer(e: LakestreamError): boolean {
  if (e.code === 'NETWORK' || e.code === 'TIMEOUT') return e.details?.requestSent !== false;
  return false;
}
