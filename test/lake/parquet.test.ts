import { describe, expect, it } from 'vitest';
import { parquetMetadata } from 'hyparquet';
import type { Column } from '../../src/common/schema.js';
import {
  decodeParquet, encodeParquet, encodeParquetFromArrow, inspectColumns, inspectParquet, lakeParquetSchema,
} from '../../src/lake/parquet.js';
import { ALL_TYPES, fixture, fixtureBatches, sameValue } from './fixtures.js';

function expectRowsEqual(actual: Record<string, unknown>[], expected: Record<string, unknown>[], columns: readonly Column[]): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    for (const c of columns) {
      const a = actual[i]![c.name];
      const e = expected[i]![c.name] ?? null;
      if (!sameValue(a, e)) throw new Error(`row ${i} column ${c.name}: got ${String(a)} (${typeof a}), want ${String(e)} (${typeof e})`);
    }
  }
}

describe('parquet', () => {
  for (const compression of ['zstd', 'snappy'] as const) {
    it(`parquet: round-trips every type, nulls and int64 extremes (${compression})`, async () => {
      const f = fixture(300, 1000n);
      const bytes = encodeParquet(ALL_TYPES, { rows: f.rows, bucket: 7, offsets: f.offsets, timestamps: f.timestamps }, { compression, rowGroupRows: 64 });
      const meta = parquetMetadata(bytes.slice().buffer);
      expect(meta.row_groups.length).toBe(5);
      expect(meta.row_groups[0]!.columns[0]!.meta_data!.codec).toBe(compression === 'zstd' ? 'ZSTD' : 'SNAPPY');
      const out = await decodeParquet(bytes, ALL_TYPES);
      expectRowsEqual(out.rows, f.rows, ALL_TYPES);
      expect(out.offsets).toEqual(f.offsets);
      expect(out.timestamps).toEqual(f.timestamps);
      expect(out.changeTypes).toBeNull();
      expect(typeof out.rows[0]!.i64).toBe('bigint');
      expect(out.rows[1]!.bin).toBeInstanceOf(Uint8Array);
      expect(out.rows[1]!.s).toBe('ünïcødé 🚀 \u0000 end');
    });
  }

  it('parquet: decodes a file that is a Buffer view into a larger pool (as fs.readFileSync may return)', async () => {
    const f = fixture(40, 0n);
    const bytes = encodeParquet(ALL_TYPES, { rows: f.rows, bucket: 0, offsets: f.offsets, timestamps: f.timestamps }, { compression: 'zstd', rowGroupRows: 64 });
    const pool = Buffer.alloc(bytes.length + 64, 0x55);
    pool.set(bytes, 32);
    const out = await decodeParquet(pool.subarray(32, 32 + bytes.length), ALL_TYPES);
    expectRowsEqual(out.rows, f.rows, ALL_TYPES);
    expect(out.offsets).toEqual(f.offsets);
  });

  it('parquet: the Arrow path writes the same file contents as the row path', async () => {
    const f = fixture(250, 40n);
    const fromRows = encodeParquet(ALL_TYPES, { rows: f.rows, bucket: 2, offsets: f.offsets, timestamps: f.timestamps, changeTypes: f.changeTypes }, { compression: 'zstd', rowGroupRows: 100 });
    for (const ct of ['int8', 'utf8'] as const) {
      const fromArrow = encodeParquetFromArrow(ALL_TYPES, fixtureBatches(ALL_TYPES, f, 33, { changeTypes: ct }), { compression: 'zstd', rowGroupRows: 100, bucket: 2 });
      const a = await decodeParquet(fromRows, ALL_TYPES);
      const b = await decodeParquet(fromArrow, ALL_TYPES);
      expectRowsEqual(b.rows, a.rows, ALL_TYPES);
      expectRowsEqual(b.rows, f.rows, ALL_TYPES);
      expect(b.offsets).toEqual(f.offsets);
      expect(b.timestamps).toEqual(f.timestamps);
      expect(b.changeTypes).toEqual(f.changeTypes);
      expect(inspectParquet(fromArrow)).toMatchObject({ bucket: 2, rows: 250, firstOffset: 40n, lastOffset: 289n, changelog: true });
    }
    // Without _change_type the file is a log file.
    const logFile = encodeParquetFromArrow(ALL_TYPES, fixtureBatches(ALL_TYPES, f, 50), { compression: 'snappy', rowGroupRows: 1000, bucket: 2 });
    expect((await decodeParquet(logFile, ALL_TYPES)).changeTypes).toBeNull();
  });

  it('parquet: decodes only the offset range asked for, skipping row groups by statistics', async () => {
    const f = fixture(1000, 5000n);
    const bytes = encodeParquet(ALL_TYPES, { rows: f.rows, bucket: 0, offsets: f.offsets, timestamps: f.timestamps }, { compression: 'zstd', rowGroupRows: 100 });
    const info = inspectParquet(bytes);
    expect(info.rowGroups).toHaveLength(10);
    expect(info.rowGroups[3]).toEqual({ rowStart: 300, rowEnd: 400, minOffset: 5300n, maxOffset: 5399n });
    const out = await decodeParquet(bytes, ALL_TYPES, { fromOffset: 5350n, toOffset: 5420n, columns: ['i64', 's'] });
    expect(out.offsets[0]).toBe(5350n);
    expect(out.offsets.at(-1)).toBe(5419n);
    expect(out.rows).toHaveLength(70);
    expect(Object.keys(out.rows[0]!)).toEqual(['i64', 's']);
    expect(out.rows[0]!.i64).toBe(f.rows[350]!.i64);
    expect((await decodeParquet(bytes, ALL_TYPES, { fromOffset: 9000n })).rows).toHaveLength(0);
    await expect(decodeParquet(bytes, ALL_TYPES, { columns: ['nope'] })).rejects.toMatchObject({ code: 'UNKNOWN_COLUMN' });
  });

  it('parquet: writes the documented schema and footer metadata', () => {
    const schema = lakeParquetSchema(ALL_TYPES, true);
    const byName = new Map(schema.map((s) => [s.name, s]));
    expect(byName.get('ts')).toMatchObject({ type: 'INT64', logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MILLIS' } });
    expect(byName.get('i8')).toMatchObject({ type: 'INT32', converted_type: 'INT_8' });
    expect(byName.get('i8')!.logical_type).toBeUndefined();
    expect(byName.get('__change_type')).toMatchObject({ type: 'BYTE_ARRAY', repetition_type: 'REQUIRED' });
    expect(byName.get('i64')!.repetition_type).toBe('REQUIRED');
    const f = fixture(10);
    const bytes = encodeParquet(ALL_TYPES, { rows: f.rows, bucket: 1, offsets: f.offsets, timestamps: f.timestamps }, { compression: 'snappy', rowGroupRows: 10 });
    expect(inspectColumns(bytes)).toEqual(ALL_TYPES);
  });

  it('parquet: an empty input is a valid file with no rows', async () => {
    const bytes = encodeParquet(ALL_TYPES, { rows: [], bucket: 0, offsets: [], timestamps: [] }, { compression: 'zstd', rowGroupRows: 10 });
    const out = await decodeParquet(bytes, ALL_TYPES);
    expect(out.rows).toEqual([]);
    expect(inspectParquet(bytes).rows).toBe(0);
  });

  it('parquet: refuses inputs that would write a wrong file', () => {
    const f = fixture(3);
    const opts = { compression: 'zstd', rowGroupRows: 10 } as const;
    expect(() => encodeParquet(ALL_TYPES, { rows: f.rows, bucket: 0, offsets: [1n, 1n, 2n], timestamps: f.timestamps }, opts)).toThrow(/strictly increase/);
    expect(() => encodeParquet(ALL_TYPES, { rows: f.rows, bucket: 0, offsets: [1n], timestamps: f.timestamps }, opts)).toThrow(/same length/);
    expect(() => encodeParquet(ALL_TYPES, { rows: [{ ...f.rows[0]!, i64: null }], bucket: 0, offsets: [0n], timestamps: [0] }, opts)).toThrow(/not nullable/);
    expect(() => encodeParquet(ALL_TYPES, { rows: [{ ...f.rows[0]!, i32: 'x' }], bucket: 0, offsets: [0n], timestamps: [0] }, opts)).toThrow(/i32/);
    expect(() => encodeParquet(ALL_TYPES, { rows: f.rows, bucket: 0, offsets: f.offsets, timestamps: f.timestamps }, { compression: 'zstd', rowGroupRows: 0 })).toThrow(/rowGroupRows/);
    expect(() => encodeParquet(ALL_TYPES, { rows: f.rows, bucket: 0, offsets: f.offsets, timestamps: f.timestamps, changeTypes: ['+I', '+X' as never, '-D'] }, opts)).toThrow(/change type/);
  });

  it('parquet: a corrupt file is a STORAGE_ERROR, not a crash', async () => {
    const f = fixture(20);
    const bytes = encodeParquet(ALL_TYPES, { rows: f.rows, bucket: 0, offsets: f.offsets, timestamps: f.timestamps }, { compression: 'zstd', rowGroupRows: 10 });
    await expect(decodeParquet(bytes.subarray(0, bytes.length - 9), ALL_TYPES)).rejects.toMatchObject({ code: 'STORAGE_ERROR' });
    await expect(decodeParquet(new Uint8Array([1, 2, 3]), ALL_TYPES)).rejects.toMatchObject({ code: 'STORAGE_ERROR' });
  });
});
describe('lake strings', () => {
  it('keep a leading U+FEFF through Parquet, from rows and from Arrow batches', async () => {
    const cols: Column[] = [{ name: 's', type: 'string', nullable: true }];
    const rows = [{ s: '\uFEFFa' }, { s: null }, { s: '\uFEFF' }];
    const bytes = encodeParquet(cols, { rows, bucket: 0, offsets: [0n, 1n, 2n], timestamps: [1, 1, 1] }, { compression: 'zstd', rowGroupRows: 10 });
    expect((await decodeParquet(bytes, cols)).rows).toEqual(rows);
  });
});

