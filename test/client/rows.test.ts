import { describe, expect, it } from 'vitest';
import type { Column } from '../../src/common/schema.js';
import { estimateRowBytes, inputToValue, rowFromWire, toRow } from '../../src/client/rows.js';

const cols: Column[] = [
  { name: 'id', type: 'int64', nullable: false },
  { name: 'n', type: 'int32', nullable: true },
  { name: 'ts', type: 'timestamp', nullable: true },
  { name: 'd', type: 'date', nullable: true },
  { name: 'b', type: 'binary', nullable: true },
  { name: 's', type: 'string', nullable: true },
];
const col = (name: string): Column => cols.find((c) => c.name === name)!;

describe('client rows', () => {
  it('accepts JSON forms: a number or a decimal string for int64, ISO text for timestamps, YYYY-MM-DD, base64', () => {
    const row = toRow(cols, { id: 1, n: 5, ts: '2024-01-02T03:04:05.006Z', d: '2024-01-02', b: 'AQI=', s: 'x' });
    expect(row).toEqual({ id: 1n, n: 5, ts: Date.UTC(2024, 0, 2, 3, 4, 5, 6), d: Date.UTC(2024, 0, 2), b: Uint8Array.of(1, 2), s: 'x' });
    expect(toRow(cols, { id: '9223372036854775807' }).id).toBe(9223372036854775807n);
  });

  it('accepts in-memory forms: bigint, epoch ms, Uint8Array, and Date objects', () => {
    const row = toRow(cols, { id: 3n, ts: new Date(1234), d: new Date(Date.UTC(2024, 0, 2, 15)), b: Uint8Array.of(9) });
    expect(row.id).toBe(3n);
    expect(row.ts).toBe(1234);
    expect(row.d).toBe(Date.UTC(2024, 0, 2));
    expect(row.b).toEqual(Uint8Array.of(9));
  });

  it('fills absent nullable columns with null and ignores system columns', () => {
    expect(toRow(cols, { id: 1, _log_offset: 5, _change_type: '+A' })).toEqual({ id: 1n, n: null, ts: null, d: null, b: null, s: null });
  });

  it('takes a number for a date as epoch ms at UTC midnight, so scanned rows can be written back', () => {
    expect(inputToValue(col('d'), 86_400_000 * 3)).toBe(86_400_000 * 3);
    expect(() => inputToValue(col('d'), 19_000)).toThrow(/UTC midnight/);
  });

  it('refuses unknown columns, missing keys, nulls in non-nullable columns and wrong types', () => {
    expect(() => toRow(cols, { id: 1, nope: 2 })).toThrow(expect.objectContaining({ code: 'UNKNOWN_COLUMN' }));
    expect(() => toRow(cols, { n: 1 }, { required: ['id'] })).toThrow(expect.objectContaining({ code: 'MISSING_KEY' }));
    expect(() => toRow(cols, { n: 1 })).toThrow(expect.objectContaining({ code: 'NULL_IN_NON_NULLABLE' }));
    expect(() => toRow(cols, { id: 1.5 })).toThrow(expect.objectContaining({ code: 'INVALID_VALUE' }));
    expect(() => toRow(cols, { id: 1, n: new Date() })).toThrow(expect.objectContaining({ code: 'INVALID_VALUE' }));
    expect(() => toRow(cols, { id: 1, s: Uint8Array.of(1) })).toThrow(expect.objectContaining({ code: 'INVALID_VALUE' }));
  });

  it('accepts a small bigint for int32', () => {
    expect(inputToValue(col('n'), 7n)).toBe(7);
  });

  it('types a JSON row from the server, keeping only the columns present', () => {
    expect(rowFromWire(cols, { id: '18446744073', d: '1970-01-02', b: 'AQ==', s: null })).toEqual({ id: 18446744073n, d: 86_400_000, b: Uint8Array.of(1), s: null });
  });

  it('estimates row bytes from the values', () => {
    expect(estimateRowBytes({ a: 1n, b: 'héllo', c: null, d: Uint8Array.of(1, 2, 3) })).toBe(8 + 4 + 6 + 1 + 4 + 3);
  });
});
