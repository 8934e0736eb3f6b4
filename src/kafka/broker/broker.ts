/**
 * The broker: one frame in, one response out. Each API has one small handler (handlers/), declared
 * with the API key it serves; the versions served are the protocol descriptions' (registry.ts).
 * What cannot be answered is refused the way Kafka refuses it: an ApiVersions request of a version
 * we do not speak gets a v0 answer with UNSUPPORTED_VERSION (the client then downgrades); any other
 * undecodable request closes the connection, with a log line naming the problem. A client's bytes
 * never reach the process as an exception.
 */
import { KafkaError } from '../protocol/error-codes.js';
import { decodeRequest, encodeResponse, KafkaRequestError, type DecodedRequest } from '../protocol/frame.js';
import { KafkaProtocolError } from '../protocol/primitives.js';
import { apiSpec, servedApiVersions } from '../protocol/registry.js';
import type { BrokerContext } from './context.js';
import { HANDLERS } from './handlers/index.js';
import type { FrameHandler, KafkaConnection } from './listener.js';
import { awaitingRawSaslToken, handleRawSaslToken } from './handlers/sasl.js';

const API_VERSIONS = 18;

export class KafkaBroker implements FrameHandler {
  constructor(private readonly ctx: BrokerContext) {}

  async handle(conn: KafkaConnection, frame: Uint8Array): Promise<Uint8Array | null> {
    // kafka-python's SASL after SaslHandshake v0: the next frame is the raw RFC 4616 token.
    if (awaitingRawSaslToken(conn)) return handleRawSaslToken(this.ctx, conn, frame);
    let request: DecodedRequest;
    try {
      request = decodeRequest(frame);
    } catch (err) {
      return this.refuse(conn, err);
    }
    const { header } = request;
    const handler = HANDLERS[request.apiKey];
    const started = performance.now();
    const body = await handler(this.ctx, conn, request as never);
    this.ctx.metrics.request(apiSpec(request.apiKey)!.name, (performance.now() - started) / 1000);
    if (body === null) return null;
    return encodeResponse(header, body);
  }

  private refuse(conn: KafkaConnection, err: unknown): Uint8Array | null {
    if (err instanceof KafkaRequestError && err.refusal === 'unsupported-version' && err.header.requestApiKey === API_VERSIONS) {
      return encodeResponse({ ...err.header, requestApiVersion: 0 }, { errorCode: KafkaError.UNSUPPORTED_VERSION, apiKeys: servedApiVersions() });
    }
    if (err instanceof KafkaRequestError) {
      const h = err.header;
      this.ctx.log.warn({ remote: conn.remote, clientId: h.clientId, apiKey: h.requestApiKey, apiVersion: h.requestApiVersion, problem: err.message }, `kafka: closing connection: ${err.refusal === 'malformed-body' ? 'malformed request' : err.message}`);
    } else if (err instanceof KafkaProtocolError) {
      this.ctx.log.warn({ remote: conn.remote, problem: err.message }, 'kafka: closing connection: malformed request header');
    } else {
      throw err;
    }
    conn.close();
    return null;
  }
}
