import { describe, expect, it } from 'vitest';
import { LakestreamError } from '../../src/common/errors.js';
import { codeForStatus, errorFromResponse, mayHaveReachedServer, networkError, parseRetryAfterMs, timeoutError } from '../../src/client/errors.js';

describe('client errors', () => {
  it('maps an error body to a LakestreamError with the server code and message', () => {
    const e = errorFromResponse(404, '{"error":{"code":"TABLE_NOT_FOUND","message":"table bars.events does not exist"}}');
    expect(e).toBeInstanceOf(LakestreamError);
    expect(e.code).toBe('TABLE_NOT_FOUND');
    expect(e.message).toBe('table bars.events does not exist');
    expect(e.retriable).toBe(false);
    expect(e.details?.httpStatus).toBe(404);
  });

  it('keeps extra fields beside code and message in details (earliest/latest of OFFSET_OUT_OF_RANGE)', () => {
    const e = errorFromResponse(416, { error: { code: 'OFFSET_OUT_OF_RANGE', message: 'offset 3 < 10', earliest: '10', latest: '42' } });
    expect(e.code).toBe('OFFSET_OUT_OF_RANGE');
    expect(e.details).toMatchObject({ earliest: '10', latest: '42', httpStatus: 416 });
  });

  it('maps an unknown code to INTERNAL and keeps the server code', () => {
    const e = errorFromResponse(400, { error: { code: 'SOMETHING_NEW', message: 'hm' } });
    expect(e.code).toBe('INTERNAL');
    expect(e.details?.serverCode).toBe('SOMETHING_NEW');
    expect(e.message).toContain('SOMETHING_NEW');
  });

  it('falls back to the HTTP status when the body is not an error object', () => {
    expect(errorFromResponse(503, '<html>busy</html>').code).toBe('OVERLOADED');
    expect(errorFromResponse(502, undefined).code).toBe('INTERNAL');
    expect(errorFromResponse(401, '').code).toBe('UNAUTHENTICATED');
    expect(errorFromResponse(413, '{"oops":1}').code).toBe('REQUEST_TOO_LARGE');
    expect(codeForStatus(418)).toBe('INTERNAL');
  });

  it('keeps a 503 STORAGE_ERROR, a 507 and a 500 not retriable; a bodyless 507 is INSUFFICIENT_STORAGE', () => {
    const storage = errorFromResponse(503, { error: { code: 'STORAGE_ERROR', message: 'index failed' } });
    expect([storage.code, storage.retriable]).toEqual(['STORAGE_ERROR', false]);
    const full = errorFromResponse(507, { error: { code: 'INSUFFICIENT_STORAGE', message: 'disk full' } });
    expect([full.code, full.status, full.retriable]).toEqual(['INSUFFICIENT_STORAGE', 507, false]);
    expect(errorFromResponse(507, undefined).code).toBe('INSUFFICIENT_STORAGE');
    expect(errorFromResponse(500, undefined).retriable).toBe(false);
  });

  it('marks 503 OVERLOADED retriable and carries Retry-After in ms', () => {
    const e = errorFromResponse(503, { error: { code: 'OVERLOADED', message: 'busy' } }, '2');
    expect(e.retriable).toBe(true);
    expect(e.details?.retryAfterMs).toBe(2000);
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    expect(parseRetryAfterMs('0')).toBe(0);
    expect(parseRetryAfterMs('1.5')).toBe(1500);
    expect(parseRetryAfterMs(new Date(10_000).toUTCString(), 7_000)).toBe(3000);
    expect(parseRetryAfterMs(new Date(1_000).toUTCString(), 7_000)).toBe(0);
    expect(parseRetryAfterMs('soon')).toBeUndefined();
    expect(parseRetryAfterMs(null)).toBeUndefined();
  });

  it('maps a refused connection to NETWORK, retriable, and knows the request was not sent', () => {
    const cause = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    const e = networkError(new TypeError('fetch failed', { cause }), 'GET /v1/health');
    expect(e.code).toBe('NETWORK');
    expect(e.retriable).toBe(true);
    expect(e.details?.requestSent).toBe(false);
    expect(mayHaveReachedServer(e)).toBe(false);
    const named = networkError(new TypeError('fetch failed', { cause }), 'GET /v1/health', 'http://127.0.0.1:1');
    expect(named.message).toBe('GET /v1/health: cannot reach the server at http://127.0.0.1:1 (ECONNREFUSED)');
    expect(named.details).toMatchObject({ server: 'http://127.0.0.1:1', cause: 'ECONNREFUSED' });
  });

  it('treats a reset or a timeout as possibly delivered', () => {
    const cause = Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' });
    expect(mayHaveReachedServer(networkError(new TypeError('fetch failed', { cause }), 'POST x'))).toBe(true);
    expect(mayHaveReachedServer(networkError(new Error('weird'), 'POST x'))).toBe(true);
    const t = timeoutError('POST x', 100);
    expect(t.code).toBe('TIMEOUT');
    expect(t.retriable).toBe(true);
    expect(mayHaveReachedServer(t)).toBe(true);
    expect(mayHaveReachedServer(errorFromResponse(503, '', null))).toBe(false);
  });
});
