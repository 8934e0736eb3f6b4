import { describe, expect, test } from 'vitest';
import { seededRandom } from '../../../src/common/seeded-random.js';
import { KafkaProtocolError, KafkaReader, KafkaWriter } from '../../../src/kafka/protocol/primitives.js';

function written(f: (w: KafkaWriter) => void): number[] {
  const w = new KafkaWriter(16);
  f(w);
  return [...w.finish()];
}

describe('primitives', () => {
  // Vectors from the protocol's definition of (unsigned) varints and zig-zag encoding.
  const UVARINTS: [number, number[]][] = [[0, [0]], [1, [1]], [127, [0x7f]], [128, [0x80, 1]], [300, [0xac, 2]], [0xffffffff, [0xff, 0xff, 0xff, 0xff, 0x0f]]];
  const VARINTS: [number, number[]][] = [[0, [0]], [-1, [1]], [1, [2]], [-64, [0x7f]], [64, [0x80, 1]], [-2147483648, [0xff, 0xff, 0xff, 0xff, 0x0f]], [2147483647, [0xfe, 0xff, 0xff, 0xff, 0x0f]]];
  const VARLONGS: [bigint, number[]][] = [[0n, [0]], [-1n, [1]], [63n, [0x7e]], [-(2n ** 63n), [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1]]];

  test('primitives: unsigned varints, varints and varlongs match the known encodings both ways', () => {
    for (const [v, bytes] of UVARINTS) {
      expect(written((w) => w.uvarint(v))).toEqual(bytes);
      expect(new KafkaReader(Uint8Array.from(bytes)).uvarint()).toBe(v);
    }
    for (const [v, bytes] of VARINTS) {
      expect(written((w) => w.varint(v))).toEqual(bytes);
      expect(new KafkaReader(Uint8Array.from(bytes)).varint()).toBe(v);
    }
    for (const [v, bytes] of VARLONGS) {
      expect(written((w) => w.varlong(v))).toEqual(bytes);
      expect(new KafkaReader(Uint8Array.from(bytes)).varlong()).toBe(v);
    }
  });

  test('primitives: over-long or overflowing varints are refused', () => {
    expect(() => new KafkaReader(Uint8Array.of(0x80, 0x80, 0x80, 0x80, 0x80, 0)).uvarint()).toThrow(/longer than 5/);
    expect(() => new KafkaReader(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0x1f)).uvarint()).toThrow(/exceeds 32 bits/);
    expect(() => new KafkaReader(Uint8Array.from(new Array(11).fill(0x80))).varlong()).toThrow(/longer than 10/);
    expect(() => new KafkaReader(Uint8Array.of(0x80)).uvarint()).toThrow(KafkaProtocolError);
  });

  test('primitives: fixed-width integers are big-endian', () => {
    expect(written((w) => { w.int16(-2); w.int32(0x01020304); w.int64(-2n); w.uint16(0xfffe); w.uint32(0xfffffffe); })).toEqual([
      0xff, 0xfe, 1, 2, 3, 4, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe, 0xff, 0xfe, 0xff, 0xff, 0xff, 0xfe,
    ]);
    const r = new KafkaReader(Uint8Array.of(0xff, 0xfe, 0, 0, 0, 0, 0, 0, 0, 9, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0, 2));
    expect([r.int16(), r.int64(), r.float64(), r.bool(), r.remaining]).toEqual([-2, 9n, 1, true, 0]);
  });

  test('primitives: strings and bytes, classic and compact, nullable only when asked', () => {
    expect(written((w) => w.string('hé', false))).toEqual([0, 3, 0x68, 0xc3, 0xa9]);
    expect(written((w) => w.string('hé', true))).toEqual([4, 0x68, 0xc3, 0xa9]);
    expect(written((w) => { w.string(null, false); w.string(null, true); w.bytes(null, false); w.bytes(null, true); }))
      .toEqual([0xff, 0xff, 0, 0xff, 0xff, 0xff, 0xff, 0]);
    expect(new KafkaReader(Uint8Array.of(0xff, 0xff)).string(false, true)).toBeNull();
    expect(() => new KafkaReader(Uint8Array.of(0xff, 0xff)).string(false, false)).toThrow(/null in a non-nullable string/);
    expect(() => new KafkaReader(Uint8Array.of(0, 0)).string(true, false)).toThrow(/null in a non-nullable string/);
    expect(() => new KafkaReader(Uint8Array.of(0xff, 0xfe)).string(false, true)).toThrow(/negative string length/);
    expect(() => new KafkaReader(Uint8Array.of(0x7f, 0xff, 0xff, 0xff)).bytes(false, false)).toThrow(/bytes of 2147483647 bytes, 0 remain/);
    expect([...new KafkaReader(Uint8Array.of(3, 7, 8, 9)).bytes(true, false)!]).toEqual([7, 8]);
  });

  test('primitives: a writer that spills over many chunks reads back exactly what was written', () => {
    const random = seededRandom(7);
    const ops: [string, unknown][] = [];
    const w = new KafkaWriter(16);
    for (let i = 0; i < 2000; i++) {
      const kind = Math.floor(random() * 5);
      if (kind === 0) { const v = Math.floor(random() * 65536) - 32768; w.int16(v); ops.push(['int16', v]); }
      if (kind === 1) { const v = BigInt(Math.floor(random() * 1e15)) - 5n; w.int64(v); ops.push(['int64', v]); }
      if (kind === 2) { const v = Math.floor(random() * 2 ** 31) - 2 ** 30; w.varint(v); ops.push(['varint', v]); }
      if (kind === 3) { const v = 'x'.repeat(Math.floor(random() * 40)); const compact = random() < 0.5; w.string(v, compact); ops.push([compact ? 'compact' : 'string', v]); }
      if (kind === 4) { const v = new Uint8Array(Math.floor(random() * 3000)).fill(i & 0xff); w.bytes(v, false); ops.push(['bytes', v]); }
    }
    const bytes = w.finish();
    expect(bytes.byteLength).toBe(w.length);
    const r = new KafkaReader(bytes);
    for (const [kind, v] of ops) {
      if (kind === 'int16') expect(r.int16()).toBe(v);
      if (kind === 'int64') expect(r.int64()).toBe(v);
      if (kind === 'varint') expect(r.varint()).toBe(v);
      if (kind === 'bytes') expect(Buffer.compare(r.bytes(false, false)!, v as Uint8Array)).toBe(0);
      if (kind === 'string') expect(r.string(false, false)).toBe(v);
      if (kind === 'compact') expect(r.string(true, false)).toBe(v);
    }
    expect(r.remaining).toBe(0);
  });

  test('primitives: large raw runs are kept by reference and copied once, in order', () => {
    const big = new Uint8Array(5000).fill(7);
    const out = written((w) => { w.int8(1); w.raw(big); w.int8(2); w.raw(Uint8Array.of(3, 4)); });
    expect(out.length).toBe(5004);
    expect([out[0], out[1], out[5000], out[5001], out[5002], out[5003]]).toEqual([1, 7, 7, 2, 3, 4]);
  });

  test('primitives: a tagged-field section hands each field a bounded reader and skips what is not read', () => {
    const r = new KafkaReader(Uint8Array.of(2, 0, 1, 5, 9, 3, 1, 2, 3, 0xaa));
    const seen: [number, number][] = [];
    r.taggedFields((tag, data) => { if (tag === 0) seen.push([tag, data.int8()]); else seen.push([tag, data.remaining]); });
    expect(seen).toEqual([[0, 5], [9, 3]]);
    expect(r.int8()).toBe(-86);
    expect(() => new KafkaReader(Uint8Array.of(1, 0, 4, 1)).taggedFields(() => undefined)).toThrow(/section needs 4 bytes/);
    expect(() => new KafkaReader(Uint8Array.of(100, 0)).taggedFields(() => undefined)).toThrow(/100 tagged fields/);
  });
});
