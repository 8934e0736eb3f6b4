/** Shared test data for the lake tests: a table with every column type, and rows that stress it. */
import * as A from 'apache-arrow';
import { arrowSchema, batchFromData, COMMIT_TIMESTAMP_FIELD, LOG_OFFSET_FIELD, rowsToBatch, STORED_CHANGE_TYPE_FIELD } from '../../src/common/arrow.js';
import type { Column } from '../../src/common/schema.js';
import type { ChangeType, Row } from '../../src/common/values.js';
import { CHANGE_TYPES } from '../../src/common/values.js';

export const ALL_TYPES: Column[] = [
  { name: 'b', type: 'boolean', nullable: true },
  { name: 'i8', type: 'int8', nullable: true },
  { name: 'i16', type: 'int16', nullable: true },
  { name: 'i32', type: 'int32', nullable: true },
  { name: 'i64', type: 'int64', nullable: false },
  { name: 'f32', type: 'float32', nullable: true },
  { name: 'f64', type: 'float64', nullable: true },
  { name: 's', type: 'string', nullable: true },
  { name: 'bin', type: 'binary', nullable: true },
  { name: 'd', type: 'date', nullable: true },
  { name: 'ts', type: 'timestamp', nullable: true },
];

const DAY = 86_400_000;

/** Row i: extremes first, then a mix with nulls every few rows. */
export function allTypesRow(i: number): Row {
  const extremes: Row[] = [
    { b: true, i8: -128, i16: -32768, i32: -2147483648, i64: -(2n ** 63n), f32: -3.4028234663852886e38, f64: -Number.MAX_VALUE, s: '', bin: new Uint8Array(0), d: -719162 * DAY, ts: -62135596800000 },
    { b: false, i8: 127, i16: 32767, i32: 2147483647, i64: 2n ** 63n - 1n, f32: 3.4028234663852886e38, f64: Number.MAX_VALUE, s: 'ünïcødé 🚀 \u0000 end', bin: new Uint8Array([0, 255, 1, 254]), d: 2932896 * DAY, ts: 253402300799999 },
    { b: null, i8: null, i16: null, i32: null, i64: 0n, f32: null, f64: null, s: null, bin: null, d: null, ts: null },
    { b: true, i8: 0, i16: 0, i32: 0, i64: -1n, f32: Number.NaN, f64: Number.NEGATIVE_INFINITY, s: 'x'.repeat(1000), bin: new Uint8Array(300).fill(7), d: 0, ts: 0 },
    { b: false, i8: 1, i16: -1, i32: 42, i64: 9007199254740993n, f32: 1.5, f64: Number.POSITIVE_INFINITY, s: 'a', bin: new Uint8Array([1]), d: 19000 * DAY, ts: 1_700_000_000_123 },
  ];
  if (i < extremes.length) return extremes[i]!;
  const n = i % 7 === 0;
  return {
    b: n ? null : i % 2 === 0,
    i8: n ? null : (i % 256) - 128,
    i16: n ? null : (i * 37) % 65536 - 32768,
    i32: n ? null : i * 7919 - 1_000_000,
    i64: BigInt(i) * 1_000_000_007n - 5_000_000_000n,
    f32: n ? null : Math.fround(i / 3),
    f64: n ? null : i * 1.25 - 17,
    s: n ? null : `row-${i}-${'é'.repeat(i % 5)}`,
    bin: n ? null : new Uint8Array([i & 255, (i >> 8) & 255]),
    d: n ? null : (18000 + (i % 1000)) * DAY,
    ts: n ? null : 1_600_000_000_000 + i * 1001,
  };
}

export interface Fixture {
  rows: Row[];
  offsets: bigint[];
  timestamps: number[];
  changeTypes: ChangeType[];
}

export function fixture(n: number, firstOffset = 0n): Fixture {
  const rows = Array.from({ length: n }, (_, i) => allTypesRow(i));
  return {
    rows,
    offsets: rows.map((_, i) => firstOffset + BigInt(i)),
    timestamps: rows.map((_, i) => 1_700_000_000_000 + Math.floor(i / 10)),
    changeTypes: rows.map((_, i) => CHANGE_TYPES[1 + (i % 4)]!),
  };
}

/** Record batches as the server's read path produces them, split into `chunk`-row batches (sliced, so Arrow offsets are exercised). */
export function fixtureBatches(columns: readonly Column[], f: Fixture, chunk: number, opts: { changeTypes?: 'utf8' | 'int8' } = {}): A.RecordBatch[] {
  const base = rowsToBatch(columns, f.rows);
  const out: A.RecordBatch[] = [];
  for (let s = 0; s < f.rows.length; s += chunk) {
    const sl = base.slice(s, s + chunk);
    const n = sl.numRows;
    const extra: A.Field[] = [LOG_OFFSET_FIELD, COMMIT_TIMESTAMP_FIELD];
    const children: A.Data[] = [
      ...sl.data.children,
      A.makeData({ type: new A.Int64(), length: n, nullCount: 0, data: BigInt64Array.from(f.offsets.slice(s, s + chunk)) }),
      A.makeData({ type: new A.TimestampMillisecond('UTC'), length: n, nullCount: 0, data: BigInt64Array.from(f.timestamps.slice(s, s + chunk), BigInt) }),
    ];
    if (opts.changeTypes === 'int8') {
      extra.push(STORED_CHANGE_TYPE_FIELD);
      children.push(A.makeData({ type: new A.Int8(), length: n, nullCount: 0, data: Int8Array.from(f.changeTypes.slice(s, s + chunk), (t) => CHANGE_TYPES.indexOf(t)) }));
    } else if (opts.changeTypes === 'utf8') {
      extra.push(new A.Field('_change_type', new A.Utf8(), false));
      children.push(A.vectorFromArray(f.changeTypes.slice(s, s + chunk), new A.Utf8()).data[0]!);
    }
    out.push(batchFromData(arrowSchema(columns, extra), n, children));
  }
  return out;
}

export function sameValue(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'number') return Object.is(a, b) || a === b;
  if (a instanceof Uint8Array && b instanceof Uint8Array) return Buffer.from(a).equals(Buffer.from(b));
  return a === b;
}
