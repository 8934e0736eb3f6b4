import { describe, expect, it } from 'vitest';
import { LakestreamError } from '../../src/common/errors.js';
import { parseTableDefinition } from '../../src/common/schema.js';
import { parseDurationMs, parseSizeBytes } from '../../src/common/units.js';

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof LakestreamError) return e.code;
    throw e;
  }
  return 'NO_ERROR';
}

describe('units', () => {
  it('reads sizes and durations like Fluss', () => {
    expect(parseSizeBytes('64kb')).toBe(65536);
    expect(parseSizeBytes('1gb')).toBe(1024 ** 3);
    expect(parseSizeBytes('100')).toBe(100);
    expect(parseDurationMs('500ms')).toBe(500);
    expect(parseDurationMs('3s')).toBe(3000);
    expect(parseDurationMs('7d')).toBe(7 * 86_400_000);
    expect(parseDurationMs('5min')).toBe(300_000);
  });
  it('refuses nonsense', () => {
    expect(codeOf(() => parseSizeBytes('lots'))).toBe('INVALID_PROPERTY');
    expect(codeOf(() => parseDurationMs('3 fortnights'))).toBe('INVALID_PROPERTY');
    expect(codeOf(() => parseDurationMs('-1s'))).toBe('INVALID_PROPERTY');
  });
});

describe('table definitions', () => {
  const cols = [{ name: 'id', type: 'int64', nullable: true }, { name: 'v', type: 'string' }];
  it('fills defaults and makes primary-key columns non-nullable', () => {
    const d = parseTableDefinition({ columns: cols, primaryKey: ['id'] });
    expect(d.buckets).toBe(1);
    expect(d.bucketKey).toEqual(['id']);
    expect(d.columns[0]!.nullable).toBe(false);
    expect(d.columns[1]!.nullable).toBe(true);
  });
  it('requires the bucket key of a primary-key table to be part of the key', () => {
    expect(codeOf(() => parseTableDefinition({ columns: cols, primaryKey: ['id'], bucketKey: ['v'] }))).toBe('INVALID_KEY');
  });
  it('validates merge-engine combinations at create', () => {
    const base = { columns: [...cols, { name: 'ver', type: 'int64' }], primaryKey: ['id'] };
    expect(codeOf(() => parseTableDefinition({ ...base, properties: { 'table.merge-engine': 'versioned' } }))).toBe('INVALID_PROPERTY');
    expect(codeOf(() => parseTableDefinition({ ...base, properties: { 'table.merge-engine': 'versioned', 'table.merge-engine.versioned.ver-column': 'v' } }))).toBe('INVALID_PROPERTY');
    expect(codeOf(() => parseTableDefinition({ ...base, properties: { 'table.merge-engine': 'versioned', 'table.merge-engine.versioned.ver-column': 'ver' } }))).toBe('NO_ERROR');
    expect(codeOf(() => parseTableDefinition({ ...base, properties: { 'table.merge-engine': 'aggregation', 'fields.v.agg': 'median' } }))).toBe('INVALID_PROPERTY');
    expect(codeOf(() => parseTableDefinition({ ...base, properties: { 'table.merge-engine': 'aggregation', 'fields.v.agg': 'sum' } }))).toBe('INVALID_PROPERTY');
    expect(codeOf(() => parseTableDefinition({ ...base, properties: { 'table.merge-engine': 'aggregation', 'fields.ver.agg': 'sum', 'fields.v.agg': 'listagg' } }))).toBe('NO_ERROR');
    expect(codeOf(() => parseTableDefinition({ columns: cols, properties: { 'table.merge-engine': 'first_row' } }))).toBe('INVALID_PROPERTY');
  });
  it('refuses properties with unknown names or bad values', () => {
    expect(codeOf(() => parseTableDefinition({ columns: cols, properties: { 'table.log.ttl': '1ms' } }))).toBe('INVALID_PROPERTY');
    expect(codeOf(() => parseTableDefinition({ columns: cols, properties: { 'table.datalake.freshness': '500ms' } }))).toBe('INVALID_PROPERTY');
    expect(codeOf(() => parseTableDefinition({ columns: cols, properties: { __proto__x: '1' } }))).toBe('INVALID_PROPERTY');
  });
});
