/**
 * Test helper for the Kafka listener fuzzer: request frames built with the protocol room's own
 * encoders, realistic request bodies for any served API and version (names the fuzz server knows,
 * small numbers, a real record batch), and the oracle: what the listener must answer to a stream of
 * bytes, found by cutting the stream the way the listener does and decoding each frame with
 * decodeRequest (a pure function the listener also uses).
 */
import { decode, encode } from '../../src/kafka/protocol/codec.js';
import { decodeRequest, KafkaRequestError } from '../../src/kafka/protocol/frame.js';
import { REQUEST_HEADER, RESPONSE_HEADER, requestHeaderVersion, responseHeaderVersion } from '../../src/kafka/protocol/header.js';
import { KafkaProtocolError, KafkaReader, KafkaWriter } from '../../src/kafka/protocol/primitives.js';
import { apiSpec } from '../../src/kafka/protocol/registry.js';
import { inRange, parseVersions, type ApiSpec, type FieldSpec, type FieldType } from '../../src/kafka/protocol/schema.js';
import { encodeRecordBatch } from '../../src/kafka/records/record-batch.js';
import { int, pick, type Rng } from './support.js';

export const SIZE_PREFIX_BYTES = 4;
const API_VERSIONS = 18;
const PRODUCE = 0;
const SASL_HANDSHAKE = 17;
const SASL_AUTHENTICATE = 36;
/**
 * Not APIs: the raw SASL/PLAIN token frame after SaslHandshake v0, answered with an empty frame
 * when accepted, and with a non-empty one (the reason, as text) before the close when refused.
 */
const RAW_SASL_ACCEPTED = -1;
const RAW_SASL_REFUSED = -2;
/** APIs whose answer may rightly wait: a long poll, a rebalance's join and sync phases. */
const WAITING_APIS = new Set([1, 11, 14]);

/** The topics and groups the fuzz server has; a few new names so auto-creation gets exercised. */
export const TOPIC = 'fz';
export const COMPACT_TOPIC = 'fzc';
export const JSON_TOPIC = 'fzh.events';
const NEW_TOPICS = 8;
const GROUPS = ['fzg', 'fzg2', ''];

/** A request frame without its size prefix. */
export function requestFrame(spec: ApiSpec, version: number, correlationId: number, body: object, clientId: string | null = 'fuzz'): Uint8Array {
  const w = new KafkaWriter();
  encode(REQUEST_HEADER, requestHeaderVersion(spec, version), { requestApiKey: spec.apiKey, requestApiVersion: version, correlationId, clientId }, w);
  encode(spec.request, version, body as never, w);
  return new Uint8Array(w.finish());
}

/** `frame` after a size prefix of `size` (its own length unless told). */
export function sized(frame: Uint8Array, size = frame.length): Buffer {
  const out = Buffer.alloc(SIZE_PREFIX_BYTES + frame.length);
  out.writeInt32BE(size, 0);
  out.set(frame, SIZE_PREFIX_BYTES);
  return out;
}

// -------------------------------------------------------------------------------------------------
// Realistic bodies

function topicName(rng: Rng): string {
  return rng() < 0.6 ? TOPIC : pick(rng, [COMPACT_TOPIC, JSON_TOPIC, `fzn${int(rng, 0, NEW_TOPICS - 1)}`]);
}

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

/** A record batch of 1-3 small records, as a producer writes it. */
export function validBatch(rng: Rng): Uint8Array {
  const count = int(rng, 1, 3);
  const now = Date.now();
  return encodeRecordBatch({
    baseOffset: 0n, producerId: -1n, producerEpoch: -1, baseSequence: -1, count,
    timestamp: (i) => now + i,
    key: (i) => (rng() < 0.5 ? null : utf8(`k${i}`)),
    value: (i) => utf8(JSON.stringify({ id: i, s: `fuzz ${i}` })),
    headers: () => null,
  });
}

type Gen = (rng: Rng) => unknown;

/**
 * Values by `type:name`, or `type:parent.name` where the name means different things in different
 * places; a field not named here gets its default.
 */
const VALUES: Readonly<Record<string, Gen>> = {
  'string:name': topicName,
  'string:topic': topicName,
  'string:resourceName': topicName,
  'string:configs.name': (rng) => pick(rng, ['cleanup.policy', 'retention.ms', 'segment.bytes', 'no.such.config']),
  'string:configs.value': (rng) => pick(rng, ['delete', 'compact', '60000', 'x']),
  'string:protocols.name': () => 'range',
  'string:groupId': (rng) => pick(rng, GROUPS),
  'string:key': (rng) => pick(rng, GROUPS),
  'string:memberId': (rng) => pick(rng, ['', 'fz-member']),
  'string:groupInstanceId': () => 'fz-instance',
  'string:transactionalId': () => 'fz-txn',
  'string:protocolType': () => 'consumer',
  'string:mechanism': (rng) => pick(rng, ['PLAIN', 'PLAIN', 'SCRAM-SHA-256']),
  'string:clientSoftwareName': () => 'fuzz',
  'string:clientSoftwareVersion': () => '1.0',
  'string:rackId': () => '',
  'string:committedMetadata': () => '',
  'array<string>:topicNames': (rng) => (rng() < 0.5 ? 'fzdel' : `fzn${int(rng, 0, NEW_TOPICS - 1)}`),
  'array<string>:groups': (rng) => pick(rng, GROUPS),
  'array<string>:configurationKeys': () => 'cleanup.policy',
  'int32:partition': (rng) => int(rng, 0, 2),
  'int32:partitionIndex': (rng) => int(rng, 0, 2),
  'int32:index': (rng) => int(rng, 0, 2),
  'array<int32>:partitions': (rng) => int(rng, 0, 1),
  'array<int32>:partitionIndexes': (rng) => int(rng, 0, 1),
  'int32:maxWaitMs': (rng) => int(rng, 0, 20),
  'int32:minBytes': () => 1,
  'int32:maxBytes': (rng) => pick(rng, [1, 1024, 1 << 20]),
  'int32:partitionMaxBytes': (rng) => pick(rng, [1, 1024, 1 << 20]),
  'int32:timeoutMs': () => 1000,
  'int32:sessionTimeoutMs': (rng) => pick(rng, [6000, 10_000, 1]),
  'int32:rebalanceTimeoutMs': (rng) => int(rng, 100, 1000),
  'int32:generationId': (rng) => int(rng, -1, 1),
  'int32:generationIdOrMemberEpoch': (rng) => int(rng, -1, 1),
  'int32:numPartitions': (rng) => pick(rng, [-1, 1, 2, 0, 5000]),
  'int32:replicaId': () => -1,
  'int32:sessionEpoch': () => -1,
  'int32:currentLeaderEpoch': () => -1,
  'int32:committedLeaderEpoch': () => -1,
  'int32:transactionTimeoutMs': () => 60_000,
  'int32:count': () => 4,
  'int16:acks': (rng) => pick(rng, [-1, -1, 1, 0, 5]),
  'int16:replicationFactor': (rng) => pick(rng, [-1, 1, 3]),
  'int16:producerEpoch': () => -1,
  'int8:isolationLevel': (rng) => int(rng, 0, 1),
  'int8:keyType': (rng) => pick(rng, [0, 0, 1]),
  'int8:resourceType': (rng) => pick(rng, [2, 2, 4, 9]),
  'int64:fetchOffset': (rng) => pick(rng, [0n, 1n, 5n, 1000n, -1n]),
  'int64:logStartOffset': () => -1n,
  'int64:timestamp': (rng) => pick(rng, [-1n, -2n, 0n, BigInt(Date.now())]),
  'int64:committedOffset': (rng) => BigInt(int(rng, 0, 20)),
  'int64:producerId': () => -1n,
  'int64:retentionTimeMs': () => -1n,
  'int64:commitTimestamp': () => -1n,
  'bool:allowAutoTopicCreation': (rng) => rng() < 0.5,
  'bool:validateOnly': (rng) => rng() < 0.5,
  'bytes:authBytes': (rng) => utf8(pick(rng, ['\0fuzz\0token', 'no nul bytes'])),
  'bytes:metadata': (rng) => Uint8Array.from({ length: int(rng, 0, 8) }, () => int(rng, 0, 255)),
  'bytes:assignment': (rng) => Uint8Array.from({ length: int(rng, 0, 8) }, () => int(rng, 0, 255)),
  'records:records': validBatch,
};
/** Nullable fields that are null in almost every real request (no transactions, no static membership). */
const NULL_MOSTLY = new Set(['transactionalId', 'groupInstanceId', 'configurationKeys']);

function typeName(type: FieldType): string {
  if (typeof type === 'string') return type;
  if (type.kind === 'struct') return 'struct';
  return `array<${typeof type.of === 'string' ? type.of : 'struct'}>`;
}

/** A body of the API at `version` with every field the fuzz server can make sense of filled in. */
export function realisticBody(fields: readonly FieldSpec[], version: number, rng: Rng, parent = ''): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) {
    if (!inRange(parseVersions(f.versions), version) || f.tagged !== undefined) continue;
    const nullable = f.nullable !== undefined && inRange(parseVersions(f.nullable), version);
    if (nullable && rng() < (NULL_MOSTLY.has(f.name) ? 0.9 : 0.05)) {
      out[f.name] = null;
      continue;
    }
    const value = realisticValue(f, version, rng, parent);
    if (value !== undefined) out[f.name] = value;
  }
  return out;
}

function realisticValue(f: FieldSpec, version: number, rng: Rng, parent: string): unknown {
  const type = f.type;
  const gen = VALUES[`${typeName(type)}:${parent}.${f.name}`] ?? VALUES[`${typeName(type)}:${f.name}`];
  if (typeof type === 'string') return gen?.(rng);
  if (type.kind === 'struct') return realisticBody(type.fields, version, rng, f.name);
  const of = type.of;
  const n = int(rng, 1, 2);
  if (typeof of === 'string') return gen ? Array.from({ length: n }, () => gen(rng)) : undefined;
  if (of.kind !== 'struct') return undefined;
  return Array.from({ length: n }, () => realisticBody(of.fields, version, rng, f.name));
}

// -------------------------------------------------------------------------------------------------
// The oracle

export interface ExpectedAnswer {
  apiKey: number;
  version: number;
  correlationId: number;
  /** The answer may rightly take longer than the fuzzer waits (a long poll, a rebalance). */
  mayWait: boolean;
  what: string;
}

/**
 * How the stream ends: every frame whole ('complete'), inside a frame the server waits to finish
 * ('incomplete'), with a frame the server must refuse by closing the connection (`refusal`: what
 * its log line says), or past a point after which the server's answers depend on its state
 * ('unpredictable': a raw SASL token follows, or an authentication may close the connection).
 */
export type StreamEnd = 'complete' | 'incomplete' | 'unpredictable' | { refusal: RegExp };

export interface Prediction {
  answers: ExpectedAnswer[];
  end: StreamEnd;
}

const FRAME_BYTES_MIN = 8;

/** What the listener must answer to `stream`, given its --max-request-bytes. */
export function predict(stream: Uint8Array, frameBytesMax: number): Prediction {
  const answers: ExpectedAnswer[] = [];
  const view = new DataView(stream.buffer, stream.byteOffset, stream.byteLength);
  let pos = 0;
  let rawTokenNext = false;
  while (pos < stream.length) {
    if (stream.length - pos < SIZE_PREFIX_BYTES) return { answers, end: 'incomplete' };
    const size = view.getInt32(pos);
    if (size < FRAME_BYTES_MIN) return { answers, end: { refusal: /kafka: closing connection: a frame is smaller than a request header/ } };
    if (size > frameBytesMax) return { answers, end: { refusal: /kafka: closing connection: a frame of \d+ bytes is above --max-request-bytes/ } };
    if (stream.length - pos - SIZE_PREFIX_BYTES < size) return { answers, end: 'incomplete' };
    const frame = stream.subarray(pos + SIZE_PREFIX_BYTES, pos + SIZE_PREFIX_BYTES + size);
    pos += SIZE_PREFIX_BYTES + size;
    if (rawTokenNext) {
      rawTokenNext = false;
      // Without --auth-file any well-formed PLAIN message (authzid NUL user NUL password) is accepted.
      if (Buffer.from(frame).toString('utf8').split('\0').length === 3) {
        answers.push({ apiKey: RAW_SASL_ACCEPTED, version: 0, correlationId: 0, mayWait: false, what: 'raw SASL token' });
        continue;
      }
      answers.push({ apiKey: RAW_SASL_REFUSED, version: 0, correlationId: 0, mayWait: false, what: 'malformed raw SASL token' });
      return { answers, end: { refusal: /kafka: SASL authentication failed/ } };
    }
    const step = predictFrame(frame);
    if ('refusal' in step) return { answers, end: step };
    if (step.answer) answers.push(step.answer);
    rawTokenNext = step.rawTokenNext;
    if (step.stateful && pos < stream.length) return { answers, end: 'unpredictable' };
  }
  return { answers, end: 'complete' };
}

interface FrameStep {
  answer?: ExpectedAnswer;
  /** What follows may be answered or refused depending on the server's state. */
  stateful: boolean;
  /** A SaslHandshake v0 for PLAIN: the next frame is a raw token. */
  rawTokenNext: boolean;
}

function predictFrame(frame: Uint8Array): FrameStep | { refusal: RegExp } {
  let request;
  try {
    request = decodeRequest(frame);
  } catch (err) {
    if (err instanceof KafkaRequestError && err.refusal === 'unsupported-version' && err.header.requestApiKey === API_VERSIONS) {
      return { answer: { apiKey: API_VERSIONS, version: 0, correlationId: err.header.correlationId, mayWait: false, what: `ApiVersions v${err.header.requestApiVersion} (unserved)` }, stateful: false, rawTokenNext: false };
    }
    if (err instanceof KafkaProtocolError) return { refusal: /kafka: closing connection: / };
    throw err;
  }
  const { header, apiKey } = request;
  const version = header.requestApiVersion;
  const what = `${apiSpec(apiKey)!.name} v${version}`;
  const answer = { apiKey, version, correlationId: header.correlationId, mayWait: WAITING_APIS.has(apiKey), what };
  if (apiKey === PRODUCE && (request.body as { acks: number }).acks === 0) return { stateful: false, rawTokenNext: false };
  const rawTokenNext = apiKey === SASL_HANDSHAKE && version === 0 && (request.body as { mechanism: string }).mechanism === 'PLAIN';
  // SaslAuthenticate closes the connection when it fails.
  return { answer, stateful: apiKey === SASL_AUTHENTICATE, rawTokenNext };
}

/**
 * Problems with one response frame (no size prefix) as the answer to `expected`: its correlation
 * id, and whether the response description of that API and version reads it exactly.
 */
export function responseProblems(frame: Uint8Array, expected: ExpectedAnswer): { problems: string[]; body?: Record<string, unknown> } {
  if (expected.apiKey === RAW_SASL_ACCEPTED) return { problems: frame.length === 0 ? [] : [`a raw SASL answer of ${frame.length} bytes, expected an empty frame`] };
  if (expected.apiKey === RAW_SASL_REFUSED) return { problems: frame.length > 0 ? [] : ['an empty raw SASL answer (success) to a malformed token'] };
  const spec = apiSpec(expected.apiKey)!;
  const reader = new KafkaReader(frame);
  try {
    const header = decode(RESPONSE_HEADER, responseHeaderVersion(spec, expected.version), reader);
    if (header.correlationId !== expected.correlationId) return { problems: [`correlation id ${header.correlationId}, expected ${expected.correlationId}`] };
    const body = decode(spec.response, expected.version, reader) as Record<string, unknown>;
    if (reader.remaining !== 0) return { problems: [`${reader.remaining} bytes after the response body`] };
    return { problems: [], body };
  } catch (err) {
    if (!(err instanceof KafkaProtocolError)) throw err;
    return { problems: [`the response does not decode: ${err.message}`] };
  }
}

/** Cuts whole size-prefixed frames off the front of `bytes`; returns the frames and what is left. */
export function cutFrames(bytes: Buffer): { frames: Buffer[]; rest: Buffer } {
  const frames: Buffer[] = [];
  let pos = 0;
  while (bytes.length - pos >= SIZE_PREFIX_BYTES) {
    const size = bytes.readInt32BE(pos);
    if (size < 0 || bytes.length - pos - SIZE_PREFIX_BYTES < size) break;
    frames.push(bytes.subarray(pos + SIZE_PREFIX_BYTES, pos + SIZE_PREFIX_BYTES + size));
    pos += SIZE_PREFIX_BYTES + size;
  }
  return { frames, rest: bytes.subarray(pos) };
}
