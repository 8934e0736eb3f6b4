/**
 * The files we write are for other engines too: DuckDB reads one back and must see the same rows,
 * the types we chose, and row-group statistics.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeParquet } from '../../src/lake/parquet.js';
import { ALL_TYPES, fixture } from './fixtures.js';

const DAY = 86_400_000;
let dir: string;
let file: string;
let conn: Awaited<ReturnType<DuckDBInstance['connect']>>;
const f = fixture(500, 100n);

async function query(sql: string): Promise<Record<string, unknown>[]> {
  const reader = await conn.runAndReadAll(sql);
  return reader.getRowObjectsJS() as Record<string, unknown>[];
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lake-duckdb-'));
  file = path.join(dir, 'part.parquet');
  const bytes = encodeParquet(ALL_TYPES, { rows: f.rows, bucket: 4, offsets: f.offsets, timestamps: f.timestamps, changeTypes: f.changeTypes }, { compression: 'zstd', rowGroupRows: 200 });
  fs.writeFileSync(file, bytes);
  const db = await DuckDBInstance.create(':memory:');
  conn = await db.connect();
  await conn.run("SET TimeZone = 'UTC'");
});

afterAll(() => {
  conn?.closeSync();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('parquet read by DuckDB', () => {
  it('duckdb: sees the column types we chose', async () => {
    const rows = await query(`DESCRIBE SELECT * FROM read_parquet('${file}')`);
    const types = Object.fromEntries(rows.map((r) => [r.column_name, r.column_type]));
    expect(types).toEqual({
      b: 'BOOLEAN', i8: 'TINYINT', i16: 'SMALLINT', i32: 'INTEGER', i64: 'BIGINT', f32: 'FLOAT', f64: 'DOUBLE',
      s: 'VARCHAR', bin: 'BLOB', d: 'DATE', ts: 'TIMESTAMP WITH TIME ZONE',
      __bucket: 'INTEGER', __offset: 'BIGINT', __timestamp: 'TIMESTAMP WITH TIME ZONE', __change_type: 'VARCHAR',
    });
  });

  it('duckdb: reads the same rows', async () => {
    const rows = await query(`SELECT i64::VARCHAR AS i64, b, i8, i16, i32, f64, s, hex(bin) AS bin, epoch_ms(ts) AS ts, (d - DATE '1970-01-01') AS days,
      __bucket, __offset::VARCHAR AS off, epoch_ms(__timestamp) AS t, __change_type FROM read_parquet('${file}') ORDER BY __offset`);
    expect(rows).toHaveLength(f.rows.length);
    for (let i = 0; i < f.rows.length; i++) {
      const e = f.rows[i]!;
      const a = rows[i]!;
      expect(a.i64).toBe(String(e.i64));
      expect(a.b).toBe(e.b);
      expect(a.i8).toBe(e.i8);
      expect(a.i16).toBe(e.i16);
      expect(a.i32).toBe(e.i32);
      if (typeof e.f64 === 'number' && Number.isFinite(e.f64)) expect(a.f64).toBe(e.f64);
      expect(a.s).toBe(e.s);
      expect(a.bin).toBe(e.bin === null ? null : Buffer.from(e.bin as Uint8Array).toString('hex').toUpperCase());
      expect(a.ts === null ? null : Number(a.ts)).toBe(e.ts);
      expect(a.days === null ? null : Number(a.days)).toBe(e.d === null ? null : (e.d as number) / DAY);
      expect(a.__bucket).toBe(4);
      expect(a.off).toBe(String(f.offsets[i]));
      expect(Number(a.t)).toBe(f.timestamps[i]);
      expect(a.__change_type).toBe(f.changeTypes[i]);
    }
  });

  it('duckdb: finds min/max statistics in every row group', async () => {
    // hyparquet-writer fills the Parquet 2 fields min_value/max_value (DuckDB: stats_min_value /
    // stats_max_value), not the deprecated min/max (stats_min / stats_max).
    const stats = await query(`SELECT row_group_id::INTEGER AS rg, path_in_schema AS col, stats_min_value AS lo, stats_max_value AS hi, stats_null_count AS nulls
      FROM parquet_metadata('${file}') WHERE path_in_schema IN ('__offset', 'i64', 'i32', 's') ORDER BY rg, col`);
    expect(stats).toHaveLength(12);
    const of = (col: string, rg: number) => stats.find((s) => s.col === col && s.rg === rg)!;
    expect([0, 1, 2].map((rg) => [of('__offset', rg).lo, of('__offset', rg).hi])).toEqual([['100', '299'], ['300', '499'], ['500', '599']]);
    expect(of('i64', 0).lo).toBe(String(-(2n ** 63n)));
    expect(of('i64', 0).hi).toBe(String(2n ** 63n - 1n));
    expect(of('i32', 0).lo).toBe('-2147483648');
    expect(Number(of('i32', 0).nulls)).toBeGreaterThan(0);
    expect(of('s', 1).lo).toMatch(/^row-2/);
    // DuckDB uses them: a filter on __offset reads the right rows.
    const [{ n }] = await query(`SELECT count(*)::INTEGER AS n FROM read_parquet('${file}') WHERE __offset >= 350 AND __offset < 420`) as [{ n: number }];
    expect(n).toBe(70);
  });
});
