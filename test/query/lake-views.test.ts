import { DuckDBInstance } from '@duckdb/node-api';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Column } from '../../src/common/schema.js';
import { encodeParquet } from '../../src/lake/parquet.js';
import { currentStateSql, referencedTables } from '../../src/query/lake-views.js';

const columns: Column[] = [{ name: 'id', type: 'int64', nullable: false }, { name: 'name', type: 'string', nullable: true }];

function write(dir: string, name: string, rows: [bigint, string][], offsets: bigint[], changeTypes?: ('+I' | '-U' | '+U' | '-D')[]): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, encodeParquet(columns, {
    rows: rows.map(([id, n]) => ({ id, name: n })), bucket: 0, offsets, timestamps: offsets.map(() => 0), ...(changeTypes ? { changeTypes } : {}),
  }, { compression: 'snappy', rowGroupRows: 1000 }));
  return file;
}

describe('lake views', () => {
  it('merges a compacted base with newer changelog files by key', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'views-'));
    const base = write(dir, 'base.parquet', [[1n, 'a'], [2n, 'b'], [3n, 'c']], [0n, 1n, 2n]);
    const change = write(dir, 'c.parquet', [[2n, 'b'], [2n, 'b2'], [3n, 'c'], [4n, 'd']], [3n, 4n, 5n, 6n], ['-U', '+U', '-D', '+I']);
    const sql = currentStateSql({ database: 'd', name: 't', columns, primaryKey: ['id'], baseFiles: [base], changeFiles: [change] });
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    const rows = (await conn.runAndReadAll(`SELECT * FROM (${sql}) ORDER BY id`)).getRowObjectsJS();
    conn.closeSync();
    expect(rows).toEqual([{ id: 1n, name: 'a' }, { id: 2n, name: 'b2' }, { id: 4n, name: 'd' }]);
  });

  it('finds the db.table names a query mentions', () => {
    const known = [{ database: 'shop', name: 'events' }, { database: 'shop', name: 'event' }, { database: 'hr', name: 'people' }];
    expect(referencedTables('SELECT * FROM shop.events JOIN "hr"."people" USING (id)', known)).toEqual([known[0], known[2]]);
  });
});
