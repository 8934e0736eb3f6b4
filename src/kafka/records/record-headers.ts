/**
 * A record's header section, kept as Kafka encodes it, because lakestream stores exactly these bytes
 * in the `headers` binary column: names, order, duplicates and binary values survive without
 * re-encoding.
 *
 *   headerCount  varint
 *   headerCount times:
 *     keyLength    varint  >= 0
 *     key          keyLength bytes of UTF-8
 *     valueLength  varint  -1 = null
 *     value        valueLength bytes
 */
import { RecordBatchError } from './record-batch-error.js';
import { ByteCursor, sizeOfVarint, writeVarint } from './varint.js';

export interface RecordHeader {
  key: string;
  value: Uint8Array | null;
}

/** A header takes at least its two length varints. */
const HEADER_BYTES_MIN = 2;

const utf8Decoder = new TextDecoder(); // replaces malformed UTF-8 as Java's String decoding does
const utf8Encoder = new TextEncoder();

/**
 * Walks the header section at the cursor, checking every length against the bytes left, and leaves
 * the cursor after it. Returns the header count.
 */
export function skipHeaderSection(cursor: ByteCursor): number {
  const count = cursor.varint('header count');
  if (count < 0 || count > cursor.remaining / HEADER_BYTES_MIN) {
    throw new RecordBatchError('INVALID_RECORD', `header count ${count} does not fit in the ${cursor.remaining} bytes left of its record`);
  }
  for (let i = 0; i < count; i++) {
    const keyLength = cursor.varint('header key length');
    if (keyLength < 0) throw new RecordBatchError('INVALID_RECORD', `header ${i} has key length ${keyLength}`);
    cursor.skip(keyLength, 'header key');
    const valueLength = cursor.varint('header value length');
    if (valueLength < -1) throw new RecordBatchError('INVALID_RECORD', `header ${i} has value length ${valueLength}`);
    if (valueLength > 0) cursor.skip(valueLength, 'header value');
  }
  return count;
}

/** The headers of a raw section (null: none); values are views of `raw`. */
export function decodeHeaders(raw: Uint8Array | null): RecordHeader[] {
  if (raw === null) return [];
  const cursor = new ByteCursor(raw, 0, raw.length);
  skipHeaderSection(cursor);
  if (cursor.pos !== raw.length) throw new RecordBatchError('INVALID_RECORD', `${raw.length - cursor.pos} bytes after the header section`);
  cursor.pos = 0;
  const count = cursor.varint('header count');
  const headers: RecordHeader[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const key = utf8Decoder.decode(cursor.bytes(cursor.varint('header key length'), 'header key'));
    const valueLength = cursor.varint('header value length');
    headers[i] = { key, value: valueLength === -1 ? null : cursor.bytes(valueLength, 'header value') };
  }
  return headers;
}

/** The raw section for `headers`, or null for none (what decoding a record without headers gives). */
export function encodeHeaders(headers: readonly RecordHeader[]): Uint8Array | null {
  if (headers.length === 0) return null;
  const keys = headers.map((h) => utf8Encoder.encode(h.key));
  let size = sizeOfVarint(headers.length);
  for (let i = 0; i < headers.length; i++) {
    const value = headers[i]!.value;
    size += sizeOfVarint(keys[i]!.length) + keys[i]!.length + (value === null ? sizeOfVarint(-1) : sizeOfVarint(value.length) + value.length);
  }
  const out = new Uint8Array(size);
  let pos = writeVarint(out, 0, headers.length);
  for (let i = 0; i < headers.length; i++) {
    const key = keys[i]!;
    const value = headers[i]!.value;
    pos = writeVarint(out, pos, key.length);
    out.set(key, pos);
    pos += key.length;
    pos = writeVarint(out, pos, value === null ? -1 : value.length);
    if (value !== null) {
      out.set(value, pos);
      pos += value.length;
    }
  }
  return out;
}
