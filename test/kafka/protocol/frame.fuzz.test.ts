/**
 * Fuzz: valid request frames of every served API and version, damaged (bytes flipped, lengths and
 * counts overwritten with extremes, cut, spliced) and purely random frames, go through
 * decodeRequest. A client's bytes must only ever be refused with KafkaProtocolError (of which
 * KafkaRequestError, the refusal that carries the header, is one), and what a frame decodes to
 * must stay within the frame's own size: byte strings are views of the frame, every array element
 * and string byte is paid for by input bytes.
 */
import { describe, expect, test } from 'vitest';
import { encode } from '../../../src/kafka/protocol/codec.js';
import { decodeRequest } from '../../../src/kafka/protocol/frame.js';
import { REQUEST_HEADER, requestHeaderVersion } from '../../../src/kafka/protocol/header.js';
import { KafkaProtocolError, KafkaWriter } from '../../../src/kafka/protocol/primitives.js';
import { API_SPECS } from '../../../src/kafka/protocol/registry.js';
import type { ApiSpec } from '../../../src/kafka/protocol/schema.js';
import { int, mulberry32, pick, type Rng } from '../../common/random-values.js';
import { EXTREMES, mutateFrame } from './mutations.js';
import { describedVersions, sampleMessage } from './samples.js';

const SEED = Number(process.env.FUZZ_SEED ?? 0x6b61666b);
const MUTATIONS_PER_FRAME = 150;
const RANDOM_FRAMES = 3000;
/** Objects, array slots and fields a decoded request may hold per input byte (absent fields' defaults included). */
const DECODED_NODES_PER_BYTE_MAX = 4;

function validFrame(spec: ApiSpec, version: number, rng: Rng): Uint8Array {
  const w = new KafkaWriter();
  encode(REQUEST_HEADER, requestHeaderVersion(spec, version), {
    requestApiKey: spec.apiKey, requestApiVersion: version, correlationId: int(rng, 0, 2 ** 31 - 1), clientId: rng() < 0.2 ? null : 'fuzz',
  }, w);
  const body: object = sampleMessage(spec.request, version, { nulls: rng() < 0.3, arrayLength: int(rng, 0, 3) });
  encode(spec.request, version, body, w);
  return new Uint8Array(w.finish());
}

function randomFrame(rng: Rng): Uint8Array {
  const body = Uint8Array.from({ length: int(rng, 0, 64) }, () => (rng() < 0.3 ? pick(rng, EXTREMES) : int(rng, 0, 255)));
  if (rng() < 0.2) return body;
  // Mostly a valid header of a served api and version before the random body, so that bodies get
  // decoded, not just refused at the header.
  const spec = pick(rng, Object.values(API_SPECS) as ApiSpec[]);
  const version = pick(rng, describedVersions(spec.request));
  const w = new KafkaWriter();
  encode(REQUEST_HEADER, requestHeaderVersion(spec, version), { requestApiKey: spec.apiKey, requestApiVersion: version, correlationId: 1, clientId: null }, w);
  w.raw(body);
  return new Uint8Array(w.finish());
}

/** Counts what a decoded value holds, and checks every byte string is a view of the frame. */
function measure(value: unknown, frame: Uint8Array, tally: { nodes: number; stringBytes: number }): void {
  tally.nodes++;
  if (value instanceof Uint8Array) {
    if (value.byteLength > 0 && value.buffer !== frame.buffer) throw new Error('a decoded byte string is a copy, not a view');
    return;
  }
  if (typeof value === 'string') {
    tally.stringBytes += Buffer.byteLength(value);
    return;
  }
  if (Array.isArray(value)) {
    for (const v of value) measure(v, frame, tally);
    return;
  }
  if (value !== null && typeof value === 'object') for (const v of Object.values(value)) measure(v, frame, tally);
}

function checkDecode(frame: Uint8Array, what: string): 'decoded' | 'refused' {
  let decoded;
  try {
    decoded = decodeRequest(frame);
  } catch (e) {
    if (!(e instanceof KafkaProtocolError)) throw new Error(`${what}: threw ${String(e)}`);
    return 'refused';
  }
  const tally = { nodes: 0, stringBytes: 0 };
  measure(decoded, frame, tally);
  // Strings may also be the replacement characters of invalid UTF-8 (3 bytes for each bad byte).
  expect(tally.stringBytes, what).toBeLessThanOrEqual(3 * frame.byteLength);
  expect(tally.nodes, what).toBeLessThanOrEqual(DECODED_NODES_PER_BYTE_MAX * frame.byteLength + 64);
  return 'decoded';
}

describe('frame fuzz', () => {
  test(`frame fuzz: damaged frames of every api and version are decoded or refused with KafkaProtocolError (seed ${SEED})`, () => {
    const rng = mulberry32(SEED);
    const outcomes = { decoded: 0, refused: 0 };
    for (const spec of Object.values(API_SPECS) as ApiSpec[]) {
      for (const version of describedVersions(spec.request)) {
        const frame = validFrame(spec, version, rng);
        expect(checkDecode(frame, `${spec.name} v${version} valid`)).toBe('decoded');
        for (let i = 0; i < MUTATIONS_PER_FRAME; i++) outcomes[checkDecode(mutateFrame(rng, frame), `${spec.name} v${version} mutation ${i}`)]++;
      }
    }
    // Both outcomes happen, so the damage is neither always harmless nor always fatal.
    expect(outcomes.decoded).toBeGreaterThan(100);
    expect(outcomes.refused).toBeGreaterThan(100);
  });

  test(`frame fuzz: random frames are decoded or refused with KafkaProtocolError (seed ${SEED})`, () => {
    const rng = mulberry32(SEED + 1);
    const outcomes = { decoded: 0, refused: 0 };
    for (let i = 0; i < RANDOM_FRAMES; i++) outcomes[checkDecode(randomFrame(rng), `random frame ${i}`)]++;
    expect(outcomes.refused).toBeGreaterThan(0);
    expect(outcomes.decoded).toBeGreaterThan(0);
  });
});
