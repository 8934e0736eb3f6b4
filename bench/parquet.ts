/**
 * parquet: encode speed of the lake's Arrow path on one core, in process: 200,000 rows of ~100 bytes
 * (int64, two strings, a double, plus offset and timestamp) into Parquet with ZSTD and with Snappy,
 * best of 4 encodes each; bytes per row beside the raw row bytes. No peer: the figure guards the
 * tiering bench's encode step (it was a speed floor in the unit suite, where a loaded box flaked it).
 */
import * as A from 'apache-arrow';
import { arrowSchema, batchFromData, COMMIT_TIMESTAMP_FIELD, consecutiveInt64s, LOG_OFFSET_FIELD, rowsToBatch } from '../src/common/arrow.js';
import type { Column } from '../src/common/schema.js';
import { seededRandom } from '../src/common/seeded-random.js';
import { decodeParquet, encodeParquetFromArrow } from '../src/lake/parquet.js';
import { machine, round, target } from './lib.js';

const COLUMNS: Column[] = [
  { name: 'id', type: 'int64', nullable: false },
  { name: 'email', type: 'string', nullable: true },
  { name: 'city', type: 'string', nullable: true },
  { name: 'score', type: 'float64', nullable: true },
];
const ROWS = 200_000;
const BATCH_ROWS = 10_000;
const REPEATS = 4;

function idOf(i: number): bigint {
  return 1_000_000_000_000n + BigInt(i) * 7919n;
}

/** The rows as the log hands them to tiering: record batches with `_log_offset` and `_commit_timestamp`. */
function batches(): { batches: A.RecordBatch[]; rawBytesPerRow: number } {
  const rnd = seededRandom(7);
  const word = () => Math.floor(rnd() * 2 ** 40).toString(36).padStart(8, '0');
  const cities = Array.from({ length: 50 }, (_, i) => `city-${i}-${word()}`);
  const rows = Array.from({ length: ROWS }, (_, i) => ({ id: idOf(i), email: `${word()}.${word()}@${word()}.example.com`, city: cities[i % 50]!, score: Math.round(rnd() * 1e6) / 100 }));
  let raw = 0;
  for (const r of rows) raw += 8 + r.email.length + r.city.length + 8 + 16;
  const base = rowsToBatch(COLUMNS, rows);
  const out: A.RecordBatch[] = [];
  const schema = arrowSchema(COLUMNS, [LOG_OFFSET_FIELD, COMMIT_TIMESTAMP_FIELD]);
  for (let s = 0; s < ROWS; s += BATCH_ROWS) {
    const sl = base.slice(s, s + BATCH_ROWS);
    const off = A.makeData({ type: LOG_OFFSET_FIELD.type, length: sl.numRows, nullCount: 0, data: consecutiveInt64s(BigInt(s), sl.numRows) });
    const ts = A.makeData({ type: COMMIT_TIMESTAMP_FIELD.type, length: sl.numRows, nullCount: 0, data: new BigInt64Array(sl.numRows).fill(1_700_000_000_000n + BigInt(s)) });
    out.push(batchFromData(schema, sl.numRows, [...sl.data.children, off, ts]));
  }
  return { batches: out, rawBytesPerRow: raw / ROWS };
}

async function encodeSpeed(input: A.RecordBatch[], compression: 'zstd' | 'snappy'): Promise<{ rowsPerSec: number; bytesPerRow: number }> {
  let bestMs = Infinity;
  let bytes: Uint8Array = new Uint8Array(0);
  for (let rep = 0; rep < REPEATS; rep++) {
    const started = performance.now();
    bytes = encodeParquetFromArrow(COLUMNS, input, { compression, rowGroupRows: 100_000, bucket: 0 });
    bestMs = Math.min(bestMs, performance.now() - started);
  }
  // A fast encoder of wrong bytes is no figure: the last row must read back.
  const last = (await decodeParquet(bytes, COLUMNS, { fromOffset: BigInt(ROWS - 1) })).rows[0];
  if (last?.id !== idOf(ROWS - 1)) throw new Error(`parquet ${compression}: the last row read back as ${JSON.stringify(last, (_k, v) => (typeof v === 'bigint' ? String(v) : v))}`);
  return { rowsPerSec: Math.round(ROWS / (bestMs / 1000)), bytesPerRow: round(bytes.length / ROWS, 1) };
}

export async function run(): Promise<Record<string, unknown>> {
  const { batches: input, rawBytesPerRow } = batches();
  const zstd = await encodeSpeed(input, 'zstd');
  const snappy = await encodeSpeed(input, 'snappy');
  return {
    bench: 'parquet',
    setup: { rows: ROWS, storedBatchRows: BATCH_ROWS, rowGroupRows: 100_000, figure: `best of ${REPEATS} encodes`, rawBytesPerRow: round(rawBytesPerRow, 1) },
    lakestream: { zstd, snappy },
    peer: null,
    targets: [
      target('Parquet encode rows/s, ZSTD', zstd.rowsPerSec, '>=', 500_000, 'rows/s'),
      target('Parquet bytes per row vs raw, ZSTD', round(zstd.bytesPerRow / rawBytesPerRow, 2), '<=', 1, 'x'),
    ],
    machine: machine(),
  };
}
