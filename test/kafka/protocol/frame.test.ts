import { describe, expect, test } from 'vitest';
import { decodeRequest, encodeResponse, KafkaRequestError } from '../../../src/kafka/protocol/frame.js';
import { KafkaError } from '../../../src/kafka/protocol/error-codes.js';
import { KafkaProtocolError } from '../../../src/kafka/protocol/primitives.js';
import { servedApiVersions, servedVersionRange } from '../../../src/kafka/protocol/registry.js';
import { kafkajsRequest } from './kafkajs.js';

const ascii = (s: string) => [...Buffer.from(s)];

/**
 * ApiVersions v3 as a librdkafka 2.0 client sends it (the grammar of Kafka's RequestHeader.json and
 * ApiVersionsRequest.json): request header v2, then compact strings and tagged-field sections.
 */
const API_VERSIONS_V3_REQUEST = Uint8Array.from([
  0, 18, 0, 3, 0, 0, 0, 7, //        api key 18, version 3, correlation id 7
  0, 7, ...ascii('rdkafka'), //      clientId: int16 length even in header v2
  0, //                              header tagged fields: none
  11, ...ascii('librdkafka'), //     clientSoftwareName: compact string (length + 1)
  6, ...ascii('2.0.2'), //           clientSoftwareVersion
  0, //                              body tagged fields: none
]);

function errorOf(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error('did not throw');
}

describe('frame', () => {
  test('frame: an ApiVersions v3 request (header v2, compact strings) decodes', () => {
    expect(decodeRequest(API_VERSIONS_V3_REQUEST)).toEqual({
      apiKey: 18,
      header: { requestApiKey: 18, requestApiVersion: 3, correlationId: 7, clientId: 'rdkafka' },
      body: { clientSoftwareName: 'librdkafka', clientSoftwareVersion: '2.0.2' },
    });
  });

  test('frame: an ApiVersions v3 response uses response header v0 (no tagged fields after the correlation id)', () => {
    const frame = encodeResponse({ requestApiKey: 18, requestApiVersion: 3, correlationId: 7 }, {
      errorCode: 0, apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 3 }], throttleTimeMs: 0,
    });
    expect([...frame]).toEqual([
      0, 0, 0, 19, //                  size
      0, 0, 0, 7, //                   correlation id, and no header tagged fields
      0, 0, //                         errorCode
      2, 0, 18, 0, 0, 0, 3, 0, //      apiKeys: compact array of 1, one entry with its tagged fields
      0, 0, 0, 0, //                   throttleTimeMs
      0, //                            body tagged fields
    ]);
  });

  test('frame: an ApiVersions request of an unserved version is refused with its header, to answer with v0', () => {
    // Version 9, with a body we cannot know: the header up to clientId is all that is read.
    const frame = Uint8Array.from([0, 18, 0, 9, 0, 0, 0, 5, 0, 2, ...ascii('cl'), 0, 0x42, 0x42]);
    const e = errorOf(() => decodeRequest(frame));
    expect(e).toBeInstanceOf(KafkaRequestError);
    expect(e).toBeInstanceOf(KafkaProtocolError);
    const err = e as KafkaRequestError;
    expect(err.refusal).toBe('unsupported-version');
    expect(err.header).toEqual({ requestApiKey: 18, requestApiVersion: 9, correlationId: 5, clientId: 'cl' });
    // What the broker answers, as Kafka does (KIP-511): a v0 response, UNSUPPORTED_VERSION, and our api keys.
    const answer = encodeResponse({ ...err.header, requestApiVersion: 0 }, { errorCode: KafkaError.UNSUPPORTED_VERSION, apiKeys: servedApiVersions() });
    const view = new DataView(answer.buffer, answer.byteOffset);
    expect(view.getInt32(0)).toBe(answer.byteLength - 4);
    expect([view.getInt32(4), view.getInt16(8), view.getInt32(10)]).toEqual([5, 35, servedApiVersions().length]);
  });

  test('frame: an unknown api key is refused with its header', () => {
    const e = errorOf(() => decodeRequest(Uint8Array.from([0x03, 0xe7, 0, 0, 0, 0, 0, 1, 0xff, 0xff])));
    expect(e).toMatchObject({ refusal: 'unknown-api-key', header: { requestApiKey: 999, requestApiVersion: 0, correlationId: 1, clientId: null } });
  });

  test('frame: a malformed body is refused with its header and where it broke', async () => {
    const good = await kafkajsRequest('metadata', 1, { topics: ['orders'] });
    const e = errorOf(() => decodeRequest(good.subarray(0, good.byteLength - 2)));
    expect(e).toBeInstanceOf(KafkaRequestError);
    expect(e).toMatchObject({ refusal: 'malformed-body', header: { requestApiKey: 3, requestApiVersion: 1 } });
    expect((e as Error).message).toMatch(/^Metadata v1: string of 6 bytes, 4 remain at byte \d+ \(in topics\.\[0\]\.name\)$/);
  });

  test('frame: every prefix of a request frame is refused with KafkaProtocolError', async () => {
    for (const frame of [API_VERSIONS_V3_REQUEST, await kafkajsRequest('fetch', 11, {
      replicaId: -1, maxWaitTime: 1, minBytes: 1, maxBytes: 10, topics: [{ topic: 't', partitions: [{ partition: 0, fetchOffset: '1', maxBytes: 5 }] }],
    })]) {
      for (let n = 0; n < frame.byteLength; n++) {
        expect(() => decodeRequest(frame.subarray(0, n)), `prefix ${n}`).toThrow(KafkaProtocolError);
      }
      expect(() => decodeRequest(frame)).not.toThrow();
    }
  });

  test('frame: a frame that is a view at an odd offset of a larger buffer decodes the same', () => {
    const pool = new Uint8Array(API_VERSIONS_V3_REQUEST.byteLength + 7).fill(0xee);
    pool.set(API_VERSIONS_V3_REQUEST, 3);
    const req = decodeRequest(pool.subarray(3, 3 + API_VERSIONS_V3_REQUEST.byteLength));
    expect(req).toEqual(decodeRequest(API_VERSIONS_V3_REQUEST));
  });

  test('frame: bytes after the body are accepted and ignored', () => {
    const withTail = Uint8Array.from([...API_VERSIONS_V3_REQUEST, 1, 2, 3]);
    expect(decodeRequest(withTail).body).toEqual({ clientSoftwareName: 'librdkafka', clientSoftwareVersion: '2.0.2' });
  });

  test('frame: non-flexible versions use request header v1 and response header v0', async () => {
    const frame = encodeResponse({ requestApiKey: 17, requestApiVersion: 1, correlationId: 3 }, { errorCode: 0, mechanisms: ['PLAIN'] });
    expect([...frame]).toEqual([0, 0, 0, 17, 0, 0, 0, 3, 0, 0, 0, 0, 0, 1, 0, 5, ...ascii('PLAIN')]);
  });

  test('frame: servedVersionRange is the described versions, undefined for an unserved api', () => {
    expect(servedVersionRange(18)).toEqual({ min: 0, max: 3 });
    expect(servedVersionRange(1)).toEqual({ min: 4, max: 11 });
    expect(servedVersionRange(9999)).toBeUndefined();
  });

  test('frame: a request frame too short for its api key is refused', () => {
    expect(() => decodeRequest(Uint8Array.of(0, 18, 0))).toThrow(KafkaProtocolError);
  });
});
