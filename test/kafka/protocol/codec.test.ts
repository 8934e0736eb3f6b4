import { describe, expect, test } from 'vitest';
import { decode, encode } from '../../../src/kafka/protocol/codec.js';
import { KafkaProtocolError, KafkaReader, KafkaWriter } from '../../../src/kafka/protocol/primitives.js';
import { API_SPECS } from '../../../src/kafka/protocol/registry.js';
import { metadata } from '../../../src/kafka/protocol/apis/metadata.js';
import { apiVersions } from '../../../src/kafka/protocol/apis/api-versions.js';
import { message, type Decoded, type FieldSpec, type MessageSpec } from '../../../src/kafka/protocol/schema.js';
import { describedVersions, sampleMessage } from './samples.js';

function encoded(spec: MessageSpec, version: number, value: object): Uint8Array {
  const w = new KafkaWriter();
  encode(spec, version, value, w);
  return new Uint8Array(w.finish());
}

function roundTrip<F extends readonly FieldSpec[]>(spec: MessageSpec<F>, version: number, value: object): Decoded<F> {
  const bytes = encoded(spec, version, value);
  const r = new KafkaReader(bytes);
  const out = decode(spec, version, r);
  expect(r.remaining).toBe(0);
  return out;
}

describe('codec', () => {
  for (const spec of Object.values(API_SPECS)) {
    for (const side of ['request', 'response'] as const) {
      const m: MessageSpec = spec[side];
      test(`codec: ${m.name} round trips every field at every served version`, () => {
        for (const version of describedVersions(m)) {
          for (const nulls of [false, true]) {
            const sample = sampleMessage(m, version, { nulls });
            const back = roundTrip(m, version, sample);
            expect(back, `${m.name} v${version}${nulls ? ' with nulls' : ''}`).toMatchObject(sample);
            // Decoding is the inverse of encoding: re-encoding what was decoded gives the same bytes.
            expect(encoded(m, version, back)).toEqual(encoded(m, version, sample));
          }
        }
      });

      test(`codec: every prefix of a ${m.name} is refused with KafkaProtocolError`, () => {
        for (const version of describedVersions(m)) {
          const bytes = encoded(m, version, sampleMessage(m, version));
          for (let n = 0; n < bytes.byteLength; n++) {
            expect(() => decode(m, version, new KafkaReader(bytes.subarray(0, n))), `${m.name} v${version} prefix ${n}`)
              .toThrow(KafkaProtocolError);
          }
        }
      });
    }
  }

  test('codec: a field absent from the version decodes as its default', () => {
    const v0 = decode(metadata.request, 0, new KafkaReader(encoded(metadata.request, 0, { topics: [{ name: 't' }] })));
    expect(v0).toEqual({
      topics: [{ name: 't' }], allowAutoTopicCreation: true,
      includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false,
    });
  });

  test('codec: a field missing from the object is written as its default', () => {
    const bytes = encoded(metadata.response, 1, { brokers: [{ nodeId: 1, host: 'h', port: 9092 }] });
    const back = decode(metadata.response, 1, new KafkaReader(bytes));
    expect(back.controllerId).toBe(-1);
    expect(back.brokers[0]!.rack).toBeNull();
    expect(back.topics).toEqual([]);
  });

  test('codec: null where the version does not allow it is refused, both ways', () => {
    // Metadata v0 topics are not nullable (v1+ are): -1 as the count is malformed.
    expect(() => decode(metadata.request, 0, new KafkaReader(Uint8Array.of(0xff, 0xff, 0xff, 0xff)))).toThrow(/null in a non-nullable array/);
    expect(decode(metadata.request, 1, new KafkaReader(Uint8Array.of(0xff, 0xff, 0xff, 0xff))).topics).toBeNull();
    expect(() => encoded(metadata.request, 0, { topics: null })).toThrow(/topics: null in a field that is not nullable/);
  });

  test('codec: an array count the remaining bytes cannot hold is refused before allocating', () => {
    // 0x7fffffff metadata topics in 4 bytes: refused by the count check, not by running out of bytes.
    const bytes = Uint8Array.of(0x7f, 0xff, 0xff, 0xff, 0, 1, 0x61);
    expect(() => decode(metadata.request, 1, new KafkaReader(bytes))).toThrow(/array of 2147483647 elements/);
  });

  test('codec: the error names the field path and the byte offset', () => {
    // topics: one element whose name claims 9 bytes but has 1.
    const bytes = Uint8Array.of(0, 0, 0, 1, 0, 9, 0x61);
    expect(() => decode(metadata.request, 1, new KafkaReader(bytes))).toThrow('string of 9 bytes, 1 remain at byte 4 (in topics.[0].name)');
  });

  test('codec: flexible versions write compact types and tagged fields; unknown tags are skipped', () => {
    const spec = message('Flex', '0-1', '1+', [
      { name: 'name', type: 'string', versions: '0+' },
      { name: 'items', type: 'int32', versions: '0+' },
      { name: 'note', type: 'string', versions: '1+', nullable: '1+', tag: 0, tagged: '1+', default: null },
    ]);
    expect([...encoded(spec, 1, { name: 'ab', items: 1 })]).toEqual([3, 0x61, 0x62, 0, 0, 0, 1, 0]);
    expect([...encoded(spec, 1, { name: 'ab', items: 1, note: 'x' })]).toEqual([3, 0x61, 0x62, 0, 0, 0, 1, 1, 0, 2, 2, 0x78]);
    expect([...encoded(spec, 0, { name: 'ab', items: 1, note: 'x' })]).toEqual([0, 2, 0x61, 0x62, 0, 0, 0, 1]);
    // Two tagged fields: tag 5 (unknown, 3 bytes) and tag 0 (note = "y").
    const withUnknown = Uint8Array.of(3, 0x61, 0x62, 0, 0, 0, 1, 2, 5, 3, 9, 9, 9, 0, 2, 2, 0x79);
    expect(decode(spec, 1, new KafkaReader(withUnknown))).toEqual({ name: 'ab', items: 1, note: 'y' });
    // A tagged field whose size runs past the end is refused.
    expect(() => decode(spec, 1, new KafkaReader(Uint8Array.of(3, 0x61, 0x62, 0, 0, 0, 1, 1, 5, 9, 0)))).toThrow(KafkaProtocolError);
  });

  test('codec: ApiVersions v3 response fields written as Kafka does (tagged features only when set)', () => {
    const bytes = encoded(apiVersions.response, 3, { errorCode: 0, apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 3 }], throttleTimeMs: 0 });
    expect([...bytes]).toEqual([0, 0, 2, 0, 18, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0]);
  });

  test('codec: records may be given as chunks and decode as one byte string', () => {
    const fetchResponse = API_SPECS[1].response;
    const chunks = [new Uint8Array(2000).fill(1), Uint8Array.of(2, 3), new Uint8Array(1500).fill(4)];
    const back = roundTrip(fetchResponse, 4, { responses: [{ topic: 't', partitions: [{ records: chunks }] }] });
    const records = back.responses[0]!.partitions[0]!.records!;
    expect(records.byteLength).toBe(3502);
    expect([records[0], records[1999], records[2000], records[2001], records[2002], records[3501]]).toEqual([1, 1, 2, 3, 4, 4]);
  });
});
