/**
 * Kafka's record-level integers (ByteUtils.readVarint/readVarlong): zigzag-encoded, then base-128
 * little-endian groups with the high bit meaning "more follows". A varint is an int32 (at most 5
 * bytes), a varlong an int64 (at most 10 bytes); JS numbers carry varlongs up to +-2^52, far beyond
 * any millisecond timestamp delta, and a larger one is refused rather than rounded.
 *
 * The writers take and return a position, so the batch encoder writes them inline into its buffer.
 */
import { RecordBatchError } from './record-batch-error.js';

const VARINT_BYTES_MAX = 5;
const VARLONG_BYTES_MAX = 10;
/** Largest zigzag value whose decoded varlong is a safe integer. */
const VARLONG_ZIGZAG_MAX = 2 ** 53;
const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

/**
 * A bounds-checked read position over `buf[pos, end)`. Reads past `end` and over-long encodings throw
 * RecordBatchError INVALID_RECORD naming `what` was being read: callers set `end` to the enclosing
 * record (or section), so a varint can never run into the next one.
 */
export class ByteCursor {
  constructor(
    readonly buf: Uint8Array,
    public pos: number,
    public end: number,
  ) {}

  get remaining(): number {
    return this.end - this.pos;
  }

  /** A zigzag varint (int32). */
  varint(what: string): number {
    if (this.pos < this.end) {
      const b = this.buf[this.pos]!;
      if (b < 0x80) {
        this.pos++;
        return (b >>> 1) ^ -(b & 1);
      }
    }
    const raw = this.unsignedVarint(what);
    return (raw >>> 1) ^ -(raw & 1);
  }

  /** A zigzag varlong (int64) as a number; refused beyond +-2^52. */
  varlong(what: string): number {
    if (this.pos < this.end) {
      const b = this.buf[this.pos]!;
      if (b < 0x80) {
        this.pos++;
        return (b >>> 1) ^ -(b & 1);
      }
    }
    const start = this.pos;
    let raw = 0;
    for (let i = 0; i < VARLONG_BYTES_MAX; i++) {
      if (this.pos >= this.end) throw cutOff(what, start);
      const b = this.buf[this.pos++]!;
      raw += (b & 0x7f) * 2 ** (7 * i);
      if (b < 0x80) {
        if (raw > VARLONG_ZIGZAG_MAX) throw new RecordBatchError('INVALID_RECORD', `${what} at byte ${start} is beyond +-2^52`);
        return raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2;
      }
    }
    throw new RecordBatchError('INVALID_RECORD', `${what} at byte ${start} is longer than ${VARLONG_BYTES_MAX} bytes`);
  }

  /** `n` bytes as a view of the buffer. */
  bytes(n: number, what: string): Uint8Array {
    const start = this.pos;
    this.skip(n, what);
    return this.buf.subarray(start, this.pos);
  }

  skip(n: number, what: string): void {
    if (n > this.end - this.pos) {
      throw new RecordBatchError('INVALID_RECORD', `${what} of ${n} bytes at byte ${this.pos} runs past its record (${this.end - this.pos} bytes left)`);
    }
    this.pos += n;
  }

  private unsignedVarint(what: string): number {
    const start = this.pos;
    let raw = 0;
    for (let i = 0; i < VARINT_BYTES_MAX; i++) {
      if (this.pos >= this.end) throw cutOff(what, start);
      const b = this.buf[this.pos++]!;
      raw |= (b & 0x7f) << (7 * i);
      if (b < 0x80) return raw >>> 0;
    }
    throw new RecordBatchError('INVALID_RECORD', `${what} at byte ${start} is longer than ${VARINT_BYTES_MAX} bytes`);
  }
}

function cutOff(what: string, at: number): RecordBatchError {
  return new RecordBatchError('INVALID_RECORD', `${what} at byte ${at} runs past the end of its record`);
}

function zigzag32(n: number): number {
  return ((n << 1) ^ (n >> 31)) >>> 0;
}

function sizeOfUnsignedVarint(v: number): number {
  return v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5;
}

export function sizeOfVarint(n: number): number {
  return sizeOfUnsignedVarint(zigzag32(n));
}

export function sizeOfVarlong(n: number): number {
  if (n >= INT32_MIN && n <= INT32_MAX) return sizeOfVarint(n);
  let zz = n >= 0 ? n * 2 : -n * 2 - 1;
  let size = 1;
  while (zz >= 0x80) {
    zz = Math.floor(zz / 0x80);
    size++;
  }
  return size;
}

function writeUnsignedVarint(buf: Uint8Array, pos: number, v: number): number {
  while (v >= 0x80) {
    buf[pos++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buf[pos++] = v;
  return pos;
}

/** Writes `n` (an int32) at `pos`; returns the position after it. */
export function writeVarint(buf: Uint8Array, pos: number, n: number): number {
  return writeUnsignedVarint(buf, pos, zigzag32(n));
}

/** Writes `n` (an integer within +-2^52) at `pos`; returns the position after it. */
export function writeVarlong(buf: Uint8Array, pos: number, n: number): number {
  if (n >= INT32_MIN && n <= INT32_MAX) return writeUnsignedVarint(buf, pos, zigzag32(n));
  let zz = n >= 0 ? n * 2 : -n * 2 - 1;
  while (zz >= 0x80) {
    buf[pos++] = (zz % 0x80) | 0x80;
    zz = Math.floor(zz / 0x80);
  }
  buf[pos++] = zz;
  return pos;
}
