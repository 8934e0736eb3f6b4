import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { ErrorCode } from '../common/errors.js';
import { isDiskFull, LakestreamError } from '../common/errors.js';

/** Fastify's own refusals, in our catalogue's words. */
const FASTIFY_CODES: Record<string, [ErrorCode, string]> = {
  FST_ERR_CTP_BODY_TOO_LARGE: ['REQUEST_TOO_LARGE', 'the request body is larger than --max-request-bytes allows; send smaller batches'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: ['UNSUPPORTED_CONTENT_TYPE', 'send application/json or application/vnd.apache.arrow.stream'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: ['BAD_REQUEST', 'the content-length header does not match the body'],
  FST_ERR_CTP_EMPTY_JSON_BODY: ['INVALID_JSON', 'the body is empty; send a JSON document'],
  FST_ERR_CTP_INVALID_JSON_BODY: ['INVALID_JSON', 'the body is not valid JSON'],
  FST_ERR_BAD_URL: ['BAD_REQUEST', 'the URL is not valid percent-encoded UTF-8'],
  FST_ERR_MAX_PARAM_LENGTH: ['URI_TOO_LONG', 'a path segment is longer than 256 characters; names are at most 128'],
  FST_ERR_ASYNC_CONSTRAINT: ['BAD_REQUEST', 'the request matches no route constraint'],
};

/** Maps anything thrown while serving to the JSON error body; only server faults are 5xx. */
export function toLakestreamError(err: unknown): LakestreamError {
  if (err instanceof LakestreamError) return err;
  if (isDiskFull(err)) return new LakestreamError('INSUFFICIENT_STORAGE', 'the disk is full; free space (drop a table, grow the volume) and retry');
  const fe = err as FastifyError;
  const known = fe && typeof fe.code === 'string' ? FASTIFY_CODES[fe.code] : undefined;
  if (known) return new LakestreamError(known[0], known[1]);
  if (fe && typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    const code: ErrorCode = fe.statusCode === 413 ? 'REQUEST_TOO_LARGE' : fe.statusCode === 415 ? 'UNSUPPORTED_CONTENT_TYPE' : 'BAD_REQUEST';
    return new LakestreamError(code, String(fe.message ?? 'bad request').slice(0, 300));
  }
  return new LakestreamError('INTERNAL', 'the server failed while serving this request; it was logged. Retry, and report it if it persists');
}

export function errorHandler(err: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const e = toLakestreamError(err);
  if (e.status >= 500) request.log.error({ err, code: e.code }, 'request failed');
  else request.log.info({ code: e.code, status: e.status, msg: e.message.slice(0, 200) }, 'request refused');
  if (e.code === 'OVERLOADED' || e.code === 'SHUTTING_DOWN') void reply.header('retry-after', '1');
  void reply.status(e.status).type('application/json').send(e.toJSON());
}

/**
 * Refusals Node makes before fastify sees a request (a malformed request line, headers over the
 * limit, a timeout), written straight to the socket in the same JSON error body.
 */
export function clientErrorHandler(err: NodeJS.ErrnoException, socket: import('node:stream').Duplex): void {
  if (err.code === 'ECONNRESET' || socket.destroyed || !socket.writable) return;
  const e = err.code === 'HPE_HEADER_OVERFLOW'
    ? new LakestreamError('HEADERS_TOO_LARGE', 'the request headers are larger than the server accepts (16 KiB)')
    : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? new LakestreamError('REQUEST_TIMEOUT', 'the request was not received in time; retry')
      : new LakestreamError('BAD_REQUEST', 'the request is not valid HTTP/1.1');
  const body = JSON.stringify(e.toJSON());
  socket.end(`HTTP/1.1 ${e.status} ${e.code}\r\nconnection: close\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
}
