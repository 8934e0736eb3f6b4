import { describe, expect, it } from 'vitest';
import { batchRows, ipcToBatches, rowsToBatch } from '../../src/common/arrow.js';
import { COLUMN_TYPES, type Column } from '../../src/common/schema.js';
import { CHANGE_TYPES, type Row } from '../../src/common/values.js';
import { StoredRowBatchBuilder } from '../../src/kv/row-arrow.js';
import { encodeRow } from '../../src/kv/row-codec.js';
import { int, mulberry32, pick, randomValue } from '../common/random-values.js';

const SEED = Number(process.env.FUZZ_SEED ?? 0xc4a1);

describe('StoredRowBatchBuilder.finishChangelogIpc', () => {
  it('reads back as rowsToBatch writes the same rows and change types, for 200 random schemas', () => {
    const rng = mulberry32(SEED);
    for (let round = 0; round < 200; round++) {
      const columns: Column[] = Array.from({ length: int(rng, 1, 10) }, (_, i) => ({ name: `c${i}`, type: pick(rng, COLUMN_TYPES), nullable: rng() < 0.5 }));
      const rows: Row[] = Array.from({ length: int(rng, 0, 30) }, () => Object.fromEntries(columns.map((c) => [c.name, c.nullable && rng() < 0.3 ? null : randomValue(rng, c.type)])));
      const types = rows.map(() => pick(rng, ['+I', '-U', '+U', '-D'] as const));
      const builder = new StoredRowBatchBuilder(columns, rows.length);
      for (const r of rows) builder.add(encodeRow(columns, r));
      const built = ipcToBatches(builder.finishChangelogIpc(Int8Array.from(types, (t) => CHANGE_TYPES.indexOf(t))));
      const expected = rowsToBatch(columns, rows, types);
      expect(built.schema.fields.map((f) => [f.name, String(f.type), f.nullable]), `round ${round}`).toEqual(expected.schema.fields.map((f) => [f.name, String(f.type), f.nullable]));
      const got = built.batches.flatMap((b) => batchRows(b));
      expect(got, `round ${round} (seed ${SEED})`).toEqual(batchRows(expected));
    }
  });

  it('refuses a change type count that is not the row count', () => {
    const columns: Column[] = [{ name: 'id', type: 'int32', nullable: false }];
    const builder = new StoredRowBatchBuilder(columns, 1);
    builder.add(encodeRow(columns, { id: 1 }));
    expect(() => builder.finishChangelogIpc(new Int8Array(2))).toThrow(/1 rows got 2 change types/);
  });
});
