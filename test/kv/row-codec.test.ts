import { describe, expect, it } from 'vitest';
import { LakestreamError } from '../../src/common/errors.js';
import { COLUMN_TYPES, type Column } from '../../src/common/schema.js';
import type { Row, Value } from '../../src/common/values.js';
import { decodeRow, encodeRow } from '../../src/kv/row-codec.js';
import { int, mulberry32, pick, randomValue, type Rng } from '../common/random-values.js';

const ALL: Column[] = [
  ...COLUMN_TYPES.map((type) => ({ name: `n_${type}`, type, nullable: true })),
  ...COLUMN_TYPES.map((type) => ({ name: `r_${type}`, type, nullable: false })),
];

function randomRow(rng: Rng, columns: readonly Column[]): Row {
  const row: Row = {};
  for (const c of columns) row[c.name] = c.nullable && rng() < 0.3 ? null : randomValue(rng, c.type);
  return row;
}

/** What a column gives back: float32 is stored at float32 precision. */
function stored(c: Column, v: Value): Value {
  return c.type === 'float32' && typeof v === 'number' ? Math.fround(v) : v;
}

function expectRow(columns: readonly Column[], got: Row, want: Row): void {
  expect(Object.keys(got)).toEqual(columns.map((c) => c.name));
  for (const c of columns) {
    const w = stored(c, want[c.name] ?? null);
    if (typeof w === 'number') expect(Object.is(got[c.name], w)).toBe(true);
    else expect(got[c.name]).toEqual(w);
  }
}

function expectCorrupt(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(LakestreamError);
    expect((e as LakestreamError).code).toBe('INTERNAL');
    return;
  }
  throw new Error('expected the decoder to refuse the bytes');
}

describe('row codec', () => {
  it('row codec: random rows of every type, with nulls, round-trip', () => {
    const rng = mulberry32(11);
    for (let i = 0; i < 3000; i++) {
      const row = randomRow(rng, ALL);
      expectRow(ALL, decodeRow(ALL, encodeRow(ALL, row)), row);
    }
  });

  it('row codec: extremes, empty values, unicode, -0 and NaN round-trip exactly', () => {
    const columns: Column[] = [
      { name: 'a', type: 'int64', nullable: false },
      { name: 'b', type: 'int64', nullable: false },
      { name: 's', type: 'string', nullable: true },
      { name: 'u', type: 'string', nullable: true },
      { name: 'x', type: 'binary', nullable: true },
      { name: 'f', type: 'float64', nullable: true },
      { name: 'g', type: 'float32', nullable: true },
      { name: 't', type: 'timestamp', nullable: true },
    ];
    const row: Row = {
      a: -(1n << 63n), b: (1n << 63n) - 1n, s: '', u: '\uFEFFhé 😀 \0 \u{10FFFF}', x: new Uint8Array(0), f: -0, g: NaN,
      t: -Number.MAX_SAFE_INTEGER,
    };
    expectRow(columns, decodeRow(columns, encodeRow(columns, row)), row);
    const long = { ...row, s: 'x'.repeat(300), x: new Uint8Array(20_000).fill(7) };
    expectRow(columns, decodeRow(columns, encodeRow(columns, long)), long);
  });

  it('row codec: a missing field is null; nulls in non-nullable columns and wrong types are refused', () => {
    const columns: Column[] = [{ name: 'id', type: 'int32', nullable: false }, { name: 'v', type: 'string', nullable: true }];
    expect(decodeRow(columns, encodeRow(columns, { id: 1 }))).toEqual({ id: 1, v: null });
    const codes = (fn: () => unknown): string => {
      try {
        fn();
        return 'none';
      } catch (e) {
        return (e as LakestreamError).code;
      }
    };
    expect(codes(() => encodeRow(columns, { id: null, v: 'x' }))).toBe('NULL_IN_NON_NULLABLE');
    expect(codes(() => encodeRow(columns, { id: 2 ** 31, v: 'x' }))).toBe('INVALID_VALUE');
    expect(codes(() => encodeRow(columns, { id: 1, v: 5 }))).toBe('INVALID_VALUE');
  });

  it('row codec: a decoded binary value does not alias the input buffer', () => {
    const columns: Column[] = [{ name: 'b', type: 'binary', nullable: false }];
    const bytes = encodeRow(columns, { b: Uint8Array.from([1, 2, 3]) });
    const row = decodeRow(columns, bytes);
    bytes.fill(0);
    expect(row.b).toEqual(Uint8Array.from([1, 2, 3]));
  });

  it('row codec: every truncation and every extension is refused', () => {
    const rng = mulberry32(12);
    for (let i = 0; i < 200; i++) {
      const bytes = encodeRow(ALL, randomRow(rng, ALL));
      for (let n = 0; n < bytes.length; n++) expectCorrupt(() => decodeRow(ALL, bytes.subarray(0, n)));
      const longer = new Uint8Array(bytes.length + 1);
      longer.set(bytes);
      expectCorrupt(() => decodeRow(ALL, longer));
    }
  });

  it('row codec: corrupted bytes throw or decode to a well-typed row, never hang', () => {
    const rng = mulberry32(13);
    let refused = 0;
    for (let i = 0; i < 5000; i++) {
      const bytes = encodeRow(ALL, randomRow(rng, ALL));
      const flips = int(rng, 1, 3);
      for (let f = 0; f < flips; f++) {
        const at = int(rng, 0, bytes.length - 1);
        bytes[at] = rng() < 0.5 ? bytes[at]! ^ (1 << int(rng, 0, 7)) : pick(rng, [0, 0x7f, 0x80, 0xff]);
      }
      let row: Row;
      try {
        row = decodeRow(ALL, bytes);
      } catch (e) {
        expect(e).toBeInstanceOf(LakestreamError);
        refused++;
        continue;
      }
      // Whatever survived is a valid row of the schema: it re-encodes without complaint.
      encodeRow(ALL, row);
    }
    expect(refused).toBeGreaterThan(1000);
  });

  it('row codec: refuses another schema, an unknown version and set padding bits', () => {
    const columns: Column[] = [{ name: 'a', type: 'int8', nullable: true }];
    const bytes = encodeRow(columns, { a: null });
    expectCorrupt(() => decodeRow([...columns, { name: 'b', type: 'int8', nullable: true }], bytes));
    expectCorrupt(() => decodeRow([{ name: 'a', type: 'int8', nullable: false }], bytes));
    expectCorrupt(() => decodeRow(columns, Uint8Array.from([2, ...bytes.subarray(1)])));
    const padded = bytes.slice();
    padded[2] = padded[2]! | 0x80;
    expectCorrupt(() => decodeRow(columns, padded));
    expectCorrupt(() => decodeRow(columns, new Uint8Array(0)));
  });
});
