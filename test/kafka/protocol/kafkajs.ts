/**
 * Test helper: kafkajs 2.2.4's own protocol encoders and decoders (node_modules/kafkajs/src/protocol,
 * CommonJS), the outside source of the golden bytes. Its request encoders give frames we must
 * decode; its response decoders must read the frames we encode, every byte of them.
 */
import { createRequire } from 'node:module';
import { expect } from 'vitest';
import { decodeRequest, encodeResponse, type DecodedRequest } from '../../../src/kafka/protocol/frame.js';
import { servedVersionRange } from '../../../src/kafka/protocol/registry.js';

const require = createRequire(import.meta.url);

interface KafkajsRequest { apiKey: number; apiVersion: number; encode: () => Promise<unknown> }
type Encoder = { buffer: Buffer };
const frameOf = require('kafkajs/src/protocol/request') as
  (args: { correlationId: number; clientId: string; request: KafkajsRequest }) => Promise<Encoder>;
const Decoder = require('kafkajs/src/protocol/decoder') as { prototype: Record<string, unknown> };

export const KAFKAJS_CLIENT_ID = 'kafkajs-golden';
export const KAFKAJS_CORRELATION_ID = 4242;

/** A kafkajs request frame, without its 4-byte size prefix (what the listener hands decodeRequest). */
export async function kafkajsRequest(api: string, version: number, args: object): Promise<Uint8Array> {
  const build = require(`kafkajs/src/protocol/requests/${api}/v${version}/request`) as (a: object) => KafkajsRequest;
  const request = build(args);
  if (request.apiVersion !== version) throw new Error(`kafkajs ${api} v${version} built v${request.apiVersion}`);
  const frame = await frameOf({ correlationId: KAFKAJS_CORRELATION_ID, clientId: KAFKAJS_CLIENT_ID, request });
  return new Uint8Array(frame.buffer.subarray(4));
}

// How far kafkajs's decoder read into each buffer it was given, so a test can tell that kafkajs
// consumed the whole response body (it never checks that itself).
const readTo = new WeakMap<object, number>();
for (const name of Object.getOwnPropertyNames(Decoder.prototype)) {
  const original = Decoder.prototype[name];
  if (!(name.startsWith('read') || name === 'forward') || typeof original !== 'function') continue;
  Decoder.prototype[name] = function (this: { buffer: Buffer; offset: number }, ...args: unknown[]) {
    const note = () => readTo.set(this.buffer, Math.max(readTo.get(this.buffer) ?? 0, this.offset));
    const out = (original as (...a: unknown[]) => unknown).apply(this, args);
    note();
    return out instanceof Promise ? out.then((v) => (note(), v)) : out;
  };
}

/**
 * kafkajs's decoding of a response body (the bytes after the response header) and how many bytes
 * of it kafkajs read.
 */
export async function kafkajsResponse(api: string, version: number, body: Uint8Array): Promise<{ value: any; bytesRead: number }> {
  const { decode } = require(`kafkajs/src/protocol/requests/${api}/v${version}/response`) as { decode: (b: Buffer) => Promise<unknown> };
  const buffer = Buffer.from(body);
  const value = await decode(buffer);
  return { value, bytesRead: readTo.get(buffer) ?? 0 };
}

type RecordBatchArgs = { records: unknown[]; firstTimestamp: number; maxTimestamp: number; lastOffsetDelta: number; firstOffset?: unknown };
const RecordBatch = require('kafkajs/src/protocol/recordBatch/v0') as { RecordBatch: (a: RecordBatchArgs) => Promise<Encoder> };
const Record = require('kafkajs/src/protocol/recordBatch/record/v0') as (a: object) => unknown;

/** A record batch (magic 2) encoded by kafkajs, for a fetch response to carry. */
export async function kafkajsRecordBatch(values: string[], timestamp: number): Promise<Uint8Array> {
  const records = values.map((value, i) => Record({ offsetDelta: i, timestampDelta: 0, key: Buffer.from(`k${i}`), value: Buffer.from(value) }));
  const batch = await RecordBatch.RecordBatch({ records, firstTimestamp: timestamp, maxTimestamp: timestamp, lastOffsetDelta: values.length - 1 });
  return new Uint8Array(batch.buffer);
}

const RESPONSE_PREFIX_BYTES = 8; // size + correlation id (response header v0)

/** The versions we serve that kafkajs also has (up to kafkajsMax). */
export function versions(apiKey: number, kafkajsMax: number): number[] {
  const r = servedVersionRange(apiKey)!;
  const out: number[] = [];
  for (let v = r.min; v <= Math.min(r.max, kafkajsMax); v++) out.push(v);
  return out;
}

/** kafkajs's request decoded by decodeRequest, its header checked. */
export async function decodedFromKafkajs(api: string, apiKey: number, version: number, args: object): Promise<DecodedRequest> {
  const req = decodeRequest(await kafkajsRequest(api, version, args));
  expect(req.header).toEqual({
    requestApiKey: apiKey, requestApiVersion: version, correlationId: KAFKAJS_CORRELATION_ID, clientId: KAFKAJS_CLIENT_ID,
  });
  return req;
}

/** Our response encoded by encodeResponse and decoded by kafkajs, which must read all of it. */
export async function readByKafkajs(api: string, apiKey: number, version: number, body: object): Promise<any> {
  const frame = encodeResponse({ requestApiKey: apiKey, requestApiVersion: version, correlationId: 7 }, body);
  expect(new DataView(frame.buffer, frame.byteOffset).getInt32(4)).toBe(7);
  const bodyBytes = frame.subarray(RESPONSE_PREFIX_BYTES);
  const { value, bytesRead } = await kafkajsResponse(api, version, bodyBytes);
  expect(bytesRead, `kafkajs ${api} v${version} read the whole body`).toBe(bodyBytes.byteLength);
  return value;
}
