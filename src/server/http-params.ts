import { HTTP_WRITER_ID_MAX } from '../common/writer-ids.js';
import { fail } from '../common/errors.js';

/** Query and header values, checked where they enter. */
export function intParam(raw: unknown, name: string, def: number, min: number, max: number): number {
  if (raw === undefined || raw === '') return def;
  const s = String(raw);
  const n = Number(s);
  if (!/^-?\d{1,16}$/.test(s) || n < min || n > max) fail('INVALID_PARAMETER', `${name} must be an integer from ${min} to ${max}, got '${s.slice(0, 40)}'`);
  return n;
}

export function offsetParam(raw: unknown, name = 'offset'): bigint {
  const s = String(raw ?? '');
  if (!/^\d{1,19}$/.test(s) || BigInt(s) > 2n ** 63n - 1n) fail('INVALID_PARAMETER', `${name} must be a non-negative int64, got '${s.slice(0, 40)}'`);
  return BigInt(s);
}

export function boolParam(raw: unknown, name: string): boolean {
  if (raw === undefined || raw === '' || raw === 'false') return false;
  if (raw === 'true') return true;
  return fail('INVALID_PARAMETER', `${name} must be true or false`);
}

export function bucketParam(raw: unknown): number {
  return intParam(raw, 'bucket', 0, 0, 1_000_000);
}

/** `x-writer-id` and `x-batch-sequence`: both or neither. */
export function writerHeaders(headers: Record<string, unknown>): { writerId: bigint; sequence: number } | undefined {
  const id = headers['x-writer-id'];
  const seq = headers['x-batch-sequence'];
  if (id === undefined && seq === undefined) return undefined;
  if (typeof id !== 'string' || typeof seq !== 'string') fail('INVALID_PARAMETER', 'send x-writer-id and x-batch-sequence together (once each)');
  if (!/^-?\d{1,19}$/.test(id) || BigInt(id) > 2n ** 63n - 1n || BigInt(id) < -(2n ** 63n)) fail('INVALID_PARAMETER', 'x-writer-id must be an int64 in decimal');
  if (BigInt(id) > HTTP_WRITER_ID_MAX) fail('INVALID_PARAMETER', `x-writer-id must be at most ${HTTP_WRITER_ID_MAX}: larger ids are Kafka producer ids`);
  if (!/^\d{1,10}$/.test(seq) || Number(seq) > 2 ** 31 - 1) fail('INVALID_PARAMETER', 'x-batch-sequence must be an integer from 0 to 2147483647');
  return { writerId: BigInt(id), sequence: Number(seq) };
}

export const ARROW_STREAM = 'application/vnd.apache.arrow.stream';

export function wantsArrow(accept: unknown): boolean {
  return typeof accept === 'string' && accept.includes(ARROW_STREAM);
}

/** A view of the bytes as a Buffer for fastify, without copying them. */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
