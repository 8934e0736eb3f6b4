/**
 * The files we write are for other engines too: DuckDB reads one back and must see the same rows,
 * the types we chose, and row-group statistics. Both encoders are checked: from rows (compaction,
 * `lakestream query`) and from Arrow batches (tiering, whose PLAIN chunks are written from buffers).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parquetMetadata } from 'hyparquet';
import type { Column } from '../../src/common/schema.js';
import { decodeParquet, encodeParquet, encodeParquetFromArrow } from '../../src/lake/parquet.js';
import { ALL_TYPES, fixture, fixtureBatches } from './fixtures.js';

const DAY = 86_400_000;
let dir: string;
const files: Record<'rows' | 'arrow', string> = { rows: '', arrow: '' };
let conn: Awaited<ReturnType<DuckDBInstance['connect']>>;
const f = fixture(500, 100n);

async function query(sql: string): Promise<Record<string, unknown>[]> {
  const reader = await conn.runAndReadAll(sql);
  return reader.getRowObjectsJS() as Record<string, unknown>[];
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lake-duckdb-'));
  files.rows = path.join(dir, 'rows.parquet');
  files.arrow = path.join(dir, 'arrow.parquet');
  fs.writeFileSync(files.rows, encodeParquet(ALL_TYPES, { rows: f.rows, bucket: 4, offsets: f.offsets, timestamps: f.timestamps, changeTypes: f.changeTypes }, { compression: 'zstd', rowGroupRows: 200 }));
  fs.writeFileSync(files.arrow, encodeParquetFromArrow(ALL_TYPES, fixtureBatches(ALL_TYPES, f, 70, { changeTypes: 'int8' }), { compression: 'zstd', rowGroupRows: 200, bucket: 4 }));
  const db = await DuckDBInstance.create(':memory:');
  conn = await db.connect();
  await conn.run("SET TimeZone = 'UTC'");
});

afterAll(() => {
  conn?.closeSync();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe.each(['rows', 'arrow'] as const)('parquet read by DuckDB (encoded from %s)', (via) => {
  const file = () => files[via];
  it('duckdb: sees the column types we chose', async () => {
    const rows = await query(`DESCRIBE SELECT * FROM read_parquet('${file()}')`);
    const types = Object.fromEntries(rows.map((r) => [r.column_name, r.column_type]));
    expect(types).toEqual({
      b: 'BOOLEAN', i8: 'TINYINT', i16: 'SMALLINT', i32: 'INTEGER', i64: 'BIGINT', f32: 'FLOAT', f64: 'DOUBLE',
      s: 'VARCHAR', bin: 'BLOB', d: 'DATE', ts: 'TIMESTAMP WITH TIME ZONE',
      __bucket: 'INTEGER', __offset: 'BIGINT', __timestamp: 'TIMESTAMP WITH TIME ZONE', __change_type: 'VARCHAR',
    });
  });

  it('duckdb: reads the same rows', async () => {
    const rows = await query(`SELECT i64::VARCHAR AS i64, b, i8, i16, i32, f64, s, hex(bin) AS bin, epoch_ms(ts) AS ts, (d - DATE '1970-01-01') AS days,
      __bucket, __offset::VARCHAR AS off, epoch_ms(__timestamp) AS t, __change_type FROM read_parquet('${file()}') ORDER BY __offset`);
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
      FROM parquet_metadata('${file()}') WHERE path_in_schema IN ('__offset', 'i64', 'i32', 's') ORDER BY rg, col`);
    expect(stats).toHaveLength(12);
    const of = (col: string, rg: number) => stats.find((s) => s.col === col && s.rg === rg)!;
    expect([0, 1, 2].map((rg) => [of('__offset', rg).lo, of('__offset', rg).hi])).toEqual([['100', '299'], ['300', '499'], ['500', '599']]);
    expect(of('i64', 0).lo).toBe(String(-(2n ** 63n)));
    expect(of('i64', 0).hi).toBe(String(2n ** 63n - 1n));
    expect(of('i32', 0).lo).toBe('-2147483648');
    expect(Number(of('i32', 0).nulls)).toBeGreaterThan(0);
    expect(of('s', 1).lo).toMatch(/^row-2/);
    // DuckDB uses them: a filter on __offset reads the right rows.
    const [{ n }] = await query(`SELECT count(*)::INTEGER AS n FROM read_parquet('${file()}') WHERE __offset >= 350 AND __offset < 420`) as [{ n: number }];
    expect(n).toBe(70);
  });
});

describe('parquet from Arrow, tiering-shaped', () => {
  // 20k rows of 112-211-byte unique names make multi-page chunks (8192 rows > 1 MiB); `city` repeats (a dictionary pays);
  // `note` is optional with nulls and empty strings, `nick` optional without; the fixed-width
  // columns are written from their (widened, for int16) Arrow buffers.
  const columns = [
    { name: 'id', type: 'int64', nullable: false },
    { name: 'name', type: 'string', nullable: false },
    { name: 'city', type: 'string', nullable: true },
    { name: 'note', type: 'string', nullable: true },
    { name: 'score', type: 'float64', nullable: false },
    { name: 'nick', type: 'string', nullable: true },
    { name: 'small', type: 'int16', nullable: false },
    { name: 'ratio', type: 'float32', nullable: false },
    { name: 'day', type: 'date', nullable: false },
    { name: 'seen', type: 'timestamp', nullable: false },
  ] as const satisfies readonly Column[];
  const n = 20_000;
  const rows = Array.from({ length: n }, (_, i) => ({
    id: BigInt(i) * 3n - 7n,
    name: `name-${String(i).padStart(6, '0')}-${'x'.repeat(100 + (i % 100))}`,
    city: `city-${i % 20}`,
    note: i % 5 === 0 ? null : i % 5 === 1 ? '' : `note ${i}`,
    score: i % 11 === 0 ? Number.NaN : i / 4,
    nick: `nick ${i * 7}`,
    small: (i % 65536) - 32768,
    ratio: Math.fround(i / 3),
    day: (i - 10_000) * DAY,
    seen: 1_600_000_000_000 + i * 1_000_003,
  }));
  const input = { rows, offsets: rows.map((_, i) => 1000n + BigInt(i)), timestamps: rows.map((_, i) => 1_700_000_000_000 + Math.floor(i / 1000)), changeTypes: [] };
  let tiered: string;
  let bytes: Uint8Array;

  beforeAll(() => {
    tiered = path.join(dir, 'tiered.parquet');
    bytes = encodeParquetFromArrow(columns, fixtureBatches(columns, input, 3000), { compression: 'zstd', rowGroupRows: 8192, bucket: 1 });
    fs.writeFileSync(tiered, bytes);
  });

  it('duckdb: reads every row of a file with multi-page, dictionary and optional columns', async () => {
    const got = await query(`SELECT id::VARCHAR AS id, name, city, note, score, nick, small, ratio, (day - DATE '1970-01-01') AS days, epoch_ms(seen) AS seen,
      __offset::VARCHAR AS off FROM read_parquet('${tiered}') ORDER BY __offset`);
    expect(got).toHaveLength(n);
    for (let i = 0; i < n; i++) {
      const e = rows[i]!;
      const a = got[i]!;
      const same = a.id === String(e.id) && a.name === e.name && a.city === e.city && a.note === e.note && a.nick === e.nick && a.small === e.small
        && a.ratio === e.ratio && Number(a.days) * DAY === e.day && Number(a.seen) === e.seen && a.off === String(1000 + i);
      if (!same) throw new Error(`row ${i}: ${JSON.stringify(a, (_, v) => (typeof v === 'bigint' ? String(v) : v))}`);
      expect(Number.isNaN(e.score) ? Number.isNaN(a.score) : a.score === e.score).toBe(true);
    }
  });

  it('duckdb: sees PLAIN where values are unique, a dictionary where they repeat, and statistics on both', async () => {
    const meta = await query(`SELECT row_group_id::INTEGER AS rg, path_in_schema AS col, encodings, stats_min_value AS lo, stats_max_value AS hi, stats_null_count::INTEGER AS nulls
      FROM parquet_metadata('${tiered}') WHERE row_group_id = 1`);
    const of = (col: string) => meta.find((m) => m.col === col)!;
    expect(String(of('name').encodings)).not.toMatch(/DICTIONARY/);
    expect(String(of('city').encodings)).toMatch(/DICTIONARY/);
    expect([of('id').lo, of('id').hi]).toEqual([String(8192n * 3n - 7n), String(16383n * 3n - 7n)]);
    expect([of('__offset').lo, of('__offset').hi]).toEqual(['9192', '17383']);
    // Rows 8192..16383 with i % 5 === 0.
    expect(of('note').nulls).toBe(1638);
    expect(of('note').lo).toBe('');
    // Byte-array bounds are cut to 16 bytes (hyparquet-writer's default), still a lower bound.
    expect(String(of('name').lo)).toBe('name-008192-xxxx');
    expect(Number(of('score').hi)).toBe(16383 / 4);
    const [{ c }] = await query(`SELECT count(*)::INTEGER AS c FROM read_parquet('${tiered}') WHERE name >= 'name-019990'`) as [{ c: number }];
    expect(c).toBe(10);
  });

  it('parquet: a chunk larger than a page is split into pages with an offset index, and reads back', async () => {
    const meta = parquetMetadata(bytes.slice().buffer);
    const nameChunk = meta.row_groups[0]!.columns[1]!;
    expect(nameChunk.meta_data!.path_in_schema).toEqual(['name']);
    expect(nameChunk.offset_index_length).toBeGreaterThan(0);
    const out = await decodeParquet(bytes, columns, { fromOffset: 1000n + 12_345n, toOffset: 1000n + 12_350n });
    expect(out.rows).toEqual(rows.slice(12_345, 12_350));
  });
});
