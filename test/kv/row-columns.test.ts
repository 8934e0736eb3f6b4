import { describe, expect, it } from 'vitest';
import { batchToIpc, conformBatch, ipcToBatches, rowsToBatch } from '../../src/common/arrow.js';
import { LakestreamError } from '../../src/common/errors.js';
import { COLUMN_TYPES, type Column } from '../../src/common/schema.js';
import type { Row } from '../../src/common/values.js';
import { encodeRow } from '../../src/kv/row-codec.js';
import { storedRowsOf } from '../../src/kv/row-columns.js';
import { int, mulberry32, pick, randomValue, type Rng } from '../common/random-values.js';

const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed);

function randomColumns(rng: Rng): Column[] {
  return Array.from({ length: int(rng, 1, 12) }, (_, i) => ({ name: `c${i}`, type: pick(rng, COLUMN_TYPES), nullable: rng() < 0.5 }));
}

/** The batch as the server sees it: through IPC bytes and conformBatch, as an upsert body arrives. */
function received(columns: readonly Column[], rows: readonly Row[]) {
  return conformBatch(columns, ipcToBatches(batchToIpc(rowsToBatch(columns, rows))).batches[0]!);
}

describe('storedRowsOf', () => {
  it('writes exactly the bytes encodeRow writes, for 300 random schemas and batches', () => {
    const rng = mulberry32(SEED);
    for (let round = 0; round < 300; round++) {
      const columns = randomColumns(rng);
      const rows: Row[] = Array.from({ length: int(rng, 0, 40) }, () => {
        const row: Row = {};
        for (const c of columns) row[c.name] = c.nullable && rng() < 0.3 ? null : randomValue(rng, c.type);
        // JS keeps a NaN's payload bits on some paths and not others; a NaN is stored as a NaN, whatever its bits.
        for (const c of columns) if (Number.isNaN(row[c.name])) row[c.name] = NaN;
        return row;
      });
      const stored = storedRowsOf(columns, received(columns, rows));
      expect(stored, `round ${round}`).toBeDefined();
      expect(stored!.map((b) => Buffer.from(b).toString('hex')), `round ${round} (seed ${SEED})`).toEqual(rows.map((r) => Buffer.from(encodeRow(columns, r)).toString('hex')));
    }
  });

  it('refuses a string that is not UTF-8, naming the column', () => {
    const columns: Column[] = [{ name: 'id', type: 'int32', nullable: false }, { name: 's', type: 'string', nullable: true }];
    const batch = received(columns, [{ id: 1, s: 'ab' }, { id: 2, s: 'cd' }]);
    (batch.getChild('s')!.data[0]!.values as Uint8Array)[2] = 0xff;
    expect(() => storedRowsOf(columns, batch)).toThrow(LakestreamError);
    expect(() => storedRowsOf(columns, batch)).toThrow(/column 's'.*UTF-8/);
  });

  it('leaves sliced batches to encodeRow', () => {
    const columns: Column[] = [{ name: 'id', type: 'int64', nullable: false }];
    const batch = received(columns, [{ id: 1n }, { id: 2n }, { id: 3n }]);
    expect(storedRowsOf(columns, batch.slice(1, 3))).toBeUndefined();
  });
});
