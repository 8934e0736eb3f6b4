import * as A from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { batchRows, batchToIpc, conformBatch, ipcToBatches, rowsToBatch } from '../../src/common/arrow.js';
import { LakestreamError } from '../../src/common/errors.js';
import { jsonToValue, rowFromJson, rowToJson, valueToJson } from '../../src/common/json-values.js';
import type { Column } from '../../src/common/schema.js';

const col = (type: Column['type'], nullable = true): Column => ({ name: 'c', type, nullable });

describe('JSON value forms', () => {
  it('keeps int64 exact beyond 2^53 in both directions', () => {
    expect(jsonToValue(col('int64'), '9223372036854775807')).toBe(9223372036854775807n);
    expect(valueToJson('int64', 9223372036854775807n)).toBe('9223372036854775807');
    expect(valueToJson('int64', 42n)).toBe(42);
    expect(() => jsonToValue(col('int64'), 2 ** 60)).toThrow(LakestreamError);
    expect(() => jsonToValue(col('int64'), '9223372036854775808')).toThrow(/out of range: int64 holds -9223372036854775808 to 9223372036854775807/);
    expect(() => jsonToValue(col('int64'), '-9223372036854775809')).toThrow(/out of range/);
    expect(() => jsonToValue(col('int64'), '9'.repeat(100_000))).toThrow(/out of range/);
    expect(jsonToValue(col('int64'), '-0009223372036854775808')).toBe(-9223372036854775808n);
    expect(() => jsonToValue(col('int64'), '12a')).toThrow(/expected an int64 as a number or a decimal string/);
  });
  it('reads timestamps as epoch ms or ISO-8601 (UTC when no zone is given)', () => {
    expect(jsonToValue(col('timestamp'), '2024-01-01T00:00:00Z')).toBe(Date.UTC(2024, 0, 1));
    expect(jsonToValue(col('timestamp'), '2024-01-01T02:00:00+02:00')).toBe(Date.UTC(2024, 0, 1));
    expect(jsonToValue(col('timestamp'), '2024-01-01 00:00:00')).toBe(Date.UTC(2024, 0, 1));
    expect(jsonToValue(col('timestamp'), 5)).toBe(5);
  });
  it('round-trips dates, binary and non-finite floats', () => {
    const d = jsonToValue(col('date'), '2024-02-29');
    expect(valueToJson('date', d)).toBe('2024-02-29');
    expect(() => jsonToValue(col('date'), '2023-02-29')).toThrow(LakestreamError);
    expect(valueToJson('binary', jsonToValue(col('binary'), 'AAEC'))).toBe('AAEC');
    expect(valueToJson('float64', jsonToValue(col('float64'), '-Infinity'))).toBe('-Infinity');
  });
  it('names the row and column of a bad value', () => {
    const columns: Column[] = [{ name: 'id', type: 'int32', nullable: false }];
    expect(() => rowFromJson(columns, { id: 'x' }, 3)).toThrow(/row 3.*'id'/);
    expect(rowToJson(columns, rowFromJson(columns, { id: 5 }, 0))).toEqual({ id: 5 });
  });
});

describe('Arrow batches', () => {
  const columns: Column[] = [
    { name: 'id', type: 'int64', nullable: false },
    { name: 's', type: 'string', nullable: true },
    { name: 't', type: 'timestamp', nullable: true },
  ];
  it('round-trips rows through IPC', () => {
    const rows = [{ id: 1n, s: 'a', t: 1000 }, { id: -5n, s: null, t: null }];
    const { batches } = ipcToBatches(batchToIpc(rowsToBatch(columns, rows)));
    expect(batchRows(batches[0]!)).toEqual(rows);
  });
  it('fills missing nullable columns and refuses missing non-nullable ones', () => {
    const only = new A.Table({ id: A.vectorFromArray([1n], new A.Int64()) }).batches[0]!;
    expect(batchRows(conformBatch(columns, only))).toEqual([{ id: 1n, s: null, t: null }]);
    const noId = new A.Table({ s: A.vectorFromArray(['x'], new A.Utf8()) }).batches[0]!;
    expect(() => conformBatch(columns, noId)).toThrow(/not nullable/);
  });
  it('turns every truncation of a stream into INVALID_ARROW, never a crash', () => {
    const bytes = batchToIpc(rowsToBatch(columns, [{ id: 1n, s: 'hello', t: 5 }]));
    for (let n = 1; n < bytes.length - 8; n += 7) {
      try {
        const { batches } = ipcToBatches(bytes.subarray(0, n));
        for (const b of batches) batchRows(b);
      } catch (e) {
        expect(e).toBeInstanceOf(LakestreamError);
        expect((e as LakestreamError).code).toBe('INVALID_ARROW');
      }
    }
  });
});
