/**
 * A bounds-checking pass over an Arrow IPC stream before apache-arrow reads it. Arrow JS trusts the
 * FlatBuffers metadata: a damaged vector length (say, a schema claiming 2^31 fields) is read from
 * in-range bytes, every element past the end reads as zeros, and the reader builds objects until the
 * heap is gone. A 400-byte request body could kill the server that way. This walks every message of
 * the stream the way Arrow's MessageReader does and checks, with FlatBuffers' own layout rules, that
 * every table, vector and string it will touch lies inside the metadata, that every body buffer lies
 * inside the message body, and that counts and depths stay under fixed limits. Throws a plain Error;
 * `ipcToBatches` turns it into INVALID_ARROW.
 *
 *   stream   := message* [0xFFFFFFFF 0x00000000 | 0x00000000]     (end of stream, or end of bytes)
 *   message  := 0xFFFFFFFF int32 metadataLength | int32 metadataLength (pre-0.15)
 *               metadata (FlatBuffer Message, metadataLength bytes) body (Message.bodyLength bytes)
 *
 * Message slots: 0 version, 1 header_type, 2 header, 3 bodyLength, 4 custom_metadata.
 * Schema: 0 endianness, 1 fields [Field], 2 custom_metadata [KeyValue], 3 features [long].
 * Field: 0 name, 1 nullable, 2 type_type, 3 type, 4 dictionary, 5 children [Field], 6 custom_metadata.
 * DictionaryEncoding: 0 id, 1 indexType (Int). RecordBatch: 0 length, 1 nodes [16-byte struct],
 * 2 buffers [16-byte struct], 3 compression, 4 variadicBufferCounts [long]. DictionaryBatch: 0 id,
 * 1 data (RecordBatch), 2 isDelta. KeyValue: 0 key, 1 value.
 */

/** Limits on what one stream may ask the reader to build. */
export const IPC_MESSAGES_MAX = 100_000;
export const IPC_FIELDS_MAX = 10_000;
export const IPC_FIELD_DEPTH_MAX = 64;
export const IPC_ROWS_MAX = 0x7fffffff;

export const HEADER_SCHEMA = 1;
const HEADER_DICTIONARY_BATCH = 2;
export const HEADER_RECORD_BATCH = 3;
const TYPE_UNION = 14;
const STRUCT_BYTES_NODE = 16;
const STRUCT_BYTES_BUFFER = 16;
export const CONTINUATION = -1;
const FILE_MAGIC = 'ARROW1';

class Bad extends Error {}

function bad(what: string): never {
  throw new Bad(what);
}

/** Bounds-checked reads of one FlatBuffer (a message's metadata). */
export class FlatBuffer {
  private readonly view: DataView;
  tables = 0;

  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private need(pos: number, n: number, what: string): void {
    if (!Number.isInteger(pos) || pos < 0 || pos + n > this.bytes.length) bad(`${what} at ${pos} runs past the ${this.bytes.length}-byte metadata`);
  }

  u8(pos: number): number {
    this.need(pos, 1, 'byte');
    return this.view.getUint8(pos);
  }

  u16(pos: number): number {
    this.need(pos, 2, 'uint16');
    return this.view.getUint16(pos, true);
  }

  i32(pos: number): number {
    this.need(pos, 4, 'int32');
    return this.view.getInt32(pos, true);
  }

  u32(pos: number): number {
    this.need(pos, 4, 'uint32');
    return this.view.getUint32(pos, true);
  }

  i64(pos: number): bigint {
    this.need(pos, 8, 'int64');
    return this.view.getBigInt64(pos, true);
  }

  /** The root table's position. */
  root(): number {
    return this.table(this.u32(0), 'root table');
  }

  /** Checks a table at `pos` and its vtable; returns `pos`. */
  table(pos: number, what: string): number {
    if (++this.tables > IPC_FIELDS_MAX * 8) bad('too many tables in the metadata');
    const vtable = pos - this.i32(pos);
    const vtableBytes = this.u16(vtable);
    const tableBytes = this.u16(vtable + 2);
    if (vtableBytes < 4 || vtableBytes % 2 !== 0) bad(`${what}: vtable size ${vtableBytes}`);
    this.need(vtable, vtableBytes, `${what} vtable`);
    this.need(pos, Math.max(4, tableBytes), what);
    for (let at = vtable + 4; at < vtable + vtableBytes; at += 2) {
      const fieldOffset = this.u16(at);
      if (fieldOffset !== 0 && (fieldOffset < 4 || fieldOffset >= tableBytes)) bad(`${what}: field offset ${fieldOffset} outside its ${tableBytes}-byte table`);
    }
    return pos;
  }

  /** Position of slot `slot` of the table at `pos`, or 0 when absent. */
  field(pos: number, slot: number): number {
    const vtable = pos - this.i32(pos);
    const vtableBytes = this.u16(vtable);
    const at = 4 + slot * 2;
    if (at >= vtableBytes) return 0;
    const offset = this.u16(vtable + at);
    return offset === 0 ? 0 : pos + offset;
  }

  /** Follows the uoffset at `at` (a field holding a table, vector or string). */
  indirect(at: number): number {
    const target = at + this.u32(at);
    this.need(target, 4, 'referenced object');
    return target;
  }

  subTable(pos: number, slot: number, what: string): number {
    const at = this.field(pos, slot);
    return at === 0 ? 0 : this.table(this.indirect(at), what);
  }

  /** A vector's element count after checking that `count * elementBytes` fits. */
  vector(pos: number, slot: number, elementBytes: number, what: string, maxCount: number): { start: number; count: number } {
    const at = this.field(pos, slot);
    if (at === 0) return { start: 0, count: 0 };
    const vec = this.indirect(at);
    const count = this.u32(vec);
    if (count > maxCount) bad(`${what}: ${count} elements, at most ${maxCount}`);
    this.need(vec + 4, count * elementBytes, what);
    return { start: vec + 4, count };
  }

  /** Each element of a vector of tables, checked. */
  tables_(pos: number, slot: number, what: string, maxCount: number): number[] {
    const { start, count } = this.vector(pos, slot, 4, what, maxCount);
    const out: number[] = [];
    for (let i = 0; i < count; i++) out.push(this.table(this.indirect(start + i * 4), `${what}[${i}]`));
    return out;
  }

  string(pos: number, slot: number, what: string): void {
    this.vector(pos, slot, 1, what, this.bytes.length);
  }

  scalarI64(pos: number, slot: number): bigint {
    const at = this.field(pos, slot);
    return at === 0 ? 0n : this.i64(at);
  }
}

function keyValues(fb: FlatBuffer, pos: number, slot: number): void {
  for (const kv of fb.tables_(pos, slot, 'custom metadata', IPC_FIELDS_MAX)) {
    fb.string(kv, 0, 'metadata key');
    fb.string(kv, 1, 'metadata value');
  }
}

function verifyField(fb: FlatBuffer, pos: number, depth: number, count: { fields: number }): void {
  if (depth > IPC_FIELD_DEPTH_MAX) bad(`fields nest deeper than ${IPC_FIELD_DEPTH_MAX}`);
  if (++count.fields > IPC_FIELDS_MAX) bad(`more than ${IPC_FIELDS_MAX} fields`);
  fb.string(pos, 0, 'field name');
  const typeAt = fb.field(pos, 2);
  const typeType = typeAt === 0 ? 0 : fb.u8(typeAt);
  const type = fb.subTable(pos, 3, 'field type');
  if (type !== 0 && typeType === TYPE_UNION) fb.vector(type, 1, 4, 'union type ids', IPC_FIELDS_MAX);
  const dictionary = fb.subTable(pos, 4, 'dictionary encoding');
  if (dictionary !== 0) fb.subTable(dictionary, 1, 'dictionary index type');
  for (const child of fb.tables_(pos, 5, 'field children', IPC_FIELDS_MAX)) verifyField(fb, child, depth + 1, count);
  keyValues(fb, pos, 6);
}

function verifyRecordBatch(fb: FlatBuffer, pos: number, bodyLength: bigint): void {
  const length = fb.scalarI64(pos, 0);
  if (length < 0n || length > BigInt(IPC_ROWS_MAX)) bad(`record batch length ${length}`);
  const nodes = fb.vector(pos, 1, STRUCT_BYTES_NODE, 'field nodes', IPC_FIELDS_MAX);
  for (let i = 0; i < nodes.count; i++) {
    const nodeLength = fb.i64(nodes.start + i * STRUCT_BYTES_NODE);
    const nullCount = fb.i64(nodes.start + i * STRUCT_BYTES_NODE + 8);
    if (nodeLength < 0n || nodeLength > BigInt(IPC_ROWS_MAX) || nullCount < 0n || nullCount > nodeLength) bad(`field node ${i}: length ${nodeLength}, null count ${nullCount}`);
  }
  const buffers = fb.vector(pos, 2, STRUCT_BYTES_BUFFER, 'buffers', IPC_FIELDS_MAX * 4);
  for (let i = 0; i < buffers.count; i++) {
    const offset = fb.i64(buffers.start + i * STRUCT_BYTES_BUFFER);
    const length = fb.i64(buffers.start + i * STRUCT_BYTES_BUFFER + 8);
    if (offset < 0n || length < 0n || offset + length > bodyLength) bad(`buffer ${i} [${offset}, +${length}) outside the ${bodyLength}-byte body`);
  }
  fb.subTable(pos, 3, 'body compression');
  fb.vector(pos, 4, 8, 'variadic buffer counts', IPC_FIELDS_MAX);
}

/** Verifies one message's metadata; returns its body length. Throws a plain Error on bad bytes. */
export function verifyMessage(metadata: Uint8Array, bodyBytesLeft: number): number {
  const fb = new FlatBuffer(metadata);
  const message = fb.root();
  const headerTypeAt = fb.field(message, 1);
  const headerType = headerTypeAt === 0 ? 0 : fb.u8(headerTypeAt);
  const header = fb.subTable(message, 2, 'message header');
  const bodyLength = fb.scalarI64(message, 3);
  if (bodyLength < 0n || bodyLength > BigInt(bodyBytesLeft)) bad(`message body of ${bodyLength} bytes, ${bodyBytesLeft} left`);
  keyValues(fb, message, 4);
  if (header === 0) bad('message without a header');
  if (headerType === HEADER_SCHEMA) {
    const count = { fields: 0 };
    for (const f of fb.tables_(header, 1, 'schema fields', IPC_FIELDS_MAX)) verifyField(fb, f, 1, count);
    keyValues(fb, header, 2);
    fb.vector(header, 3, 8, 'schema features', IPC_FIELDS_MAX);
  } else if (headerType === HEADER_RECORD_BATCH) {
    verifyRecordBatch(fb, header, bodyLength);
  } else if (headerType === HEADER_DICTIONARY_BATCH) {
    const data = fb.subTable(header, 1, 'dictionary data');
    if (data !== 0) verifyRecordBatch(fb, data, bodyLength);
  } else {
    bad(`message header type ${headerType} is not a schema, dictionary or record batch`);
  }
  return Number(bodyLength);
}

/** Throws an Error naming the first problem; returns quietly for a stream Arrow can read safely. */
export function verifyIpcStream(bytes: Uint8Array): void {
  if (bytes.length >= FILE_MAGIC.length && Buffer.from(bytes.subarray(0, FILE_MAGIC.length)).toString('latin1') === FILE_MAGIC) {
    bad('this is the Arrow IPC file format; send the stream format (application/vnd.apache.arrow.stream)');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 0;
  for (let messages = 0; ; messages++) {
    if (messages > IPC_MESSAGES_MAX) bad(`more than ${IPC_MESSAGES_MAX} messages`);
    if (pos + 4 > bytes.length) return;
    let length = view.getInt32(pos, true);
    pos += 4;
    if (length === CONTINUATION) {
      if (pos + 4 > bytes.length) return;
      length = view.getInt32(pos, true);
      pos += 4;
    }
    if (length === 0) return;
    if (length < 0 || length > bytes.length - pos) bad(`message metadata of ${length} bytes at ${pos - 4}, ${bytes.length - pos} left`);
    const body = verifyMessage(bytes.subarray(pos, pos + length), bytes.length - pos - length);
    pos += length + body;
  }
}

