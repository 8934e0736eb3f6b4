import { Buffer, isUtf8 } from 'node:buffer';
import { fail } from '../common/errors.js';
import { valueToJson } from '../common/json-values.js';
import type { Column, ColumnType } from '../common/schema.js';
import { locateRowValues, readSafeInt64, rowShape, type RowShape } from './row-codec.js';

/**
 * A JSON array of stored rows, written straight from their bytes: no Row objects, no string
 * decoding, no JSON.stringify. Each element is exactly `JSON.stringify(rowToJson(columns, row))`
 * of the decoded row, or `null` for a missing one (the tests hold it to that):
 *
 *   strings      UTF-8 copied through (JSON text is UTF-8); `"`, `\` and control characters escaped
 *                as JSON.stringify escapes them
 *   int64        a number when it is a safe integer, else a decimal string (never rounded)
 *   floats       as JavaScript prints them; NaN and the infinities as strings
 *   date, binary through valueToJson (rare; their text must match the JSON API exactly)
 *
 * The whole text is checked to be UTF-8 once at the end: the strings sit between ASCII quotes, so
 * that one pass finds an invalid string anywhere (a corrupt row is an INTERNAL error, as in decodeRow).
 */
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const SHORT_ESCAPES: Record<number, number> = { 0x08: 0x62, 0x09: 0x74, 0x0a: 0x6e, 0x0c: 0x66, 0x0d: 0x72 };
const HEX = '0123456789abcdef';
/** 1 for the bytes JSON.stringify escapes: control characters, `"` and `\`. */
const ESCAPED = Uint8Array.from({ length: 256 }, (_, b) => (b < 0x20 || b === QUOTE || b === BACKSLASH ? 1 : 0));

/** Value kinds, as numbers so the per-row loop switches on them. */
const KINDS: Record<ColumnType, number> = {
  boolean: 0, int8: 1, int16: 2, int32: 3, timestamp: 4, int64: 5, float32: 6, float64: 7, string: 8, date: 9, binary: 10,
};

export class StoredRowsJsonWriter {
  private out: Buffer;
  private pos = 0;
  private rows = 0;
  private readonly shape: RowShape;
  private readonly kinds: Uint8Array;
  private readonly at: Int32Array;
  private readonly len: Int32Array;
  /** `{"a":` for the first column, `,"b":` for the others. */
  private readonly names: Uint8Array[];
  private readonly scratch = new Uint8Array(8);
  private readonly f64 = new Float64Array(this.scratch.buffer);
  private readonly f32 = new Float32Array(this.scratch.buffer, 0, 1);

  /** `open` and `close` wrap the array, e.g. `{"rows":[` and `]}`. */
  constructor(private readonly columns: readonly Column[], open: string, private readonly close: string, sizeHintBytes = 4096) {
    this.shape = rowShape(columns);
    this.kinds = Uint8Array.from(columns, (c) => KINDS[c.type]);
    this.at = new Int32Array(columns.length);
    this.len = new Int32Array(columns.length);
    this.names = columns.map((c, i) => Buffer.from(`${i === 0 ? '{' : ','}${JSON.stringify(c.name)}:`));
    this.out = Buffer.allocUnsafe(Math.max(64, sizeHintBytes));
    this.ascii(open);
  }

  /** Appends one row from its stored bytes (only read now, so a borrowed LMDB buffer is fine), or null. */
  add(stored: Uint8Array | undefined): void {
    if (this.rows++ > 0) this.byte(0x2c);
    if (stored === undefined) {
      this.ascii('null');
      return;
    }
    locateRowValues(this.shape, stored, this.at, this.len);
    for (let i = 0; i < this.columns.length; i++) {
      this.bytes(this.names[i]!);
      if (this.at[i]! < 0) this.ascii('null');
      else this.value(this.kinds[i]!, stored, this.at[i]!, this.len[i]!);
    }
    this.byte(0x7d);
  }

  /** The finished text; the writer is not used after this. */
  finish(): Buffer {
    this.ascii(this.close);
    const text = this.out.subarray(0, this.pos);
    if (!isUtf8(text)) fail('INTERNAL', 'corrupt stored row: a string is not valid UTF-8');
    return text;
  }

  private value(kind: number, src: Uint8Array, pos: number, length: number): void {
    switch (kind) {
      case KINDS.boolean: return this.ascii(src[pos] === 1 ? 'true' : 'false');
      case KINDS.int8: return this.integer((src[pos]! << 24) >> 24);
      case KINDS.int16: return this.integer(((src[pos]! | (src[pos + 1]! << 8)) << 16) >> 16);
      case KINDS.int32: return this.integer(src[pos]! | (src[pos + 1]! << 8) | (src[pos + 2]! << 16) | (src[pos + 3]! << 24));
      case KINDS.timestamp: return this.integer(readSafeInt64(src, pos));
      case KINDS.int64: return this.int64(src, pos);
      case KINDS.float32: return this.float(this.readFloat(src, pos, 4));
      case KINDS.float64: return this.float(this.readFloat(src, pos, 8));
      case KINDS.string: return this.string(src, pos, length);
      case KINDS.date: return this.ascii(JSON.stringify(valueToJson('date', readSafeInt64(src, pos))));
      default: return this.ascii(JSON.stringify(valueToJson('binary', src.subarray(pos, pos + length))));
    }
  }

  private int64(src: Uint8Array, pos: number): void {
    const v = readSafeInt64(src, pos);
    if (!Number.isNaN(v)) return this.integer(v);
    const big = Buffer.from(src.buffer, src.byteOffset + pos, 8).readBigInt64LE();
    this.ascii(`"${big}"`);
  }

  private readFloat(src: Uint8Array, pos: number, size: 4 | 8): number {
    for (let k = 0; k < size; k++) this.scratch[k] = src[pos + k]!;
    return size === 4 ? this.f32[0]! : this.f64[0]!;
  }

  private float(v: number): void {
    // An integral float prints as its digits (String(3) is "3", String(-0) is "0"): skip making a string.
    if (Number.isSafeInteger(v)) this.integer(v);
    else if (Number.isFinite(v)) this.ascii(String(v));
    else this.ascii(`"${v}"`);
  }

  /** A safe integer in decimal, written digit by digit (no string made). */
  private integer(v: number): void {
    this.ensure(17);
    if (v < 0) {
      this.out[this.pos++] = 0x2d;
      v = -v;
    }
    let digits = 1;
    for (let t = v; t >= 10; t = Math.floor(t / 10)) digits++;
    this.pos += digits;
    let p = this.pos;
    do {
      const q = Math.floor(v / 10);
      this.out[--p] = 0x30 + (v - q * 10);
      v = q;
    } while (v > 0);
  }

  private string(src: Uint8Array, pos: number, length: number): void {
    // Worst case: every byte a \u00XX escape.
    this.ensure(length * 6 + 2);
    const out = this.out;
    let p = this.pos;
    out[p++] = QUOTE;
    for (let k = pos, end = pos + length; k < end; k++) {
      const b = src[k]!;
      if (ESCAPED[b] === 0) {
        out[p++] = b;
        continue;
      }
      out[p++] = BACKSLASH;
      const short = b === QUOTE || b === BACKSLASH ? b : SHORT_ESCAPES[b];
      if (short !== undefined) {
        out[p++] = short;
        continue;
      }
      out[p++] = 0x75; // \u00XX
      out[p++] = 0x30;
      out[p++] = 0x30;
      out[p++] = HEX.charCodeAt(b >> 4);
      out[p++] = HEX.charCodeAt(b & 15);
    }
    out[p++] = QUOTE;
    this.pos = p;
  }

  private ascii(text: string): void {
    this.ensure(text.length);
    for (let k = 0; k < text.length; k++) this.out[this.pos++] = text.charCodeAt(k);
  }

  private byte(b: number): void {
    this.ensure(1);
    this.out[this.pos++] = b;
  }

  private bytes(src: Uint8Array): void {
    this.ensure(src.length);
    for (let k = 0; k < src.length; k++) this.out[this.pos + k] = src[k]!;
    this.pos += src.length;
  }

  private ensure(extra: number): void {
    if (this.pos + extra <= this.out.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.out.length * 2, this.pos + extra));
    this.out.copy(next, 0, 0, this.pos);
    this.out = next;
  }
}
