/** What the broker uses of the protocol room; registry.ts describes the files behind it. */
export { decodeRequest, encodeResponse, KafkaRequestError, type DecodedRequest, type RequestRefusal, type ResponseTo } from './frame.js';
export { API_SPECS, apiSpec, servedApiVersions, servedVersionRange, type ApiSpecs, type ServedApiKey } from './registry.js';
export { KafkaError, kafkaErrorName, type KafkaErrorCode, type KafkaErrorName } from './error-codes.js';
export { KafkaProtocolError, KafkaReader, KafkaWriter } from './primitives.js';
export { decode, encode } from './codec.js';
export { requestHeaderVersion, responseHeaderVersion, type RequestHeader } from './header.js';
export type { ApiSpec, Decoded, Encodable, MessageSpec, RequestOf, ResponseOf, VersionRange } from './schema.js';
