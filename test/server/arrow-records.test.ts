import * as A from 'apache-arrow';
import { describe, expect, test } from 'vitest';
import { batchRows, batchToIpc, ipcToBatches, rowsToBatch } from '../../src/common/arrow.js';
import { LakestreamError } from '../../src/common/errors.js';
import { COLUMN_TYPES, type Column } from '../../src/common/schema.js';
import { CHANGE_TYPES, type ChangeType, type Row } from '../../src/common/values.js';
import { columnsOfStream } from '../../src/log/column-read.js';
import { columnBatchesToIpc } from '../../src/server/arrow-records.js';
import { int, mulberry32, pick, randomValue, type Rng } from '../common/random-values.js';

const SEED = Number(process.env.FUZZ_SEED ?? 0xc01d);
const CASES = 400;

interface Stored {
  columns: Column[];
  rows: Row[];
  types: ChangeType[] | null;
  ipc: Uint8Array;
}

/** A stored batch as the server writes it: every column type, nulls, maybe a changelog column. */
function randomStored(rng: Rng): Stored {
  const columns: Column[] = Array.from({ length: int(rng, 1, 6) }, (_, i) => ({ name: `c${i}`, type: pick(rng, COLUMN_TYPES), nullable: rng() < 0.6 }));
  const rows: Row[] = Array.from({ length: int(rng, 1, 40) }, () => {
    const row: Row = {};
    for (const c of columns) row[c.name] = c.nullable && rng() < 0.3 ? null : randomValue(rng, c.type);
    return row;
  });
  const types = rng() < 0.4 ? rows.map(() => pick(rng, CHANGE_TYPES)) : null;
  return { columns, rows, types, ipc: batchToIpc(rowsToBatch(columns, rows, types ?? undefined)) };
}

function decode(chunks: Uint8Array[]): A.RecordBatch[] {
  return [...A.RecordBatchReader.from(Buffer.concat(chunks))] as A.RecordBatch[];
}

describe('Arrow fetch assembled from stored column buffers', () => {
  test(`any projection and any row window reads back as apache-arrow wrote it (seed ${SEED})`, () => {
    const rng = mulberry32(SEED);
    for (let n = 0; n < CASES; n++) {
      const s = randomStored(rng);
      const projection = s.columns.filter(() => rng() < 0.6);
      const base = BigInt(int(rng, 0, 1_000_000));
      const header = { baseOffset: base, recordCount: s.rows.length, commitTimestamp: int(rng, 0, 2 ** 40), hasChangeType: s.types !== null };
      const { batch } = columnsOfStream('test', header, s.ipc, projection.map((c) => c.name));
      const from = int(rng, 0, s.rows.length - 1);
      const maxRecords = int(rng, 1, s.rows.length + 2);
      const { chunks, bytes, nextOffset } = columnBatchesToIpc(projection, [batch], base + BigInt(from), maxRecords);
      const to = Math.min(s.rows.length, from + maxRecords);
      expect(bytes).toBe(chunks.reduce((k, c) => k + c.length, 0));
      expect(nextOffset).toBe(base + BigInt(to));
      const [out, ...rest] = decode(chunks);
      expect(rest).toEqual([]);
      expect(out!.schema.fields.map((f) => f.name)).toEqual([...projection.map((c) => c.name), '_log_offset', '_commit_timestamp', '_change_type']);
      // Compared with apache-arrow's own reading of the stored batch (its utf8 decoder drops a leading BOM).
      const storedRows = batchRows(ipcToBatches(s.ipc).batches[0]!);
      const want = storedRows.slice(from, to).map((r, i) => ({
        ...Object.fromEntries(projection.map((c) => [c.name, r[c.name] ?? null])),
        _log_offset: base + BigInt(from + i),
        _commit_timestamp: header.commitTimestamp,
        _change_type: s.types ? s.types[from + i] : '+A',
      }));
      expect(batchRows(out!)).toEqual(want);
    }
  });

  test('batches before the offset are skipped and maxRecords spans batches', () => {
    const columns: Column[] = [{ name: 'id', type: 'int32', nullable: false }];
    const ipc = (first: number) => batchToIpc(rowsToBatch(columns, Array.from({ length: 10 }, (_, i) => ({ id: first + i }))));
    const batches = [0, 10, 20].map((first) => columnsOfStream('test', { baseOffset: BigInt(first), recordCount: 10, commitTimestamp: 5, hasChangeType: false }, ipc(first), ['id']).batch);
    const { chunks, nextOffset } = columnBatchesToIpc(columns, batches, 12n, 13);
    expect(nextOffset).toBe(25n);
    expect(decode(chunks).flatMap((b) => batchRows(b, ['id']).map((r) => r.id))).toEqual(Array.from({ length: 13 }, (_, i) => 12 + i));
  });

  test('a stored buffer too short for its column, or a change type code out of range, is a STORAGE_ERROR', () => {
    const columns: Column[] = [{ name: 'x', type: 'int64', nullable: false }];
    const stored = batchToIpc(rowsToBatch(columns, [{ x: 1n }, { x: 2n }], ['+I', '-D']));
    const { batch } = columnsOfStream('test', { baseOffset: 0n, recordCount: 2, commitTimestamp: 1, hasChangeType: true }, stored, ['x']);
    const short = { ...batch, columns: [{ nullCount: 0, buffers: [new Uint8Array(0), new Uint8Array(15)] }] };
    expect(() => columnBatchesToIpc(columns, [short], 0n, 10)).toThrow(LakestreamError);
    const badCode = { ...batch, changeTypes: Int8Array.of(0, 9) };
    try {
      columnBatchesToIpc(columns, [badCode], 0n, 10);
      expect.unreachable('a bad change type code was served');
    } catch (e) {
      expect((e as LakestreamError).code).toBe('STORAGE_ERROR');
    }
  });
});
