/**
 * Kafka's wire primitives (big-endian): fixed-width integers, zig-zag varints, strings and byte
 * strings with an int16/int32 length (classic) or an unsigned-varint length + 1 (compact, flexible
 * versions), 16-byte uuids, array counts and tagged-field sections.
 *
 * `KafkaReader` reads a client's bytes, so every length or count is checked against the bytes that
 * remain before anything is allocated or looped over: a frame can never make us allocate more than
 * its own size. Byte strings come back as views into the frame (no copy): they are valid as long as
 * the frame is. `KafkaWriter` writes into a list of chunks; large `raw` byte runs (record sets) are
 * kept by reference and copied once, by `finish`.
 */

/** A malformed frame: `offset` is where in the input reading failed, `path` the field being read. */
export class KafkaProtocolError extends Error {
  override readonly name: string = 'KafkaProtocolError';
  readonly path: string[] = [];

  constructor(readonly reason: string, readonly offset: number) {
    super(`${reason} at byte ${offset}`);
  }

  /** Called by the codec as the error leaves each field, so the message names the full field path. */
  within(field: string): this {
    this.path.unshift(field);
    this.message = `${this.reason} at byte ${this.offset} (in ${this.path.join('.')})`;
    return this;
  }
}

const UVARINT32_BYTES_MAX = 5;
const VARLONG_BYTES_MAX = 10;
const INT16_MAX = 0x7fff;
const INT32_MAX = 0x7fffffff;

export class KafkaReader {
  private readonly view: DataView;
  private readonly text: Buffer;
  private pos: number;

  constructor(private readonly input: Uint8Array, offset = 0, private readonly end = input.byteLength) {
    this.view = new DataView(input.buffer, input.byteOffset, input.byteLength);
    this.text = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
    this.pos = offset;
  }

  get offset(): number { return this.pos; }
  get remaining(): number { return this.end - this.pos; }

  private fail(reason: string, at = this.pos): never {
    throw new KafkaProtocolError(reason, at);
  }

  private take(n: number, what: string): number {
    if (n > this.end - this.pos) this.fail(`${what} needs ${n} bytes, ${this.end - this.pos} remain`);
    const at = this.pos;
    this.pos += n;
    return at;
  }

  int8(): number { return this.view.getInt8(this.take(1, 'int8')); }
  int16(): number { return this.view.getInt16(this.take(2, 'int16')); }
  uint16(): number { return this.view.getUint16(this.take(2, 'uint16')); }
  int32(): number { return this.view.getInt32(this.take(4, 'int32')); }
  uint32(): number { return this.view.getUint32(this.take(4, 'uint32')); }
  int64(): bigint { return this.view.getBigInt64(this.take(8, 'int64')); }
  float64(): number { return this.view.getFloat64(this.take(8, 'float64')); }
  /** Kafka reads any non-zero byte as true. */
  bool(): boolean { return this.view.getInt8(this.take(1, 'bool')) !== 0; }

  uvarint(): number {
    const start = this.pos;
    let value = 0;
    for (let i = 0; i < UVARINT32_BYTES_MAX; i++) {
      const b = this.input[this.take(1, 'varint')]!;
      value += (b & 0x7f) * 2 ** (7 * i);
      if ((b & 0x80) === 0) {
        if (value > 0xffffffff) this.fail('unsigned varint exceeds 32 bits', start);
        return value;
      }
    }
    return this.fail(`unsigned varint longer than ${UVARINT32_BYTES_MAX} bytes`, start);
  }

  varint(): number {
    const u = this.uvarint();
    return (u >>> 1) ^ -(u & 1);
  }

  varlong(): bigint {
    const start = this.pos;
    let value = 0n;
    for (let i = 0; i < VARLONG_BYTES_MAX; i++) {
      const b = this.input[this.take(1, 'varlong')]!;
      value |= BigInt(b & 0x7f) << BigInt(7 * i);
      if ((b & 0x80) === 0) return BigInt.asIntN(64, (value >> 1n) ^ -(value & 1n));
    }
    return this.fail(`varlong longer than ${VARLONG_BYTES_MAX} bytes`, start);
  }

  uuid(): Uint8Array { return this.raw(16); }

  /** A view of the next `n` bytes. */
  raw(n: number): Uint8Array {
    const at = this.take(n, 'bytes');
    return this.input.subarray(at, at + n);
  }

  skip(n: number): void { this.take(n, 'skipped bytes'); }

  /** A reader over the next `n` bytes only; this reader moves past them. */
  sub(n: number): KafkaReader {
    const at = this.take(n, 'section');
    return new KafkaReader(this.input, at, at + n);
  }

  /** Length of a string or byte string, -1 for null; `compact` is the flexible-version encoding. */
  private length(compact: boolean, wide: boolean, nullable: boolean, what: string): number {
    const at = this.pos;
    const n = compact ? this.uvarint() - 1 : wide ? this.int32() : this.int16();
    if (n < -1) this.fail(`negative ${what} length ${n}`, at);
    if (n === -1 && !nullable) this.fail(`null in a non-nullable ${what}`, at);
    if (n > this.remaining) this.fail(`${what} of ${n} bytes, ${this.remaining} remain`, at);
    return n;
  }

  string(compact: boolean, nullable: boolean): string | null {
    const n = this.length(compact, false, nullable, 'string');
    if (n === -1) return null;
    const at = this.take(n, 'string');
    return this.text.toString('utf8', at, at + n);
  }

  bytes(compact: boolean, nullable: boolean): Uint8Array | null {
    const n = this.length(compact, true, nullable, 'bytes');
    return n === -1 ? null : this.raw(n);
  }

  /**
   * An array's element count, -1 for null. Each element takes at least `elementBytesMin` bytes, so a
   * count the remaining bytes cannot hold is refused before any element is read or allocated.
   */
  arrayCount(compact: boolean, nullable: boolean, elementBytesMin: number): number {
    const at = this.pos;
    const n = compact ? this.uvarint() - 1 : this.int32();
    if (n < -1) this.fail(`negative array count ${n}`, at);
    if (n === -1) {
      if (!nullable) this.fail('null in a non-nullable array', at);
      return -1;
    }
    if (n * Math.max(1, elementBytesMin) > this.remaining) {
      this.fail(`array of ${n} elements (>= ${elementBytesMin} bytes each), ${this.remaining} bytes remain`, at);
    }
    return n;
  }

  /**
   * A tagged-field section: `onTag` gets each field's tag and a reader bounded to its data; a tag it
   * does not know it ignores, and the section is skipped past whatever `onTag` read.
   */
  taggedFields(onTag: (tag: number, data: KafkaReader) => void): void {
    const count = this.uvarint();
    // Each tagged field takes at least two bytes (tag and size).
    if (count * 2 > this.remaining) this.fail(`${count} tagged fields, ${this.remaining} bytes remain`);
    for (let i = 0; i < count; i++) {
      const tag = this.uvarint();
      const size = this.uvarint();
      onTag(tag, this.sub(size));
    }
  }
}

const CHUNK_BYTES_MIN = 4096;
const CHUNK_BYTES_MAX = 1 << 20;
/** Byte runs at least this long are kept by reference rather than copied into the current chunk. */
const RAW_BY_REFERENCE_BYTES_MIN = 1024;

export class KafkaWriter {
  private readonly chunks: Uint8Array[] = [];
  private chunkedBytes = 0;
  private buf: Buffer;
  private view: DataView;
  private pos = 0;

  constructor(sizeHint = CHUNK_BYTES_MIN) {
    this.buf = Buffer.allocUnsafe(Math.max(16, sizeHint));
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  }

  get length(): number { return this.chunkedBytes + this.pos; }

  private flush(): void {
    if (this.pos === 0) return;
    this.chunks.push(this.buf.subarray(0, this.pos));
    this.chunkedBytes += this.pos;
    this.buf = this.buf.subarray(this.pos);
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
    this.pos = 0;
  }

  /** Reserves `n` bytes and returns where they start. It may replace `buf` and `view`: read them after. */
  private room(n: number): number {
    if (this.pos + n > this.buf.byteLength) {
      this.flush();
      if (n > this.buf.byteLength) {
        const size = Math.max(n, Math.min(CHUNK_BYTES_MAX, Math.max(CHUNK_BYTES_MIN, this.length)));
        this.buf = Buffer.allocUnsafe(size);
        this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
      }
    }
    const at = this.pos;
    this.pos += n;
    return at;
  }

  int8(v: number): void { const at = this.room(1); this.view.setInt8(at, v); }
  int16(v: number): void { const at = this.room(2); this.view.setInt16(at, v); }
  uint16(v: number): void { const at = this.room(2); this.view.setUint16(at, v); }
  int32(v: number): void { const at = this.room(4); this.view.setInt32(at, v); }
  uint32(v: number): void { const at = this.room(4); this.view.setUint32(at, v); }
  int64(v: bigint | number): void { const at = this.room(8); this.view.setBigInt64(at, BigInt(v)); }
  float64(v: number): void { const at = this.room(8); this.view.setFloat64(at, v); }
  bool(v: boolean): void { const at = this.room(1); this.view.setInt8(at, v ? 1 : 0); }

  uvarint(v: number): void {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new RangeError(`uvarint out of range: ${v}`);
    let rest = v;
    while (rest >= 0x80) {
      const at = this.room(1);
      this.buf[at] = (rest & 0x7f) | 0x80;
      rest = Math.floor(rest / 128);
    }
    const at = this.room(1);
    this.buf[at] = rest;
  }

  varint(v: number): void { this.uvarint(((v << 1) ^ (v >> 31)) >>> 0); }

  varlong(v: bigint): void {
    let rest = BigInt.asUintN(64, (v << 1n) ^ (v >> 63n));
    while (rest >= 0x80n) {
      const at = this.room(1);
      this.buf[at] = Number(rest & 0x7fn) | 0x80;
      rest >>= 7n;
    }
    const at = this.room(1);
    this.buf[at] = Number(rest);
  }

  uuid(v: Uint8Array): void {
    if (v.byteLength !== 16) throw new RangeError(`uuid of ${v.byteLength} bytes`);
    this.raw(v);
  }

  raw(bytes: Uint8Array): void {
    if (bytes.byteLength >= RAW_BY_REFERENCE_BYTES_MIN) {
      this.flush();
      this.chunks.push(bytes);
      this.chunkedBytes += bytes.byteLength;
      return;
    }
    const at = this.room(bytes.byteLength);
    this.buf.set(bytes, at);
  }

  private lengthPrefix(n: number, compact: boolean, wide: boolean): void {
    if (compact) this.uvarint(n + 1);
    else if (wide) this.int32(n);
    else this.int16(n);
  }

  string(v: string | null, compact: boolean): void {
    if (v === null) return this.lengthPrefix(-1, compact, false);
    const n = Buffer.byteLength(v, 'utf8');
    if (n > INT16_MAX) throw new RangeError(`string of ${n} bytes exceeds Kafka's ${INT16_MAX}`);
    this.lengthPrefix(n, compact, false);
    const at = this.room(n);
    this.buf.write(v, at, n, 'utf8');
  }

  bytes(v: Uint8Array | null, compact: boolean): void {
    if (v === null) return this.lengthPrefix(-1, compact, true);
    this.lengthPrefix(v.byteLength, compact, true);
    this.raw(v);
  }

  /** Several byte runs written as one byte string (a record set passed as stored views). */
  bytesChunks(chunks: readonly Uint8Array[], compact: boolean): void {
    let n = 0;
    for (const c of chunks) n += c.byteLength;
    if (n > INT32_MAX) throw new RangeError(`byte string of ${n} bytes`);
    this.lengthPrefix(n, compact, true);
    for (const c of chunks) this.raw(c);
  }

  arrayCount(n: number, compact: boolean): void { this.lengthPrefix(n, compact, true); }

  /** Everything written, in one buffer. The writer must not be used afterwards. */
  finish(): Uint8Array {
    if (this.chunks.length === 0) return this.buf.subarray(0, this.pos);
    this.flush();
    const out = Buffer.allocUnsafe(this.chunkedBytes);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.byteLength;
    }
    return out;
  }
}
