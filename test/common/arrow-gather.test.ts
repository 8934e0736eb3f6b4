import * as A from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { batchRows, ipcToBatches, rowsToBatch } from '../../src/common/arrow.js';
import { columnOfData, columnProblem, type ColumnBuffers } from '../../src/common/arrow-columns.js';
import { gatherColumn, pickLength, pickOf, type GatherPart, type RowPick } from '../../src/common/arrow-gather.js';
import { encodeSchemaMessage } from '../../src/common/arrow-ipc-layout.js';
import { BatchBody } from '../../src/common/arrow-ipc-write.js';
import { arrowSchema } from '../../src/common/arrow.js';
import { COLUMN_TYPES, type Column, type ColumnType } from '../../src/common/schema.js';
import type { Value } from '../../src/common/values.js';
import { int, mulberry32, randomValue, type Rng } from './random-values.js';

const ROUNDS = 110; // ten of each column type

function randomValues(rng: Rng, type: ColumnType, n: number, nullShare: number): Value[] {
  return Array.from({ length: n }, () => (rng() < nullShare ? null : randomValue(rng, type)));
}

/** A column of `values`, as the server holds it: the buffers of an Arrow JS column, without its first and last `from` rows when asked. */
function columnOf(column: Column, values: readonly Value[], from = 0): ColumnBuffers {
  const data = rowsToBatch([column], values.map((v) => ({ [column.name]: v }))).data.children[0]!;
  return columnOfData(column.type, from === 0 ? data : data.slice(from, values.length - 2 * from));
}

/** The column's values read back through an Arrow IPC stream: what a reader of the stored batch sees. */
function valuesOf(column: Column, col: ColumnBuffers, length: number): Value[] {
  expect(columnProblem(column.type, col, length)).toBeUndefined();
  const body = new BatchBody(true);
  body.column(col);
  const { batches } = ipcToBatches(body.stream(encodeSchemaMessage(arrowSchema([column])), length));
  return batches.flatMap((b) => batchRows(b)).map((r) => r[column.name]!);
}

function randomPick(rng: Rng, n: number): RowPick {
  if (rng() < 0.3) {
    const from = int(rng, 0, n);
    return { from, to: int(rng, from, n) };
  }
  const indexes = [];
  for (let i = 0; i < n; i++) if (rng() < 0.4) indexes.push(i);
  return { indexes: Uint32Array.from(indexes) };
}

function picked<T>(values: readonly T[], rows: RowPick): T[] {
  return 'indexes' in rows ? Array.from(rows.indexes, (i) => values[i]!) : values.slice(rows.from, rows.to);
}

describe('arrow gather', () => {
  it('takes the picked rows of one or more columns, of every type, with and without nulls, from sliced inputs too', () => {
    const rng = mulberry32(0x9a7);
    for (let round = 0; round < ROUNDS; round++) {
      const type = COLUMN_TYPES[round % COLUMN_TYPES.length]!;
      const column: Column = { name: 'c', type, nullable: true };
      const parts: GatherPart[] = [];
      const want: Value[] = [];
      for (let p = int(rng, 1, 3); p > 0; p--) {
        const n = int(rng, 0, 40);
        const from = rng() < 0.4 ? int(rng, 1, 9) : 0; // a slice of a larger column: offsets and bits that do not start at 0
        const source = columnOf(column, randomValues(rng, type, n + 2 * from, [0, 0.3, 1][int(rng, 0, 2)]!), from);
        const rows = randomPick(rng, n);
        parts.push({ column: source, rows });
        want.push(...picked(valuesOf(column, source, n), rows)); // values as the column holds them (a float32 rounded)
      }
      const got = gatherColumn(type, parts);
      expect(valuesOf(column, got, want.length)).toEqual(want);
      expect(got.nullCount).toBe(want.filter((v) => v === null).length);
      if (got.nullCount === 0) expect(got.buffers[0]!.length).toBe(0);
    }
  });

  it('slices one run of one column instead of copying it', () => {
    for (const type of COLUMN_TYPES) {
      const column: Column = { name: 'c', type, nullable: true };
      const values = randomValues(mulberry32(7), type, 50, 0.2);
      const source = columnOf(column, values);
      const got = gatherColumn(type, [{ column: source, rows: pickOf(Uint32Array.of(8, 9, 10, 11, 12)) }]);
      const data = got.buffers[got.buffers.length - 1]!;
      const sourceData = source.buffers[source.buffers.length - 1]!;
      if (type !== 'boolean') expect(data.buffer).toBe(sourceData.buffer); // a view, not a copy
      expect(valuesOf(column, got, 5)).toEqual(valuesOf(column, source, 50).slice(8, 13));
    }
  });

  it('gathers nothing from empty picks', () => {
    for (const type of COLUMN_TYPES) {
      const column: Column = { name: 'c', type, nullable: true };
      const source = columnOf(column, randomValues(mulberry32(3), type, 10, 0.5));
      for (const rows of [{ indexes: new Uint32Array(0) }, { from: 4, to: 4 }]) {
        const got = gatherColumn(type, [{ column: source, rows }, { column: source, rows }]);
        expect(got.nullCount).toBe(0);
        expect(valuesOf(column, got, 0)).toEqual([]);
      }
    }
  });

  it('moves fixed-width bytes as they are: NaN payloads and -0 kept', () => {
    const bits = Uint32Array.of(0, 0x7ff80001, 1, 0xfff00000, 0, 0x80000000); // NaN with a payload, -Infinity, -0
    const column: ColumnBuffers = { nullCount: 0, buffers: [new Uint8Array(0), new Uint8Array(bits.buffer)] };
    const got = gatherColumn('float64', [{ column, rows: { indexes: Uint32Array.of(2, 0, 1) } }]);
    expect(Array.from(new Uint32Array(got.buffers[1]!.slice().buffer))).toEqual([0, 0x80000000, 0, 0x7ff80001, 1, 0xfff00000]);
  });

  it('reads string offsets and fixed values at any byte offset (buffers read from a file are unaligned)', () => {
    const strings = { nullCount: 0, buffers: [new Uint8Array(0), unaligned(Int32Array.of(3, 5, 5, 9)), unaligned(new TextEncoder().encode('xxxabcdefg'))] };
    expect(valuesOf({ name: 'c', type: 'string', nullable: true }, gatherColumn('string', [{ column: strings, rows: { indexes: Uint32Array.of(2, 0) } }]), 2)).toEqual(['cdef', 'ab']);
    const ints = { nullCount: 0, buffers: [new Uint8Array(0), unaligned(BigInt64Array.of(-1n, 2n ** 40n, 7n))] };
    expect(valuesOf({ name: 'c', type: 'int64', nullable: true }, gatherColumn('int64', [{ column: ints, rows: { indexes: Uint32Array.of(1, 2, 0) } }]), 3)).toEqual([2n ** 40n, 7n, -1n]);
  });

  it('calls ascending indexes a run only when they are consecutive', () => {
    expect(pickOf(Uint32Array.of(3, 4, 5))).toEqual({ from: 3, to: 6 });
    expect(pickOf(Uint32Array.of(3, 5, 6))).toEqual({ indexes: Uint32Array.of(3, 5, 6) });
    expect(pickLength(pickOf(new Uint32Array(0)))).toBe(0);
  });
});

function unaligned(values: ArrayBufferView): Uint8Array {
  const out = new Uint8Array(values.byteLength + 1).subarray(1);
  out.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
  return out;
}

describe('arrow columns of Arrow JS data', () => {
  it('gives an all-null column full-size zero buffers (Arrow may leave them empty)', () => {
    for (const type of COLUMN_TYPES) {
      const d = A.makeData({ type: rowsToBatch([{ name: 'c', type, nullable: true }], []).schema.fields[0]!.type, length: 9, nullCount: 9, nullBitmap: new Uint8Array(2) } as never) as A.Data;
      const col = columnOfData(type, d);
      expect(columnProblem(type, col, 9)).toBeUndefined();
      expect(valuesOf({ name: 'c', type, nullable: true }, gatherColumn(type, [{ column: col, rows: { indexes: Uint32Array.of(8, 1) } }]), 2)).toEqual([null, null]);
    }
  });
});
