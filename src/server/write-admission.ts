import type { IncomingMessage } from 'node:http';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Gauge } from 'prom-client';
import { LakestreamError } from '../common/errors.js';
import { Gate } from './admission.js';
import type { ServerConfig } from './config.js';
import type { ServerMetrics } from './metrics.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** A write route: it holds one of --max-in-flight-writes from its headers until its response closes. */
    write?: boolean;
  }
}

interface WriteAdmission {
  /** One unit per write request being received or applied (--max-in-flight-writes). */
  readonly writes: Gate;
  /** Request body bytes being received or held, one unit a byte (--max-buffered-write-bytes). */
  readonly bufferedBytes: Gate;
  /** Bodies larger than this are fastify's 413 (--max-request-bytes): they never reserve anything. */
  readonly maxRequestBytes: number;
}

/** How long a refused request's body is read and dropped, so that the client sees the 503 and not a reset. */
const DRAIN_MS_MAX = 10_000;

/** What one request holds; given back once, when its response closes (sent, failed or aborted). */
class Held {
  private bytes = 0;
  private released = false;

  constructor(private readonly admission: WriteAdmission, private readonly slot: boolean) {}

  reserve(bytes: number): boolean {
    if (this.released || !this.admission.bufferedBytes.tryAcquire(bytes)) return false;
    this.bytes += bytes;
    return true;
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    if (this.slot) this.admission.writes.release();
    this.admission.bufferedBytes.release(this.bytes);
  }
}

/** The declared body length; 'streamed' for a chunked body, whose length is known only at its end. */
function bodyLength(raw: IncomingMessage): number | 'streamed' {
  if (raw.headers['transfer-encoding'] !== undefined) return 'streamed';
  const declared = Number(raw.headers['content-length'] ?? 0);
  return Number.isSafeInteger(declared) && declared > 0 ? declared : 0;
}

function overBudget(admission: WriteAdmission, bytes: number): LakestreamError {
  const budget = admission.bufferedBytes;
  if (bytes > budget.capacity) {
    return new LakestreamError('REQUEST_TOO_LARGE', `the request body (${bytes} bytes) is larger than --max-buffered-write-bytes (${budget.capacity}); send smaller batches`);
  }
  return new LakestreamError('OVERLOADED', `the server already holds ${budget.inUse} bytes of request bodies and this one would pass --max-buffered-write-bytes (${budget.capacity}); retry after a moment`);
}

/** Passes a chunked body through, reserving each chunk; calls `refuse` instead of passing the one that does not fit. */
function countedBody(payload: Readable, held: Held, admission: WriteAdmission, refuse: (err: LakestreamError) => void): Transform {
  let seen = 0;
  const counted = new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback) {
      seen += chunk.length;
      if (held.reserve(chunk.length)) return done(null, chunk);
      // Ended without an error, fastify's parser waits on a body that never comes and holds what it
      // has (the reservation stays until the response closes); the rest of the body is dropped.
      payload.unpipe(counted);
      counted.destroy();
      refuse(overBudget(admission, seen));
    },
  });
  return payload.pipe(counted);
}

/** Resolves once a request's body has been read to its end and dropped (or the client left, or a time limit passed). */
function drain(raw: IncomingMessage): Promise<void> {
  if (raw.complete || raw.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      raw.off('end', done);
      raw.off('close', done);
      resolve();
    };
    const timer = setTimeout(done, DRAIN_MS_MAX);
    raw.once('end', done);
    raw.once('close', done);
    raw.resume();
  });
}

/**
 * Sends the refusal at once and closes the connection only after the rest of the body has been read:
 * a socket closed while the client is still sending is reset, and a reset client loses the answer.
 */
function answerThenDrain(req: FastifyRequest, reply: FastifyReply, err: LakestreamError): void {
  const body = JSON.stringify(err.toJSON());
  void reply.hijack();
  const res = reply.raw;
  res.writeHead(err.status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    connection: 'close',
    ...(err.retriable ? { 'retry-after': '1' } : {}),
  });
  res.write(body);
  void drain(req.raw).then(() => res.end());
}

function gauge(metrics: ServerMetrics, name: string, help: string, gate: Gate): void {
  new Gauge({ name, help, registers: [metrics.registry], collect() { this.set(gate.inUse); } });
}

/**
 * Admits requests before their bodies are read: a write route takes one of --max-in-flight-writes,
 * and every body reserves its bytes under --max-buffered-write-bytes (its content-length at once, a
 * chunked one as it streams), so that the bodies held at once are bounded whatever the clients send.
 * Both are held until the response closes. A refusal is a 503 with Retry-After (413 for a body that
 * could never fit), sent at once with `Connection: close`; the connection closes once the body has
 * been read and dropped (see answerThenDrain).
 * Install after auth, so an unauthenticated request never holds anything.
 */
export function installWriteAdmission(app: FastifyInstance, limits: Pick<ServerConfig, 'maxInFlightWrites' | 'maxBufferedWriteBytes' | 'maxRequestBytes'>, metrics: ServerMetrics): void {
  const admission: WriteAdmission = {
    writes: new Gate(limits.maxInFlightWrites, 'write requests'),
    bufferedBytes: new Gate(limits.maxBufferedWriteBytes, 'request body bytes'),
    maxRequestBytes: limits.maxRequestBytes,
  };
  gauge(metrics, 'lakestream_write_requests_in_flight', 'Write requests being received or applied (--max-in-flight-writes caps it)', admission.writes);
  gauge(metrics, 'lakestream_buffered_request_bytes', 'Request body bytes being received or held (--max-buffered-write-bytes caps it)', admission.bufferedBytes);
  const holds = new WeakMap<FastifyRequest, Held>();
  const refuse = (req: FastifyRequest, reply: FastifyReply, err: LakestreamError): void => {
    metrics.error(err.code);
    req.log.info({ code: err.code, status: err.status }, 'request refused before its body was read');
    answerThenDrain(req, reply, err);
  };
  app.addHook('onRequest', async (req, reply) => {
    const write = req.routeOptions.config.write === true;
    const length = bodyLength(req.raw);
    if (!write && length === 0) return;
    if (write && !admission.writes.tryAcquire()) {
      return refuse(req, reply, new LakestreamError('OVERLOADED', `the server already has ${admission.writes.capacity} write requests in flight (--max-in-flight-writes); retry after a moment`));
    }
    const held = new Held(admission, write);
    reply.raw.once('close', () => held.release());
    if (typeof length === 'number' && length <= admission.maxRequestBytes && !held.reserve(length)) {
      held.release();
      return refuse(req, reply, overBudget(admission, length));
    }
    holds.set(req, held);
  });
  app.addHook('preParsing', async (req, reply, payload) => {
    const held = holds.get(req);
    if (held === undefined || bodyLength(req.raw) !== 'streamed') return payload;
    return countedBody(payload, held, admission, (err) => refuse(req, reply, err));
  });
}
