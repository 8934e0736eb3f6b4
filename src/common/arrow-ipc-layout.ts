/**
 * The byte layout of an Arrow IPC stream holding one record batch (what a stored log batch carries):
 * which field owns which body buffers, read from the FlatBuffers metadata alone, so a projected read
 * fetches only the byte ranges of the fields it needs (as Fluss's FileLogProjection does). Beside it,
 * the encoder of the messages a response is assembled from, so both sides of the framing live here.
 *
 *   message := 0xFFFFFFFF int32 paddedMetadataLength metadata padding body
 *
 * Buffers per field, in body order: validity then data for fixed-width types and booleans; validity,
 * offsets, data for utf8 and binary. Other types (nested, dictionary, compressed bodies) are not
 * ours to store; `readIpcBatchLayout` reports them as unsupported and callers decode the stream whole.
 */
import type * as A from 'apache-arrow';
import { BufferRegion, FieldNode, Message, RecordBatch as RecordBatchHeader } from 'apache-arrow/ipc/metadata/message';
import { CONTINUATION, FlatBuffer, HEADER_RECORD_BATCH, HEADER_SCHEMA, verifyMessage } from './arrow-ipc-verify.js';

export interface IpcField {
  readonly name: string;
  /** Index of the field's first buffer in `IpcBatchLayout.buffers`. */
  readonly firstBuffer: number;
  readonly bufferCount: number;
}

export interface IpcRegion {
  readonly offset: number;
  readonly length: number;
}

export interface IpcBatchLayout {
  readonly fields: readonly IpcField[];
  readonly length: number;
  readonly nullCounts: readonly number[];
  /** Relative to the body. */
  readonly buffers: readonly IpcRegion[];
  /** Position of the record batch body in the stream. */
  readonly bodyStart: number;
  readonly bodyLength: number;
}

export type LayoutRead =
  | { kind: 'layout'; layout: IpcBatchLayout }
  | { kind: 'need'; bytes: number } // the metadata runs past the prefix: read this many bytes
  | { kind: 'unsupported'; reason: string };

/** FlatBuffers `Type` ids of the types we store, and how many body buffers each has. */
const BUFFERS_BY_TYPE = new Map<number, number>([
  [2, 2], // Int
  [3, 2], // FloatingPoint
  [4, 3], // Binary
  [5, 3], // Utf8
  [6, 2], // Bool
  [8, 2], // Date
  [10, 2], // Timestamp
]);
const MESSAGE_PREFIX_BYTES = 8;
const NODE_BYTES = 16;
const BUFFER_BYTES = 16;

interface Framed {
  metadata: Uint8Array;
  next: number; // position after the metadata (where the body starts)
}

/** The message framed at `pos`, or how many bytes of prefix it needs. */
function framedAt(bytes: Uint8Array, pos: number): Framed | { need: number } {
  if (pos + MESSAGE_PREFIX_BYTES > bytes.length) return { need: pos + MESSAGE_PREFIX_BYTES };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getInt32(pos, true) !== CONTINUATION) throw new Error(`no message continuation marker at ${pos}`);
  const length = view.getInt32(pos + 4, true);
  if (length <= 0) throw new Error(`message metadata length ${length} at ${pos}`);
  const next = pos + MESSAGE_PREFIX_BYTES + length;
  if (next > bytes.length) return { need: next };
  return { metadata: bytes.subarray(pos + MESSAGE_PREFIX_BYTES, next), next };
}

function headerOf(fb: FlatBuffer): { type: number; header: number; bodyLength: number } {
  const message = fb.root();
  const typeAt = fb.field(message, 1);
  return { type: typeAt === 0 ? 0 : fb.u8(typeAt), header: fb.subTable(message, 2, 'message header'), bodyLength: Number(fb.scalarI64(message, 3)) };
}

function schemaFields(metadata: Uint8Array): { fields: IpcField[] } | { unsupported: string } {
  const fb = new FlatBuffer(metadata);
  const { type, header } = headerOf(fb);
  if (type !== HEADER_SCHEMA) throw new Error(`first message is of type ${type}, not a schema`);
  const fields: IpcField[] = [];
  let firstBuffer = 0;
  for (const f of fb.tables_(header, 1, 'schema fields', Number.MAX_SAFE_INTEGER)) {
    const nameAt = fb.field(f, 0);
    const name = nameAt === 0 ? '' : readString(fb, metadata, fb.indirect(nameAt));
    const typeAt = fb.field(f, 2);
    const typeId = typeAt === 0 ? 0 : fb.u8(typeAt);
    const bufferCount = BUFFERS_BY_TYPE.get(typeId);
    if (bufferCount === undefined) return { unsupported: `field '${name}' has Arrow type id ${typeId}` };
    if (fb.subTable(f, 4, 'dictionary') !== 0 || fb.vector(f, 5, 4, 'children', 1).count !== 0) return { unsupported: `field '${name}' is dictionary-encoded or nested` };
    fields.push({ name, firstBuffer, bufferCount });
    firstBuffer += bufferCount;
  }
  return { fields };
}

/** A string `verifyMessage` has already bounds-checked. */
function readString(fb: FlatBuffer, bytes: Uint8Array, at: number): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset + at + 4, fb.u32(at)).toString('utf8');
}

/**
 * Reads the layout from a prefix of the stream (`streamLength` is the whole stream's size); the
 * bodies need not be in `prefix`. Throws a plain Error when the bytes are not a well-formed stream.
 */
export function readIpcBatchLayout(prefix: Uint8Array, streamLength: number): LayoutRead {
  const schema = framedAt(prefix, 0);
  if ('need' in schema) return { kind: 'need', bytes: schema.need };
  if (verifyMessage(schema.metadata, streamLength - schema.next) !== 0) throw new Error('the schema message has a body');
  const batch = framedAt(prefix, schema.next);
  if ('need' in batch) return { kind: 'need', bytes: batch.need };
  const bodyLength = verifyMessage(batch.metadata, streamLength - batch.next);
  const parsed = schemaFields(schema.metadata);
  if ('unsupported' in parsed) return { kind: 'unsupported', reason: parsed.unsupported };
  const fb = new FlatBuffer(batch.metadata);
  const { type, header } = headerOf(fb);
  if (type !== HEADER_RECORD_BATCH) throw new Error(`second message is of type ${type}, not a record batch`);
  if (fb.subTable(header, 3, 'body compression') !== 0) return { kind: 'unsupported', reason: 'the body uses Arrow buffer compression' };
  const length = Number(fb.scalarI64(header, 0));
  const nodes = fb.vector(header, 1, NODE_BYTES, 'field nodes', Number.MAX_SAFE_INTEGER);
  const buffers = fb.vector(header, 2, BUFFER_BYTES, 'buffers', Number.MAX_SAFE_INTEGER);
  const fields = parsed.fields;
  const bufferTotal = fields.reduce((n, f) => n + f.bufferCount, 0);
  if (nodes.count !== fields.length || buffers.count !== bufferTotal) {
    throw new Error(`${nodes.count} field nodes and ${buffers.count} buffers for ${fields.length} fields needing ${bufferTotal}`);
  }
  const nullCounts: number[] = [];
  for (let i = 0; i < nodes.count; i++) {
    if (Number(fb.i64(nodes.start + i * NODE_BYTES)) !== length) throw new Error(`field ${i} length differs from the batch length ${length}`);
    nullCounts.push(Number(fb.i64(nodes.start + i * NODE_BYTES + 8)));
  }
  const regions: IpcRegion[] = [];
  for (let i = 0; i < buffers.count; i++) {
    regions.push({ offset: Number(fb.i64(buffers.start + i * BUFFER_BYTES)), length: Number(fb.i64(buffers.start + i * BUFFER_BYTES + 8)) });
  }
  return { kind: 'layout', layout: { fields, length, nullCounts, buffers: regions, bodyStart: batch.next, bodyLength } };
}

/** Frames FlatBuffers metadata as an IPC message prefix, padded to 8 bytes. */
function frame(flatbuffer: Uint8Array): Uint8Array {
  const size = (flatbuffer.length + MESSAGE_PREFIX_BYTES + 7) & ~7;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  view.setInt32(0, CONTINUATION, true);
  view.setInt32(4, size - MESSAGE_PREFIX_BYTES, true);
  out.set(flatbuffer, MESSAGE_PREFIX_BYTES);
  return out;
}

export function encodeSchemaMessage(schema: A.Schema): Uint8Array {
  return frame(Message.encode(Message.from(schema)));
}

/** The metadata of a record batch message; its body (the buffers, each 8-byte aligned) follows it. */
export function encodeRecordBatchMessage(length: number, nullCounts: readonly number[], buffers: readonly IpcRegion[], bodyLength: number): Uint8Array {
  const header = new RecordBatchHeader(
    length,
    nullCounts.map((n) => new FieldNode(length, n)),
    buffers.map((b) => new BufferRegion(b.offset, b.length)),
    null,
  );
  return frame(Message.encode(Message.from(header, bodyLength)));
}

export const IPC_END_OF_STREAM = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0);
