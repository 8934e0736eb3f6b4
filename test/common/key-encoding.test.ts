import { describe, expect, it } from 'vitest';
import { LakestreamError } from '../../src/common/errors.js';
import * as A from 'apache-arrow';
import { arrowType } from '../../src/common/arrow.js';
import {
  ArrowKeyEncoder, bucketOf, compareBytes, decodeKey, encodeKey, encodeKeyPrefix, KEY_BYTES_MAX, keyPrefixLength, murmur3_32, prefixUpperBound,
} from '../../src/common/key-encoding.js';
import { COLUMN_TYPES, type Column, type ColumnType } from '../../src/common/schema.js';
import type { Value } from '../../src/common/values.js';
import { compareValues, int, mulberry32, normalize, pick, randomValue, type Rng } from './random-values.js';

const PAIRS = 3000;
const col = (name: string, type: ColumnType): Column => ({ name, type, nullable: false });
const sign = (n: number): number => (n < 0 ? -1 : n > 0 ? 1 : 0);
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function compareTuples(columns: readonly Column[], a: readonly Value[], b: readonly Value[]): number {
  for (let i = 0; i < columns.length; i++) {
    const c = compareValues(columns[i]!.type, a[i]!, b[i]!);
    if (c !== 0) return c;
  }
  return 0;
}

function randomTuple(rng: Rng, columns: readonly Column[]): Value[] {
  return columns.map((c) => randomValue(rng, c.type));
}

function expectDecoded(columns: readonly Column[], got: readonly Value[], want: readonly Value[]): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < columns.length; i++) {
    const w = normalize(columns[i]!.type, want[i]!);
    if (typeof w === 'number' && Number.isNaN(w)) expect(Number.isNaN(got[i] as number)).toBe(true);
    else expect(got[i]).toEqual(w);
  }
}

function expectLakestreamError(fn: () => unknown): LakestreamError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(LakestreamError);
    return e as LakestreamError;
  }
  throw new Error('expected a LakestreamError, nothing was thrown');
}

/** Byte order == value order, and decode inverts encode, for random pairs of tuples. */
function checkOrder(seed: number, columns: readonly Column[]): void {
  const rng = mulberry32(seed);
  for (let i = 0; i < PAIRS; i++) {
    const a = randomTuple(rng, columns);
    const b = rng() < 0.1 ? [...a] : randomTuple(rng, columns);
    const ea = encodeKey(columns, a);
    const eb = encodeKey(columns, b);
    const want = sign(compareTuples(columns, a, b));
    if (sign(compareBytes(ea, eb)) !== want) {
      throw new Error(`order broken for ${columns.map((c) => c.type).join(',')}: ${String(a)} vs ${String(b)} -> ${hex(ea)} vs ${hex(eb)}`);
    }
    expectDecoded(columns, decodeKey(columns, ea), a);
  }
}

const COMPOSITES: ReadonlyArray<readonly ColumnType[]> = [
  ['string', 'string'],
  ['string', 'int32', 'string'],
  ['binary', 'string'],
  ['int64', 'string', 'float64'],
  ['date', 'boolean', 'binary'],
  ['string', 'timestamp'],
  ['int8', 'float32', 'int16'],
];

describe('key encoding: byte order equals value order', () => {
  for (const [i, type] of COLUMN_TYPES.entries()) {
    it(`key encoding: ${type} sorts as bytes and round-trips`, () => checkOrder(1000 + i, [col('k', type)]));
  }
  for (const [i, types] of COMPOSITES.entries()) {
    it(`key encoding: composite (${types.join(', ')}) sorts as bytes and round-trips`, () => {
      checkOrder(2000 + i, types.map((t, j) => col(`k${j}`, t)));
    });
  }

  it('key encoding: strings that are prefixes of each other and contain \\0 sort like values', () => {
    const columns = [col('a', 'string'), col('b', 'string')];
    const tuples: Value[][] = [
      ['', ''], ['', '\0'], ['', 'a'], ['\0', ''], ['\0', '\0'], ['\0\0', ''], ['\0a', ''], ['a', ''],
      ['a', '\0'], ['a\0', ''], ['a\0', 'a'], ['a\0\0', ''], ['a\u0001', ''], ['ab', ''], ['b', ''],
    ];
    const encoded = tuples.map((t) => encodeKey(columns, t));
    for (let i = 1; i < encoded.length; i++) expect(compareBytes(encoded[i - 1]!, encoded[i]!)).toBe(-1);
  });

  it('key encoding: strings sort by code point, not UTF-16 unit (U+FFFF < U+1F600)', () => {
    const c = [col('s', 'string')];
    expect(compareBytes(encodeKey(c, ['\uFFFF']), encodeKey(c, ['😀']))).toBe(-1);
  });

  it('key encoding: floats: -Inf < -1 < -0 == 0 < 1 < Inf < NaN', () => {
    for (const type of ['float32', 'float64'] as const) {
      const c = [col('f', type)];
      const order = [-Infinity, -1, 0, 1, Infinity, NaN].map((v) => encodeKey(c, [v]));
      for (let i = 1; i < order.length; i++) expect(compareBytes(order[i - 1]!, order[i]!)).toBe(-1);
      expect(hex(encodeKey(c, [-0]))).toBe(hex(encodeKey(c, [0])));
      expect(Object.is(decodeKey(c, encodeKey(c, [-0]))[0], 0)).toBe(true);
    }
  });

  it('key encoding: fixed layouts', () => {
    expect(hex(encodeKey([col('i', 'int32')], [1]))).toBe('80000001');
    expect(hex(encodeKey([col('i', 'int32')], [-1]))).toBe('7fffffff');
    expect(hex(encodeKey([col('i', 'int8')], [-128]))).toBe('00');
    expect(hex(encodeKey([col('i', 'int64')], [0n]))).toBe('8000000000000000');
    expect(hex(encodeKey([col('b', 'boolean')], [true]))).toBe('01');
    expect(hex(encodeKey([col('s', 'string')], ['a\0']))).toBe('6100ff0001');
    expect(hex(encodeKey([col('d', 'timestamp')], [-1]))).toBe('7fffffffffffffff');
  });

  it('key encoding: a string is its UTF-8 bytes with every 0x00 escaped; a lone surrogate anywhere is refused, a U+FFFD of its own kept', () => {
    const reference = (v: string) => {
      const out: number[] = [];
      for (const b of new TextEncoder().encode(v)) out.push(...(b === 0 ? [0, 0xff] : [b]));
      return Buffer.from([...out, 0, 1]).toString('hex');
    };
    const atoms = ['\0', 'a', '\uFFFD', '\u00e9', '\u{1F600}', '\u0800', '\0\0'];
    const rng = mulberry32(11);
    const c = [col('s', 'string')];
    for (let i = 0; i < 500; i++) {
      let v = '';
      for (let n = int(rng, 0, 12); n > 0; n--) v += pick(rng, atoms);
      expect(hex(encodeKey(c, [v]))).toBe(reference(v));
      const at = int(rng, 0, v.length);
      const lone = `${v.slice(0, at)}${pick(rng, ['\uD800', '\uDBFF', '\uDC00', '\uDFFF'])}${v.slice(at)}`;
      // Splitting a pair also leaves lone surrogates; a string that still pairs them all is well formed.
      if (/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(lone)) {
        expect(expectLakestreamError(() => encodeKey(c, [lone])).code).toBe('INVALID_VALUE');
      }
    }
  });
});

describe('key encoding: prefixes', () => {
  it('key encoding: a key prefix is a byte prefix, and a prefix range holds exactly the keys that share it', () => {
    const rng = mulberry32(77);
    for (const types of COMPOSITES) {
      const columns = types.map((t, j) => col(`k${j}`, t));
      for (let i = 0; i < 800; i++) {
        const a = randomTuple(rng, columns);
        const n = int(rng, 0, columns.length);
        // b shares a's first m columns, with m random, so that both outcomes happen often.
        const m = int(rng, 0, columns.length);
        const b = randomTuple(rng, columns).map((v, j) => (j < m ? a[j]! : v));
        const prefix = encodeKeyPrefix(columns, a.slice(0, n));
        const full = encodeKey(columns, a);
        expect(hex(full.subarray(0, prefix.length))).toBe(hex(prefix));
        const eb = encodeKey(columns, b);
        const upper = prefixUpperBound(prefix);
        const inRange = compareBytes(eb, prefix) >= 0 && (upper === undefined || compareBytes(eb, upper) < 0);
        const shares = compareTuples(columns.slice(0, n), a.slice(0, n), b.slice(0, n)) === 0;
        expect(inRange).toBe(shares);
      }
    }
  });

  it('key encoding: prefixUpperBound increments the last byte below 0xFF', () => {
    expect(hex(prefixUpperBound(Uint8Array.from([1, 2, 3]))!)).toBe('010204');
    expect(hex(prefixUpperBound(Uint8Array.from([1, 0xff, 0xff]))!)).toBe('02');
    expect(prefixUpperBound(Uint8Array.from([0xff, 0xff]))).toBeUndefined();
    expect(prefixUpperBound(new Uint8Array(0))).toBeUndefined();
  });

  it('key encoding: too many prefix values is refused', () => {
    expect(expectLakestreamError(() => encodeKeyPrefix([col('a', 'int32')], [1, 2])).code).toBe('INVALID_KEY');
  });
});

/** A column's Arrow buffers (validity, [offsets,] data) as the lookup route hands them over: byte views. */
function arrowBuffers(type: ColumnType, values: readonly Value[]): Uint8Array[] {
  const builder = A.makeBuilder({ type: arrowType(type), nullValues: [null] });
  for (const v of values) builder.append(v as never);
  const data = builder.finish().flush() as A.Data;
  const bytes = (a: ArrayBufferView): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const valuesBytes = bytes(data.values as ArrayBufferView);
  return type === 'string' || type === 'binary' ? [new Uint8Array(0), bytes(data.valueOffsets as ArrayBufferView), valuesBytes] : [new Uint8Array(0), valuesBytes];
}

describe('key encoding: keys straight from Arrow columns', () => {
  const shapes: ReadonlyArray<readonly ColumnType[]> = [...COLUMN_TYPES.map((t) => [t]), ...COMPOSITES];
  for (const [s, types] of shapes.entries()) {
    it(`ArrowKeyEncoder: (${types.join(', ')}) gives exactly encodeKey's bytes, and they decode to the values`, () => {
      const rng = mulberry32(5000 + s);
      const columns = types.map((t, j) => col(`k${j}`, t));
      const tuples = Array.from({ length: 300 }, () => randomTuple(rng, columns));
      const encoder = new ArrowKeyEncoder(columns, columns.map((c, j) => arrowBuffers(c.type, tuples.map((t) => t[j]!))), tuples.length);
      expect(encoder.count).toBe(tuples.length);
      tuples.forEach((t, i) => {
        const key = encoder.encoded(i);
        expect(hex(key)).toBe(hex(encodeKey(columns, t)));
        expectDecoded(columns, decodeKey(columns, key), t);
      });
    });
  }

  it('ArrowKeyEncoder: a key longer than KEY_BYTES_MAX is refused as encodeKey refuses it', () => {
    const columns = [col('s', 'string')];
    const long = 'x'.repeat(KEY_BYTES_MAX);
    const encoder = new ArrowKeyEncoder(columns, [arrowBuffers('string', ['short', long])], 2);
    expect(hex(encoder.encoded(0))).toBe(hex(encodeKey(columns, ['short'])));
    expect(expectLakestreamError(() => encoder.encoded(1)).code).toBe(expectLakestreamError(() => encodeKey(columns, [long])).code);
  });

  it('keyPrefixLength: the first k components of a key are exactly the encoding of the first k values', () => {
    const rng = mulberry32(6000);
    for (const types of COMPOSITES) {
      const columns = types.map((t, j) => col(`k${j}`, t));
      for (let round = 0; round < 200; round++) {
        const t = randomTuple(rng, columns);
        const key = encodeKey(columns, t);
        for (let k = 0; k <= columns.length; k++) {
          expect(hex(key.subarray(0, keyPrefixLength(columns, key, k)))).toBe(hex(encodeKeyPrefix(columns, t.slice(0, k))));
        }
      }
    }
  });
});

describe('key encoding: refusals and corruption', () => {
  it('key encoding: null and wrong arity are INVALID_KEY, wrong types INVALID_VALUE', () => {
    expect(expectLakestreamError(() => encodeKey([col('a', 'string')], [null])).code).toBe('INVALID_KEY');
    expect(expectLakestreamError(() => encodeKey([col('a', 'string')], [])).code).toBe('INVALID_KEY');
    const bad: Array<[ColumnType, Value]> = [
      ['int8', 128], ['int16', -32769], ['int32', 1.5], ['int32', 2 ** 31], ['int64', 5], ['int64', 1n << 63n],
      ['string', 5], ['binary', 'x'], ['boolean', 1], ['date', 1.5], ['timestamp', 2 ** 60], ['float64', 1n],
      ['string', 'a\uD800'],
    ];
    for (const [type, value] of bad) expect(expectLakestreamError(() => encodeKey([col('a', type)], [value])).code).toBe('INVALID_VALUE');
  });

  it('key encoding: an encoded key longer than KEY_BYTES_MAX is refused', () => {
    expect(expectLakestreamError(() => encodeKey([col('s', 'string')], ['x'.repeat(KEY_BYTES_MAX)])).code).toBe('INVALID_KEY');
  });

  it('key encoding: every truncation of a valid key is refused', () => {
    const rng = mulberry32(5);
    for (const types of COMPOSITES) {
      const columns = types.map((t, j) => col(`k${j}`, t));
      for (let i = 0; i < 100; i++) {
        const key = encodeKey(columns, randomTuple(rng, columns));
        for (let n = 0; n < key.length; n++) expectLakestreamError(() => decodeKey(columns, key.subarray(0, n)));
        const longer = new Uint8Array(key.length + 1);
        longer.set(key);
        expectLakestreamError(() => decodeKey(columns, longer));
      }
    }
  });

  it('key encoding: random and bit-flipped bytes either throw or decode to a key that encodes to the same bytes', () => {
    const rng = mulberry32(6);
    let refused = 0;
    for (let i = 0; i < 5000; i++) {
      const columns = pick(rng, [...COMPOSITES, ...COLUMN_TYPES.map((t) => [t])]).map((t, j) => col(`k${j}`, t));
      let bytes: Uint8Array;
      if (rng() < 0.5) {
        bytes = new Uint8Array(int(rng, 0, 24));
        for (let j = 0; j < bytes.length; j++) bytes[j] = rng() < 0.3 ? pick(rng, [0, 1, 0xff]) : int(rng, 0, 255);
      } else {
        bytes = encodeKey(columns, randomTuple(rng, columns));
        if (bytes.length > 0) {
          const at = int(rng, 0, bytes.length - 1);
          bytes[at] = bytes[at]! ^ (1 << int(rng, 0, 7));
        }
      }
      let values: Value[];
      try {
        values = decodeKey(columns, bytes);
      } catch (e) {
        expect(e).toBeInstanceOf(LakestreamError);
        refused++;
        continue;
      }
      expect(hex(encodeKey(columns, values))).toBe(hex(bytes));
    }
    expect(refused).toBeGreaterThan(500);
  });
});

describe('bucket routing', () => {
  it('murmur3_32: matches the reference vectors (seed 0)', () => {
    const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
    expect(murmur3_32(new Uint8Array(0))).toBe(0);
    expect(murmur3_32(new Uint8Array(0), 1)).toBe(0x514e28b7);
    expect(murmur3_32(utf8('hello'))).toBe(0x248bfa47);
    expect(murmur3_32(utf8('The quick brown fox jumps over the lazy dog'))).toBe(0x2e4ff723);
    expect(murmur3_32(Uint8Array.from([0x21, 0x43, 0x65, 0x87]))).toBe(0xf55b516b);
    expect(murmur3_32(Uint8Array.from([0x21, 0x43, 0x65]))).toBe(0x7e4a8634);
  });

  it('bucketOf: stable for fixed keys', () => {
    const ids = [col('id', 'int64')];
    const names = [col('name', 'string')];
    const got = [
      bucketOf(encodeKey(ids, [1n]), 8),
      bucketOf(encodeKey(ids, [42n]), 8),
      bucketOf(encodeKey(ids, [-7n]), 16),
      bucketOf(encodeKey(names, ['alice']), 8),
      bucketOf(encodeKey(names, ['']), 3),
    ];
    expect(got).toEqual(STABLE_BUCKETS);
    expect(bucketOf(encodeKey(ids, [1n]), 1)).toBe(0);
  });

  it('bucketOf: 1000 keys spread over 8 buckets', () => {
    const counts = new Array<number>(8).fill(0);
    for (let i = 0; i < 1000; i++) counts[bucketOf(encodeKey([col('id', 'int64')], [BigInt(i)]), 8)]!++;
    for (const c of counts) expect(c).toBeGreaterThan(60);
    const strings = new Array<number>(8).fill(0);
    for (let i = 0; i < 1000; i++) strings[bucketOf(encodeKey([col('s', 'string')], [`user-${i}`]), 8)]!++;
    for (const c of strings) expect(c).toBeGreaterThan(60);
  });

  it('bucketOf: refuses a bad bucket count', () => {
    expectLakestreamError(() => bucketOf(new Uint8Array(1), 0));
  });
});

/** Frozen: changing these re-routes every stored row, which needs a data migration. */
const STABLE_BUCKETS = [3, 2, 2, 7, 1];
