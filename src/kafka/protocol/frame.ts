/**
 * A request frame in, a response frame out.
 *
 * `decodeRequest` takes one request as the listener cut it from the stream: the bytes after the
 * 4-byte size prefix. It reads the header first, so that a request it cannot decode still yields
 * the header the broker needs to answer or to log: an API it does not serve, a version it does not
 * serve (Kafka answers an ApiVersions request of an unknown version with a v0 response carrying
 * UNSUPPORTED_VERSION and its api keys, so the client can downgrade), or a malformed body.
 *
 * Bytes after the body are accepted and ignored: a newer client's extra fields, as in a flexible
 * version's tagged fields, are something an older reader is meant to skip, and refusing them would
 * close connections that lose nothing by being served.
 *
 * `encodeResponse` writes the size prefix, the response header of the version that API version
 * uses (v0 for ApiVersions always) and the body.
 */
import { decode, encode } from './codec.js';
import { REQUEST_HEADER, RESPONSE_HEADER, requestHeaderVersion, responseHeaderVersion, type RequestHeader } from './header.js';
import { KafkaProtocolError, KafkaReader, KafkaWriter } from './primitives.js';
import { apiSpec, type ApiSpecs, type ServedApiKey } from './registry.js';
import { inRange, parseVersions, type Encodable, type RequestOf } from './schema.js';

export type RequestRefusal = 'unknown-api-key' | 'unsupported-version' | 'malformed-body';

/** A request whose header was read but whose body cannot be decoded. */
export class KafkaRequestError extends KafkaProtocolError {
  override readonly name = 'KafkaRequestError';

  constructor(readonly refusal: RequestRefusal, readonly header: RequestHeader, reason: string, offset: number) {
    super(reason, offset);
    // The reason already says where: a malformed body's carries the inner error's offset and path.
    this.message = reason;
  }
}

export type DecodedRequest = {
  [K in ServedApiKey]: { apiKey: K; header: RequestHeader; body: RequestOf<ApiSpecs[K]> };
}[ServedApiKey];

const API_KEY_AND_VERSION_BYTES = 4;

export function decodeRequest(frame: Uint8Array): DecodedRequest {
  if (frame.byteLength < API_KEY_AND_VERSION_BYTES) {
    throw new KafkaProtocolError(`request of ${frame.byteLength} bytes has no api key and version`, 0);
  }
  const peek = new DataView(frame.buffer, frame.byteOffset, API_KEY_AND_VERSION_BYTES);
  const apiKey = peek.getInt16(0);
  const apiVersion = peek.getInt16(2);
  const spec = apiSpec(apiKey);
  const served = spec !== undefined && inRange(parseVersions(spec.request.versions), apiVersion);
  const reader = new KafkaReader(frame);
  // A version we do not serve may be flexible or not: its header is read up to clientId, which has
  // the same encoding in both, and no further.
  const header = decode(REQUEST_HEADER, served ? requestHeaderVersion(spec, apiVersion) : 1, reader);
  if (spec === undefined) {
    throw new KafkaRequestError('unknown-api-key', header, `unknown api key ${apiKey}`, 0);
  }
  if (!served) {
    throw new KafkaRequestError('unsupported-version', header, `${spec.name} v${apiVersion} is not served`, 2);
  }
  try {
    const body = decode(spec.request, apiVersion, reader);
    return { apiKey, header, body } as DecodedRequest;
  } catch (e) {
    if (!(e instanceof KafkaProtocolError)) throw e;
    throw new KafkaRequestError('malformed-body', header, `${spec.name} v${apiVersion}: ${e.message}`, e.offset);
  }
}

export type ResponseTo = Pick<RequestHeader, 'requestApiKey' | 'requestApiVersion' | 'correlationId'>;

const SIZE_PREFIX_BYTES = 4;

/**
 * The response frame to a request: `to` is the request's header (pass `requestApiVersion: 0` to
 * answer an ApiVersions request of an unserved version). `body` is the response object of that API.
 */
export function encodeResponse(to: ResponseTo, body: object, sizeHintBytes?: number): Uint8Array {
  const spec = apiSpec(to.requestApiKey);
  if (!spec) throw new RangeError(`no response description for api key ${to.requestApiKey}`);
  const w = new KafkaWriter(sizeHintBytes);
  w.int32(0);
  encode(RESPONSE_HEADER, responseHeaderVersion(spec, to.requestApiVersion), { correlationId: to.correlationId }, w);
  encode(spec.response, to.requestApiVersion, body as Encodable<typeof spec.response.fields>, w);
  const out = w.finish();
  new DataView(out.buffer, out.byteOffset, SIZE_PREFIX_BYTES).setInt32(0, out.byteLength - SIZE_PREFIX_BYTES);
  return out;
}
