import { describe, expect, it } from 'vitest';
import { batchRows, batchToIpc, ipcToBatches, rowsToBatch } from '../../src/common/arrow.js';
import { ArrowBatchBuilder } from '../../src/common/arrow-builder.js';
import { columnProblem } from '../../src/common/arrow-columns.js';
import { COLUMN_TYPES, type Column } from '../../src/common/schema.js';
import type { Row } from '../../src/common/values.js';
import { int, mulberry32, pick, randomValue, type Rng } from './random-values.js';

const TABLES = 80;

function randomColumns(rng: Rng, round: number): Column[] {
  const types = [COLUMN_TYPES[round % COLUMN_TYPES.length]!, ...Array.from({ length: int(rng, 0, 4) }, () => pick(rng, COLUMN_TYPES))];
  return types.map((type, i) => ({ name: `c${i}`, type, nullable: true }));
}

function randomRows(rng: Rng, columns: readonly Column[], n: number): Row[] {
  return Array.from({ length: n }, () => {
    const row: Row = {};
    for (const c of columns) if (rng() >= 0.25) row[c.name] = randomValue(rng, c.type); // absent means null
    return row;
  });
}

function readBack(ipc: Uint8Array): Row[] {
  const { batches } = ipcToBatches(ipc);
  expect(batches).toHaveLength(1);
  return batchRows(batches[0]!);
}

describe('arrow batch builder', () => {
  it('builds the rows Arrow JS builds from the same rows, for every type, with nulls, through growth', () => {
    const rng = mulberry32(0xa1b);
    for (let round = 0; round < TABLES; round++) {
      const columns = randomColumns(rng, round);
      const rows = randomRows(rng, columns, int(rng, 0, 70));
      const builder = new ArrowBatchBuilder(columns, int(rng, 1, 20)); // small, so it grows
      for (const row of rows) builder.appendRow(row);
      expect(builder.rowCount).toBe(rows.length);
      builder.columnBuffers().forEach((col, j) => expect(columnProblem(columns[j]!.type, col, rows.length)).toBeUndefined());
      expect(readBack(builder.finishIpc())).toEqual(readBack(batchToIpc(rowsToBatch(columns, rows))));
    }
  });

  it('takes values by position as it takes them by name, and an int64 as a safe number or a bigint', () => {
    const columns: Column[] = [{ name: 'a', type: 'int64', nullable: true }, { name: 't', type: 'timestamp', nullable: true }, { name: 's', type: 'string', nullable: true }];
    const byPosition = new ArrowBatchBuilder(columns);
    const values = [[-(2 ** 53) + 1, -1, 'x'], [2n ** 62n, 2 ** 53 - 1, null], [0, -(2 ** 53) + 1, '']] as const;
    for (const v of values) byPosition.append(v as never);
    expect(readBack(byPosition.finishIpc())).toEqual([
      { a: -(2n ** 53n) + 1n, t: -1, s: 'x' },
      { a: 2n ** 62n, t: 2 ** 53 - 1, s: null },
      { a: 0n, t: -(2 ** 53) + 1, s: '' },
    ]);
  });

  it('encodes a lone surrogate as U+FFFD, as TextEncoder and Arrow JS do', () => {
    const columns: Column[] = [{ name: 's', type: 'string', nullable: false }];
    const rows = [{ s: 'a\uD800b' }, { s: '\uDC00' }, { s: '😀\uD83D' }];
    const builder = new ArrowBatchBuilder(columns);
    for (const row of rows) builder.appendRow(row);
    expect(readBack(builder.finishIpc())).toEqual(readBack(batchToIpc(rowsToBatch(columns, rows))));
    expect(readBack(builder.finishIpc())[0]).toEqual({ s: 'a\uFFFDb' });
  });

  it('weighs its rows as their values and offsets', () => {
    const builder = new ArrowBatchBuilder([{ name: 'a', type: 'int64', nullable: true }, { name: 's', type: 'string', nullable: true }, { name: 'b', type: 'boolean', nullable: true }]);
    expect(builder.byteLength).toBe(0);
    builder.appendRow({ a: 1n, s: 'héllo', b: true });
    builder.appendRow({ a: null, s: null, b: null });
    expect(builder.byteLength).toBe(2 * (8 + 4 + 1) + 6);
  });
});
