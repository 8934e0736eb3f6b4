/**
 * Seeded random values for property tests (no dependencies): mulberry32 plus one generator per
 * column type, biased towards the edges (extremes, zero, -0, NaN, empty, '\0', surrogate pairs,
 * strings that are prefixes of each other).
 */
import type { ColumnType } from '../../src/common/schema.js';
import { seededRandom } from '../../src/common/seeded-random.js';
import type { Value } from '../../src/common/values.js';

export type Rng = () => number;

/** mulberry32, the project's seeded PRNG; returns floats in [0, 1). */
export const mulberry32: (seed: number) => Rng = seededRandom;

export function int(rng: Rng, min: number, max: number): number {
  return min + Math.floor(rng() * (max - min + 1));
}

export function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[Math.floor(rng() * items.length)]!;
}

function uint32(rng: Rng): number {
  return Math.floor(rng() * 4294967296) >>> 0;
}

const STRING_ATOMS = ['', '\uFEFF', 'a', 'b', 'ab', '\0', '\0\0', '\u0001', '\u007f', '\u00ff', '\u0100', 'é', '\uE000', '\uFFFF', '😀', '\u{10FFFF}', 'z'];
const BYTE_ATOMS = [0x00, 0x01, 0x02, 0x7f, 0x80, 0xfe, 0xff];
const MAX_TS = Number.MAX_SAFE_INTEGER;

/** A random non-null value of the type. */
export function randomValue(rng: Rng, type: ColumnType): Value {
  const edge = rng() < 0.2;
  switch (type) {
    case 'boolean':
      return rng() < 0.5;
    case 'int8':
      return edge ? pick(rng, [-128, 127, 0, -1, 1]) : int(rng, -128, 127);
    case 'int16':
      return edge ? pick(rng, [-32768, 32767, 0, -1, 1]) : int(rng, -32768, 32767);
    case 'int32':
      return edge ? pick(rng, [-2147483648, 2147483647, 0, -1, 1]) : uint32(rng) | 0;
    case 'int64':
      if (edge) return pick(rng, [-(1n << 63n), (1n << 63n) - 1n, 0n, -1n, 1n, 1n << 53n]);
      if (rng() < 0.3) return BigInt(int(rng, -1000, 1000));
      return BigInt.asIntN(64, (BigInt(uint32(rng)) << 32n) | BigInt(uint32(rng)));
    case 'float32':
    case 'float64': {
      if (edge) return pick(rng, [0, -0, NaN, Infinity, -Infinity, 1, -1, Number.MIN_VALUE, -Number.MIN_VALUE, 3.4028234663852886e38, Number.MAX_VALUE, 1e-45]);
      if (rng() < 0.3) return int(rng, -50, 50) / 4;
      const view = new DataView(new ArrayBuffer(8));
      if (type === 'float32') {
        view.setUint32(0, uint32(rng));
        return view.getFloat32(0);
      }
      view.setUint32(0, uint32(rng));
      view.setUint32(4, uint32(rng));
      return view.getFloat64(0);
    }
    case 'string': {
      const n = int(rng, 0, 4);
      let s = '';
      for (let i = 0; i < n; i++) s += pick(rng, STRING_ATOMS);
      return s;
    }
    case 'binary': {
      const n = int(rng, 0, 6);
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) out[i] = rng() < 0.7 ? pick(rng, BYTE_ATOMS) : int(rng, 0, 255);
      return out;
    }
    case 'date':
      return edge ? pick(rng, [0, -86_400_000, 86_400_000]) : int(rng, -100_000, 100_000) * 86_400_000;
    case 'timestamp':
      return edge ? pick(rng, [0, -1, 1, MAX_TS, -MAX_TS]) : int(rng, -2_000_000_000, 2_000_000_000) * 1000 + int(rng, 0, 999);
  }
}

function codePointCompare(a: string, b: string): number {
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const x = ia.next();
    const y = ib.next();
    if (x.done || y.done) return x.done && y.done ? 0 : x.done ? -1 : 1;
    const d = x.value.codePointAt(0)! - y.value.codePointAt(0)!;
    if (d !== 0) return d < 0 ? -1 : 1;
  }
}

/** Reference order of two non-null values of one type, written independently of the encoder. */
export function compareValues(type: ColumnType, a: Value, b: Value): number {
  switch (type) {
    case 'boolean':
      return a === b ? 0 : a ? 1 : -1;
    case 'float32':
    case 'float64': {
      let x = a as number;
      let y = b as number;
      if (type === 'float32') {
        x = Math.fround(x);
        y = Math.fround(y);
      }
      if (Number.isNaN(x) || Number.isNaN(y)) return Number.isNaN(x) && Number.isNaN(y) ? 0 : Number.isNaN(x) ? 1 : -1;
      return x === y ? 0 : x < y ? -1 : 1;
    }
    case 'string':
      return codePointCompare(a as string, b as string);
    case 'binary': {
      const x = a as Uint8Array;
      const y = b as Uint8Array;
      for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! < y[i]! ? -1 : 1;
      return x.length === y.length ? 0 : x.length < y.length ? -1 : 1;
    }
    default: {
      const x = a as number | bigint;
      const y = b as number | bigint;
      return x === y ? 0 : x < y ? -1 : 1;
    }
  }
}

/** The value a column really stores: float32 rounded, -0 as 0. */
export function normalize(type: ColumnType, v: Value): Value {
  if (type === 'float32' && typeof v === 'number') v = Math.fround(v);
  if (typeof v === 'number' && Object.is(v, -0)) return 0;
  return v;
}
