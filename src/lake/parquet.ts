/**
 * Lake data files: one Parquet file holds consecutive offsets of one bucket.
 *
 * File layout (one row per log record, offset order):
 *
 *   <table columns...>  one Parquet column per table column, typed as below
 *   __bucket            INT32 + INT_32, REQUIRED
 *   __offset            INT64 + INT_64, REQUIRED, strictly increasing within the file
 *   __timestamp         INT64 TIMESTAMP(MILLIS, isAdjustedToUTC=true), REQUIRED: the commit timestamp
 *   __change_type       BYTE_ARRAY STRING, REQUIRED: only in changelog files (`+I`, `-U`, `+U`, `-D`)
 *
 * Column types:
 *
 *   boolean   BOOLEAN
 *   int8      INT32 + INT_8
 *   int16     INT32 + INT_16
 *   int32     INT32 + INT_32
 *   int64     INT64 + INT_64
 *
 * Integer annotations are written as converted types only, which every reader maps to the INTEGER
 * logical type: hyparquet-writer 0.17.0 serialises IntType.bitWidth as a thrift i32 where the spec
 * says i8, and DuckDB (rightly) rejects such a footer with "TProtocolException: Invalid data".
 *   float32   FLOAT
 *   float64   DOUBLE
 *   string    BYTE_ARRAY + STRING (converted UTF8)
 *   binary    BYTE_ARRAY
 *   date      INT32 + DATE (days since 1970-01-01)
 *   timestamp INT64 + TIMESTAMP(MILLIS, isAdjustedToUTC=true) (converted TIMESTAMP_MILLIS)
 *
 * Timestamps: our timestamps are instants (epoch ms, UTC; Arrow `Timestamp(ms, "UTC")` on the wire),
 * so the lake says so with isAdjustedToUTC=true. Readers then treat them as instants: DuckDB reads
 * `TIMESTAMP WITH TIME ZONE`, Spark `TimestampType`, Trino `timestamp(3) with time zone`. Writing
 * isAdjustedToUTC=false would make them local "wall clock" values and every engine would shift them
 * by the session zone. (The legacy converted type TIMESTAMP_MILLIS is written too, as the spec asks
 * for UTC-adjusted millisecond timestamps, for old readers.)
 *
 * Row groups carry min/max statistics on every column, so readers (ours, DuckDB) can skip row groups
 * by `__offset` range. File-level key/value metadata records the bucket and the offset range.
 */
import * as A from 'apache-arrow';
import { parquetMetadata, parquetRead } from 'hyparquet';
import type { FileMetaData, SchemaElement } from 'hyparquet';
import zstd from 'zstd-napi';
import { decodeUtf8 } from '../common/arrow.js';
import { fail, LakestreamError } from '../common/errors.js';
import type { Column, ColumnType } from '../common/schema.js';
import { COLUMN_TYPES } from '../common/schema.js';
import { dictionaryMayWin, valuesOf, writeLakeFile, type ByteArrayColumn, type ColumnSlicer, type LeafSource, type BufferData } from './parquet-write.js';
import type { ChangeType, Row, Value } from '../common/values.js';
import { CHANGE_TYPES } from '../common/values.js';

export const BUCKET_COLUMN = '__bucket';
export const OFFSET_COLUMN = '__offset';
export const TIMESTAMP_COLUMN = '__timestamp';
export const CHANGE_TYPE_COLUMN = '__change_type';
export const LAKE_SYSTEM_COLUMNS = [BUCKET_COLUMN, OFFSET_COLUMN, TIMESTAMP_COLUMN, CHANGE_TYPE_COLUMN] as const;

/** Key/value metadata keys written into every file footer. */
export const META_BUCKET = 'lakestream.bucket';
export const META_FIRST_OFFSET = 'lakestream.first_offset';
export const META_LAST_OFFSET = 'lakestream.last_offset';
export const META_COLUMNS = 'lakestream.columns';

export const ROW_GROUP_ROWS_MAX = 10_000_000;
const DAY_MS = 86_400_000;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

export type ParquetCompression = 'zstd' | 'snappy';

export interface ParquetEncodeOptions {
  readonly compression: ParquetCompression;
  /** Rows per row group (1 .. ROW_GROUP_ROWS_MAX). */
  readonly rowGroupRows: number;
}

export interface LakeRowsInput {
  readonly rows: readonly Row[];
  readonly bucket: number;
  /** One offset per row, strictly increasing. */
  readonly offsets: readonly bigint[];
  /** Commit timestamp (epoch ms) per row. */
  readonly timestamps: readonly number[];
  /** Present for changelog files (primary-key tables): one change type per row. */
  readonly changeTypes?: readonly ChangeType[];
}

export interface ArrowEncodeOptions extends ParquetEncodeOptions {
  readonly bucket: number;
  /**
   * Write `__change_type` (a changelog file). Default: when the batches carry `_change_type`.
   * Requires `_change_type` in the batches (Utf8 strings, or the stored Int8 code).
   */
  readonly changelog?: boolean;
}

export interface DecodeOptions {
  /** First offset wanted (inclusive). */
  readonly fromOffset?: bigint;
  /** Offset to stop before (exclusive). */
  readonly toOffset?: bigint;
  /** Table columns to return (default all). System columns are always read. */
  readonly columns?: readonly string[];
}

export interface DecodedLakeRows {
  rows: Row[];
  offsets: bigint[];
  timestamps: number[];
  /** Null for log files (no `__change_type` column). */
  changeTypes: ChangeType[] | null;
}

// ---------------------------------------------------------------------------------------------
// Schema

function columnElement(col: Column): SchemaElement {
  const repetition_type = col.nullable ? 'OPTIONAL' : 'REQUIRED';
  const name = col.name;
  switch (col.type) {
    case 'boolean': return { name, repetition_type, type: 'BOOLEAN' };
    case 'int8': return { name, repetition_type, type: 'INT32', converted_type: 'INT_8' };
    case 'int16': return { name, repetition_type, type: 'INT32', converted_type: 'INT_16' };
    case 'int32': return { name, repetition_type, type: 'INT32', converted_type: 'INT_32' };
    case 'int64': return { name, repetition_type, type: 'INT64', converted_type: 'INT_64' };
    case 'float32': return { name, repetition_type, type: 'FLOAT' };
    case 'float64': return { name, repetition_type, type: 'DOUBLE' };
    case 'string': return { name, repetition_type, type: 'BYTE_ARRAY', converted_type: 'UTF8', logical_type: { type: 'STRING' } };
    case 'binary': return { name, repetition_type, type: 'BYTE_ARRAY' };
    case 'date': return { name, repetition_type, type: 'INT32', converted_type: 'DATE', logical_type: { type: 'DATE' } };
    case 'timestamp': return timestampElement(name, repetition_type);
  }
}

function timestampElement(name: string, repetition_type: 'OPTIONAL' | 'REQUIRED'): SchemaElement {
  return {
    name, repetition_type, type: 'INT64', converted_type: 'TIMESTAMP_MILLIS',
    logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MILLIS' },
  };
}

/** The Parquet schema of a lake file for these table columns (pure; exported for tests and docs). */
export function lakeParquetSchema(columns: readonly Column[], changelog: boolean): SchemaElement[] {
  const leaves: SchemaElement[] = [
    ...columns.map(columnElement),
    { name: BUCKET_COLUMN, repetition_type: 'REQUIRED', type: 'INT32', converted_type: 'INT_32' },
    { name: OFFSET_COLUMN, repetition_type: 'REQUIRED', type: 'INT64', converted_type: 'INT_64' },
    timestampElement(TIMESTAMP_COLUMN, 'REQUIRED'),
  ];
  if (changelog) leaves.push({ name: CHANGE_TYPE_COLUMN, repetition_type: 'REQUIRED', type: 'BYTE_ARRAY', converted_type: 'UTF8', logical_type: { type: 'STRING' } });
  return [{ name: 'schema', num_children: leaves.length }, ...leaves];
}

// ---------------------------------------------------------------------------------------------
// Encoding

/**
 * One reused context at level 1: tiering is throughput-bound and a fresh context per page (what
 * `zstd.compress` does) costs as much as the compression; level 1 loses little size on columnar pages.
 */
const PAGE_COMPRESSOR = new zstd.Compressor();
PAGE_COMPRESSOR.setParameters({ compressionLevel: 1 });

function zstdCompress(input: Uint8Array): Uint8Array {
  return PAGE_COMPRESSOR.compress(input);
}

function zstdDecompress(input: Uint8Array): Uint8Array {
  return zstd.decompress(input);
}

function checkOptions(opts: ParquetEncodeOptions): void {
  if (opts.compression !== 'zstd' && opts.compression !== 'snappy') fail('INVALID_PARAMETER', `parquet compression must be 'zstd' or 'snappy', got ${JSON.stringify(opts.compression)}`);
  if (!Number.isInteger(opts.rowGroupRows) || opts.rowGroupRows < 1 || opts.rowGroupRows > ROW_GROUP_ROWS_MAX) {
    fail('INVALID_PARAMETER', `rowGroupRows must be an integer from 1 to ${ROW_GROUP_ROWS_MAX}, got ${opts.rowGroupRows}`);
  }
}

function checkBucket(bucket: number): void {
  if (!Number.isInteger(bucket) || bucket < 0 || bucket > 0x7fffffff) fail('INVALID_PARAMETER', `bucket must be a non-negative int32, got ${bucket}`);
}

function checkOffsets(offsets: BigInt64Array | readonly bigint[]): void {
  for (let i = 1; i < offsets.length; i++) {
    if (offsets[i]! <= offsets[i - 1]!) fail('INVALID_PARAMETER', `offsets must strictly increase; offset ${offsets[i]} follows ${offsets[i - 1]} at row ${i}`);
  }
  if (offsets.length > 0 && (offsets[0]! < 0n)) fail('INVALID_PARAMETER', `offsets must be non-negative, got ${offsets[0]}`);
}

/** Rows [start, end) of a column held as one JS value per row (written by hyparquet-writer). */
function sliceOf(data: unknown[]): ColumnSlicer {
  return (start, end) => data.slice(start, end);
}

function writeFile(columns: readonly Column[], schema: SchemaElement[], sources: LeafSource[], rows: number, bucket: number, firstOffset: bigint | undefined, lastOffset: bigint | undefined, opts: ParquetEncodeOptions): Uint8Array {
  try {
    return writeLakeFile(schema, sources, rows, {
      codec: opts.compression === 'zstd' ? 'ZSTD' : 'SNAPPY',
      compressors: { ZSTD: zstdCompress },
      rowGroupRows: opts.rowGroupRows,
      kvMetadata: [
        { key: META_BUCKET, value: String(bucket) },
        { key: META_FIRST_OFFSET, value: firstOffset === undefined ? '' : firstOffset.toString() },
        { key: META_LAST_OFFSET, value: lastOffset === undefined ? '' : lastOffset.toString() },
        { key: META_COLUMNS, value: JSON.stringify(columns) },
      ],
    });
  } catch (e) {
    if (e instanceof LakestreamError) throw e;
    throw new LakestreamError('INVALID_VALUE', `cannot encode Parquet: ${(e as Error).message}`);
  }
}

function badValue(col: Column, row: number, v: unknown, want: string): never {
  const shown = typeof v === 'bigint' ? `${v}n` : (JSON.stringify(v) ?? String(v)).slice(0, 60);
  fail('INVALID_VALUE', `row ${row}: column '${col.name}' (${col.type}) holds ${shown}; expected ${want}`);
}

/** Row values of one column -> what hyparquet-writer takes for its Parquet type. */
function columnFromRows(col: Column, rows: readonly Row[]): unknown[] {
  const n = rows.length;
  const out: unknown[] = new Array(n);
  const name = col.name;
  for (let i = 0; i < n; i++) {
    const v = rows[i]![name] ?? null;
    if (v === null) {
      if (!col.nullable) fail('NULL_IN_NON_NULLABLE', `row ${i}: column '${name}' is not nullable`);
      out[i] = null;
      continue;
    }
    out[i] = physicalValue(col, i, v);
  }
  return out;
}

function physicalValue(col: Column, i: number, v: Value): unknown {
  switch (col.type) {
    case 'boolean': return typeof v === 'boolean' ? v : badValue(col, i, v, 'a boolean');
    case 'int8': case 'int16': case 'int32': return typeof v === 'number' && Number.isInteger(v) ? v : badValue(col, i, v, 'an integer number');
    case 'int64': {
      const b = typeof v === 'bigint' ? v : typeof v === 'number' && Number.isSafeInteger(v) ? BigInt(v) : badValue(col, i, v, 'a bigint');
      return b >= INT64_MIN && b <= INT64_MAX ? b : badValue(col, i, v, 'an int64');
    }
    case 'float32': case 'float64': return typeof v === 'number' ? v : badValue(col, i, v, 'a number');
    case 'string': return typeof v === 'string' ? v : badValue(col, i, v, 'a string');
    case 'binary': return v instanceof Uint8Array ? v : badValue(col, i, v, 'a Uint8Array');
    case 'date': return typeof v === 'number' && Number.isFinite(v) ? Math.floor(v / DAY_MS) : badValue(col, i, v, 'epoch ms');
    case 'timestamp': return typeof v === 'number' && Number.isSafeInteger(v) ? v : badValue(col, i, v, 'epoch ms');
  }
}

/**
 * Encodes rows of one bucket into a Parquet file. Rows are in the in-memory representation
 * (`src/common/values.ts`); offsets must strictly increase.
 */
export function encodeParquet(columns: readonly Column[], input: LakeRowsInput, opts: ParquetEncodeOptions): Uint8Array {
  checkOptions(opts);
  checkBucket(input.bucket);
  const n = input.rows.length;
  if (input.offsets.length !== n || input.timestamps.length !== n || (input.changeTypes && input.changeTypes.length !== n)) {
    fail('INVALID_PARAMETER', `rows (${n}), offsets (${input.offsets.length}), timestamps (${input.timestamps.length})${input.changeTypes ? ` and changeTypes (${input.changeTypes.length})` : ''} must have the same length`);
  }
  checkOffsets(input.offsets);
  const changelog = input.changeTypes !== undefined;
  const sources: LeafSource[] = columns.map((c) => ({ values: sliceOf(columnFromRows(c, input.rows)) }));
  const ts = new BigInt64Array(n);
  for (let i = 0; i < n; i++) {
    const t = input.timestamps[i]!;
    if (!Number.isSafeInteger(t)) fail('INVALID_PARAMETER', `timestamps[${i}] must be epoch ms, got ${t}`);
    ts[i] = BigInt(t);
  }
  sources.push({ buffers: new Int32Array(n).fill(input.bucket) }, { buffers: BigInt64Array.from(input.offsets) }, { buffers: ts });
  if (changelog) {
    for (let i = 0; i < n; i++) {
      if (!(CHANGE_TYPES as readonly string[]).includes(input.changeTypes![i]!)) fail('INVALID_PARAMETER', `changeTypes[${i}] is not a change type: ${JSON.stringify(input.changeTypes![i])}`);
    }
    sources.push({ values: sliceOf([...input.changeTypes!]) });
  }
  return writeFile(columns, lakeParquetSchema(columns, changelog), sources, n, input.bucket, input.offsets[0], input.offsets[n - 1], opts);
}

// -- Arrow input --------------------------------------------------------------------------------

function dataChunks(batches: readonly A.RecordBatch[], name: string): A.Data[] | undefined {
  const chunks: A.Data[] = [];
  for (const b of batches) {
    const v = b.getChild(name);
    if (!v) return undefined;
    chunks.push(...v.data);
  }
  return chunks;
}

/*
 * Arrow JS slicing convention (apache-arrow `Data._sliceBuffers`): a sliced Data keeps `offset`, but its
 * value-offsets buffer and fixed-width value buffer are already cut to the slice (index 0 = first row),
 * while the validity bitmap and boolean bit buffers are not (bit `offset + i`).
 */

/** Concatenates the value buffers of null-free fixed-width chunks into one typed array. */
function concatValues<T extends Int32Array | Float32Array | Float64Array | BigInt64Array>(chunks: A.Data[], make: (n: number) => T): T {
  let n = 0;
  for (const d of chunks) n += d.length;
  const out = make(n);
  let at = 0;
  for (const d of chunks) {
    const values = d.values as T;
    out.set(values.subarray(0, d.length) as never, at);
    at += d.length;
  }
  return out;
}

function hasNulls(chunks: A.Data[]): boolean {
  return chunks.some((d) => d.nullCount > 0);
}

function isValid(d: A.Data, i: number): boolean {
  if (d.nullCount === 0 || !d.nullBitmap || d.nullBitmap.length === 0) return true;
  const j = d.offset + i;
  return ((d.nullBitmap[j >> 3]! >> (j & 7)) & 1) === 1;
}

function arrowTypeMatches(type: ColumnType, t: A.DataType): boolean {
  switch (type) {
    case 'boolean': return A.DataType.isBool(t);
    case 'int8': return A.DataType.isInt(t) && t.bitWidth === 8 && t.isSigned;
    case 'int16': return A.DataType.isInt(t) && t.bitWidth === 16 && t.isSigned;
    case 'int32': return A.DataType.isInt(t) && t.bitWidth === 32 && t.isSigned;
    case 'int64': return A.DataType.isInt(t) && t.bitWidth === 64 && t.isSigned;
    case 'float32': return A.DataType.isFloat(t) && t.precision === A.Precision.SINGLE;
    case 'float64': return A.DataType.isFloat(t) && t.precision === A.Precision.DOUBLE;
    case 'string': return A.DataType.isUtf8(t);
    case 'binary': return A.DataType.isBinary(t);
    case 'date': return A.DataType.isDate(t) && t.unit === A.DateUnit.DAY;
    case 'timestamp': return A.DataType.isTimestamp(t) && t.unit === A.TimeUnit.MILLISECOND;
  }
}

/** Most bytes of one string or binary column in one file: its offsets are int32. */
const BYTE_ARRAY_COLUMN_BYTES_MAX = 0x7fffffff;

/**
 * A string or binary column (all batches) as one byte buffer plus offsets: the UTF-8 bytes go to the
 * file as they are (no decode/encode round trip), and statistics compare bytes, the order Parquet
 * defines for BYTE_ARRAY. Null rows get no bytes.
 */
function byteArrayColumn(chunks: A.Data[]): ByteArrayColumn {
  let rows = 0;
  let size = 0;
  for (const d of chunks) {
    const o = d.valueOffsets as Int32Array;
    rows += d.length;
    size += o[d.length]! - o[0]!;
  }
  if (size > BYTE_ARRAY_COLUMN_BYTES_MAX) fail('INVALID_PARAMETER', `one lake file holds at most ${BYTE_ARRAY_COLUMN_BYTES_MAX} bytes of a string or binary column, got ${size}: lower table.datalake.file-size`);
  const offsets = new Int32Array(rows + 1);
  const bytes = new Uint8Array(size);
  const valid = hasNulls(chunks) ? new Uint8Array(rows) : null;
  let row = 0;
  for (const d of chunks) {
    const o = d.valueOffsets as Int32Array;
    const values = d.values as Uint8Array;
    let at = offsets[row]!;
    if (d.nullCount === 0) {
      // Null-free: one copy of the chunk's bytes, offsets shifted.
      bytes.set(values.subarray(o[0]!, o[d.length]!), at);
      const shift = at - o[0]!;
      for (let i = 1; i <= d.length; i++) offsets[row + i] = o[i]! + shift;
      if (valid) valid.fill(1, row, row + d.length);
    } else {
      for (let i = 0; i < d.length; i++) {
        const present = isValid(d, i);
        if (present) {
          bytes.set(values.subarray(o[i]!, o[i + 1]!), at);
          at += o[i + 1]! - o[i]!;
        }
        offsets[row + i + 1] = at;
        valid![row + i] = present ? 1 : 0;
      }
    }
    row += d.length;
  }
  return { offsets, bytes, valid };
}

/** A table column from buffers, unless a sample says a dictionary may pay. */
function tableColumnSource(data: BufferData): LeafSource {
  return dictionaryMayWin(data) ? { values: valuesOf(data) } : { buffers: data };
}

/** Columns with nulls (or booleans): one JS value or null per row. */
function valuesFromArrow(col: Column, chunks: A.Data[]): unknown[] {
  const out: unknown[] = [];
  for (const d of chunks) {
    const n = d.length;
    if (col.type === 'boolean') {
      const bits = d.values as Uint8Array;
      for (let i = 0; i < n; i++) {
        const j = d.offset + i;
        out.push(isValid(d, i) ? ((bits[j >> 3]! >> (j & 7)) & 1) === 1 : null);
      }
    } else {
      const values = d.values as ArrayLike<number | bigint>;
      for (let i = 0; i < n; i++) out.push(isValid(d, i) ? values[i]! : null);
    }
  }
  return out;
}

/** One Arrow column (all batches) -> a leaf source, without going through rows. */
function columnFromArrow(col: Column, chunks: A.Data[]): LeafSource {
  for (const d of chunks) {
    if (!arrowTypeMatches(col.type, d.type)) fail('SCHEMA_MISMATCH', `column '${col.name}' must be ${col.type}, the Arrow batch has ${d.type}`);
  }
  const nulls = hasNulls(chunks);
  if (nulls && !col.nullable) fail('NULL_IN_NON_NULLABLE', `column '${col.name}' is not nullable but the batches hold nulls`);
  if (col.type === 'string' || col.type === 'binary') return tableColumnSource(byteArrayColumn(chunks));
  if (nulls || col.type === 'boolean') return { values: sliceOf(valuesFromArrow(col, chunks)) };
  // Null-free fixed width: the Arrow value buffers, concatenated (int8/int16 widen to int32).
  switch (col.type) {
    case 'int8': case 'int16': case 'int32': case 'date': return tableColumnSource(concatValues(chunks, (n) => new Int32Array(n)));
    case 'int64': case 'timestamp': return tableColumnSource(concatValues(chunks, (n) => new BigInt64Array(n)));
    case 'float64': return tableColumnSource(concatValues(chunks, (n) => new Float64Array(n)));
    case 'float32': return tableColumnSource(concatValues(chunks, (n) => new Float32Array(n)));
  }
}

/**
 * Encodes record batches of one bucket (as the server's read path produces them: table columns plus
 * `_log_offset` int64, `_commit_timestamp` timestamp ms and, for changelogs, `_change_type`) into a
 * Parquet file. Column data goes straight from Arrow buffers to the writer.
 */
export function encodeParquetFromArrow(columns: readonly Column[], batches: readonly A.RecordBatch[], opts: ArrowEncodeOptions): Uint8Array {
  checkOptions(opts);
  checkBucket(opts.bucket);
  const offsetChunks = dataChunks(batches, '_log_offset');
  const tsChunks = dataChunks(batches, '_commit_timestamp');
  if (!offsetChunks || !tsChunks) fail('SCHEMA_MISMATCH', 'every batch must carry _log_offset and _commit_timestamp');
  const ctChunks = dataChunks(batches, '_change_type');
  const changelog = opts.changelog ?? ctChunks !== undefined;
  if (changelog && !ctChunks) fail('SCHEMA_MISMATCH', 'a changelog file needs _change_type in every batch');
  for (const d of offsetChunks) if (!A.DataType.isInt(d.type) || d.type.bitWidth !== 64 || d.nullCount > 0) fail('SCHEMA_MISMATCH', `_log_offset must be non-null int64, got ${d.type}`);
  for (const d of tsChunks) if (!A.DataType.isTimestamp(d.type) || d.type.unit !== A.TimeUnit.MILLISECOND || d.nullCount > 0) fail('SCHEMA_MISMATCH', `_commit_timestamp must be non-null timestamp[ms], got ${d.type}`);
  const offsets = concatValues(offsetChunks, (n) => new BigInt64Array(n));
  checkOffsets(offsets);
  const n = offsets.length;
  const sources: LeafSource[] = columns.map((c) => {
    const chunks = dataChunks(batches, c.name);
    if (chunks) return columnFromArrow(c, chunks);
    if (!c.nullable) fail('NULL_IN_NON_NULLABLE', `column '${c.name}' is not nullable but the batches do not carry it`);
    return { values: sliceOf(new Array<null>(n).fill(null)) };
  });
  // System columns are always PLAIN: `__offset` never repeats, while `__bucket` is one value and
  // `__timestamp` one per stored batch, runs that the page compression squeezes to a few bytes.
  sources.push({ buffers: new Int32Array(n).fill(opts.bucket) }, { buffers: offsets }, { buffers: concatValues(tsChunks, (k) => new BigInt64Array(k)) });
  if (changelog) sources.push({ values: sliceOf(changeTypesFromArrow(ctChunks!, n)) });
  return writeFile(columns, lakeParquetSchema(columns, changelog), sources, n, opts.bucket, offsets[0], offsets[n - 1], opts);
}

/** `_change_type` as the stored int8 code or as utf8 text -> one change type string per row. */
function changeTypesFromArrow(chunks: A.Data[], n: number): ChangeType[] {
  const types: ChangeType[] = new Array(n);
  let at = 0;
  for (const d of chunks) {
    if (d.nullCount > 0) fail('SCHEMA_MISMATCH', '_change_type must not hold nulls');
    if (A.DataType.isInt(d.type) && d.type.bitWidth === 8) {
      const codes = d.values as Int8Array;
      for (let i = 0; i < d.length; i++) {
        const t = CHANGE_TYPES[codes[i]!];
        if (t === undefined) fail('SCHEMA_MISMATCH', `_change_type code ${codes[i]} is unknown`);
        types[at++] = t;
      }
    } else if (A.DataType.isUtf8(d.type)) {
      const vec = A.makeVector(d);
      for (let i = 0; i < d.length; i++) {
        const t = vec.get(i) as ChangeType;
        if (!(CHANGE_TYPES as readonly string[]).includes(t)) fail('SCHEMA_MISMATCH', `_change_type '${String(t).slice(0, 10)}' is unknown`);
        types[at++] = t;
      }
    } else {
      fail('SCHEMA_MISMATCH', `_change_type must be utf8 or int8, got ${d.type}`);
    }
  }
  return types;
}

// ---------------------------------------------------------------------------------------------
// Decoding

export interface LakeFileInfo {
  bucket: number | null;
  rows: number;
  firstOffset: bigint | null;
  lastOffset: bigint | null;
  changelog: boolean;
  /** Row groups with their row range and `__offset` min/max from the statistics. */
  rowGroups: { rowStart: number; rowEnd: number; minOffset: bigint | null; maxOffset: bigint | null }[];
}

function parseMetadata(bytes: Uint8Array): FileMetaData {
  try {
    return parquetMetadata(toArrayBuffer(bytes));
  } catch (e) {
    return fail('STORAGE_ERROR', `not a readable Parquet file (${bytes.length} bytes): ${(e as Error).message}`);
  }
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer) return bytes.buffer;
  // A copy: Buffer's slice() is a view into its pool, not a copy.
  return new Uint8Array(bytes).buffer as ArrayBuffer;
}

function toBigInt(v: unknown): bigint | null {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isSafeInteger(v)) return BigInt(v);
  return null;
}

function fileInfo(meta: FileMetaData): LakeFileInfo {
  const leaves = meta.schema.slice(1).map((s) => s.name);
  const offsetIdx = leaves.indexOf(OFFSET_COLUMN);
  if (offsetIdx < 0) fail('STORAGE_ERROR', `Parquet file has no ${OFFSET_COLUMN} column: not a lakestream data file`);
  const kv = new Map((meta.key_value_metadata ?? []).map((e) => [e.key, e.value ?? '']));
  const bucketText = kv.get(META_BUCKET);
  let rowStart = 0;
  const rowGroups = meta.row_groups.map((rg) => {
    const rows = Number(rg.num_rows);
    const stats = rg.columns[offsetIdx]?.meta_data?.statistics;
    const g = {
      rowStart, rowEnd: rowStart + rows,
      minOffset: toBigInt(stats?.min_value ?? stats?.min), maxOffset: toBigInt(stats?.max_value ?? stats?.max),
    };
    rowStart += rows;
    return g;
  });
  const first = kv.get(META_FIRST_OFFSET);
  const last = kv.get(META_LAST_OFFSET);
  return {
    bucket: bucketText ? Number(bucketText) : null,
    rows: Number(meta.num_rows),
    firstOffset: first ? BigInt(first) : rowGroups[0]?.minOffset ?? null,
    lastOffset: last ? BigInt(last) : rowGroups.at(-1)?.maxOffset ?? null,
    changelog: leaves.includes(CHANGE_TYPE_COLUMN),
    rowGroups,
  };
}

/** Footer facts of a lake file: bucket, offset range, row groups with their `__offset` bounds. */
export function inspectParquet(bytes: Uint8Array): LakeFileInfo {
  return fileInfo(parseMetadata(bytes));
}

function fromParquet(type: ColumnType, v: unknown): Value {
  if (v === null || v === undefined) return null;
  switch (type) {
    case 'int64': return typeof v === 'bigint' ? v : BigInt(v as number);
    case 'int8': case 'int16': case 'int32': case 'float32': case 'float64': return Number(v);
    case 'timestamp': case 'date': return v as number;
    case 'binary': return v instanceof Uint8Array ? v : new Uint8Array(v as ArrayBuffer);
    default: return v as Value;
  }
}

/**
 * Decodes a lake file back into rows in the in-memory representation (int64 bigint, timestamps and
 * dates epoch ms, binary Uint8Array). Only row groups whose `__offset` statistics overlap
 * [fromOffset, toOffset) are decoded; rows outside the range are dropped.
 */
export async function decodeParquet(bytes: Uint8Array, columns: readonly Column[], opts: DecodeOptions = {}): Promise<DecodedLakeRows> {
  const meta = parseMetadata(bytes);
  const info = fileInfo(meta);
  const from = opts.fromOffset ?? null;
  const to = opts.toOffset ?? null;
  const fileCols = new Set(meta.schema.slice(1).map((s) => s.name));
  const wanted = opts.columns ? columns.filter((c) => opts.columns!.includes(c.name)) : [...columns];
  for (const name of opts.columns ?? []) if (!columns.some((c) => c.name === name)) fail('UNKNOWN_COLUMN', `column '${name}' is not a column of the table`);
  const out: DecodedLakeRows = { rows: [], offsets: [], timestamps: [], changeTypes: info.changelog ? [] : null };
  // Offsets increase through the file, so the overlapping row groups are one contiguous run.
  const groups = info.rowGroups.filter((g) => (from === null || g.maxOffset === null || g.maxOffset >= from) && (to === null || g.minOffset === null || g.minOffset < to));
  if (groups.length === 0) return out;
  const present = wanted.filter((c) => fileCols.has(c.name));
  const readNames = [...present.map((c) => c.name), OFFSET_COLUMN, TIMESTAMP_COLUMN, ...(info.changelog ? [CHANGE_TYPE_COLUMN] : [])];
  let raw: unknown[][] = [];
  try {
    await parquetRead({
      file: toArrayBuffer(bytes),
      metadata: meta,
      columns: readNames,
      rowStart: groups[0]!.rowStart,
      rowEnd: groups.at(-1)!.rowEnd,
      utf8: false,
      compressors: { ZSTD: zstdDecompress },
      parsers: {
        timestampFromMilliseconds: (ms: bigint) => (ms === null || ms === undefined ? ms : Number(ms)),
        dateFromDays: (days: number) => (days === null || days === undefined ? days : days * DAY_MS),
        stringFromBytes: (bytes: Uint8Array | undefined) => bytes && decodeUtf8(bytes),
      },
      rowFormat: 'array',
      onComplete: (rows: unknown[][]) => { raw = rows; },
    });
  } catch (e) {
    if (e instanceof LakestreamError) throw e;
    fail('STORAGE_ERROR', `cannot decode Parquet file: ${(e as Error).message}`);
  }
  const k = present.length;
  for (const r of raw) {
    const offset = r[k] as bigint;
    if ((from !== null && offset < from) || (to !== null && offset >= to)) continue;
    const row: Row = {};
    for (let j = 0; j < k; j++) row[present[j]!.name] = fromParquet(present[j]!.type, r[j]);
    // Columns added to the table after this file was written read as null.
    for (const c of wanted) if (!fileCols.has(c.name)) row[c.name] = null;
    out.rows.push(row);
    out.offsets.push(offset);
    out.timestamps.push(r[k + 1] as number);
    if (out.changeTypes) out.changeTypes.push(r[k + 2] as ChangeType);
  }
  return out;
}

/** The table columns recorded in a lake file's footer when it was written. */
export function inspectColumns(bytes: Uint8Array): Column[] {
  const meta = parseMetadata(bytes);
  const text = meta.key_value_metadata?.find((e) => e.key === META_COLUMNS)?.value;
  if (!text) fail('STORAGE_ERROR', `Parquet file has no ${META_COLUMNS} metadata: not a lakestream data file`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return fail('STORAGE_ERROR', `Parquet file has malformed ${META_COLUMNS} metadata`);
  }
  if (!Array.isArray(parsed) || !parsed.every((c) => typeof c?.name === 'string' && (COLUMN_TYPES as readonly string[]).includes(c?.type) && typeof c?.nullable === 'boolean')) {
    fail('STORAGE_ERROR', `Parquet file has malformed ${META_COLUMNS} metadata`);
  }
  return (parsed as Column[]).map((c) => ({ name: c.name, type: c.type, nullable: c.nullable }));
}
