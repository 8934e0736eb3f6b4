/**
 * Writing a lake file's row groups: column chunks straight from column buffers, and
 * hyparquet-writer's own column writer where a dictionary may pay.
 *
 * hyparquet-writer takes one JS value per row (a bigint per int64, a Uint8Array per string) and
 * walks each value several times; for the columns tiering writes most (int64, double, strings)
 * that per-value work and its garbage was most of the cost of a lake file. Here a column chunk of
 * a flat column is written from typed arrays and Arrow-style byte-array buffers instead:
 *
 *   fixed width (INT32, INT64, FLOAT, DOUBLE, no nulls)  PLAIN: the little-endian value bytes as
 *                                                       they are
 *   BYTE_ARRAY (nulls allowed)                          DELTA_LENGTH_BYTE_ARRAY: the lengths delta
 *                                                       packed, then the bytes in one copy
 *
 * (DELTA_LENGTH_BYTE_ARRAY is the spec's recommended byte-array encoding for v2 pages; DuckDB,
 * Spark, Trino, Arrow and hyparquet read it, and it is smaller than PLAIN's length per value.)
 *
 * Pages are DATA_PAGE_V2 exactly as hyparquet-writer writes them (its own `writePageHeader`, RLE
 * level and delta encoders; definition levels uncompressed before the compressed values), split
 * near `pageBytes` of values, with an offset index when a chunk has more than one page.
 *
 * Columns that may repeat (a sample of rows is mostly duplicates), booleans, and fixed-width
 * columns with nulls go through hyparquet-writer's `writeColumn`, which tries a dictionary and
 * keeps it when it at least halves the bytes. Every chunk's min/max come from parquet-stats.ts;
 * the file header and footer (schema, row groups, offset indexes) are the writer's.
 */
import { endianness } from 'node:os';
import type { SchemaElement as LakeSchemaElement } from 'hyparquet';
import { ByteWriter, ParquetWriter } from 'hyparquet-writer';
import { writeColumn } from 'hyparquet-writer/src/column.js';
import { writePageHeader } from 'hyparquet-writer/src/datapage.js';
import { deltaBinaryPack } from 'hyparquet-writer/src/delta.js';
import { writeRleBitPackedHybrid } from 'hyparquet-writer/src/encoding.js';
import { columnStatistics, type ColumnData } from './parquet-stats.js';

// hyparquet-writer carries its own copy of hyparquet and its types; these are the writer's shapes.
type SchemaElement = ParquetWriter['schema'][number];
type RowGroup = ParquetWriter['row_groups'][number];
type ColumnChunk = RowGroup['columns'][number];
type Statistics = NonNullable<NonNullable<ColumnChunk['meta_data']>['statistics']>;
type Codec = 'ZSTD' | 'SNAPPY';
type KeyValue = NonNullable<ParquetWriter['kvMetadata']>[number];
type OffsetIndex = NonNullable<ReturnType<typeof writeColumn>['offsetIndex']>;

export type FixedArray = Int32Array | BigInt64Array | Float32Array | Float64Array;

/** A byte-array column in one piece: value i is bytes[offsets[i] .. offsets[i + 1]). */
export interface ByteArrayColumn {
  readonly offsets: Int32Array;
  readonly bytes: Uint8Array;
  /** 1 where row i holds a value, 0 for null; null when no row is null. */
  readonly valid: Uint8Array | null;
}

export type BufferData = FixedArray | ByteArrayColumn;

interface ChunkOptions {
  readonly codec: Codec;
  readonly compress: (bytes: Uint8Array) => Uint8Array;
  /** Target uncompressed bytes of values per page. */
  readonly pageBytes: number;
  /** Scratch writers reused by every page of the file: definition levels, byte-array values. */
  readonly levelWriter: ByteWriter;
  readonly pageWriter: ByteWriter;
}

/** Values of one column for rows [start, end), made per row group so per-value objects die young. */
export type ColumnSlicer = (start: number, end: number) => ColumnData;

/** How one leaf column reaches the file: from buffers (written here) or as values (hyparquet-writer). */
export type LeafSource = { readonly buffers: BufferData } | { readonly values: ColumnSlicer };

interface WrittenChunk {
  chunk: ColumnChunk;
  offsetIndex?: OffsetIndex;
}

// Fixed-width pages are the typed arrays' own bytes, which PLAIN defines as little-endian.
if (endianness() !== 'LE') throw new Error('lakestream writes Parquet from memory as little-endian and needs a little-endian CPU');

function isFixed(data: BufferData): data is FixedArray {
  return ArrayBuffer.isView(data);
}

/** Exclusive row ends of the pages of rows [start, end). */
function pageEnds(data: BufferData, start: number, end: number, pageBytes: number): number[] {
  const ends: number[] = [];
  if (isFixed(data)) {
    const rowsPerPage = Math.max(1, Math.floor(pageBytes / data.BYTES_PER_ELEMENT));
    for (let at = start + rowsPerPage; at < end; at += rowsPerPage) ends.push(at);
  } else {
    let pageStart = data.offsets[start]!;
    let rows = 0;
    for (let i = start; i < end; i++, rows++) {
      // Counting 4 bytes a length (the most a packed length takes) keeps pages below the target.
      const size = data.offsets[i + 1]! - pageStart + 4 * rows;
      if (size >= pageBytes && rows > 0) {
        ends.push(i);
        pageStart = data.offsets[i]!;
        rows = 0;
      }
    }
  }
  ends.push(end);
  return ends;
}

function fixedValues(data: FixedArray, start: number, end: number): Uint8Array {
  const width = data.BYTES_PER_ELEMENT;
  return new Uint8Array(data.buffer, data.byteOffset + start * width, (end - start) * width);
}

/**
 * DELTA_LENGTH_BYTE_ARRAY: the lengths of the non-null values (delta binary packed), then all their
 * bytes back to back, which is one copy of the column's buffer because null rows own no bytes.
 */
function deltaLengthByteArrays(data: ByteArrayColumn, start: number, end: number, page: ByteWriter): Uint8Array {
  const { offsets, bytes, valid } = data;
  const lengths = new Int32Array(end - start);
  let count = 0;
  for (let i = start; i < end; i++) {
    if (valid && valid[i] === 0) continue;
    lengths[count++] = offsets[i + 1]! - offsets[i]!;
  }
  page.index = 0;
  page.offset = 0;
  deltaBinaryPack(page, lengths.subarray(0, count), 'INT32');
  page.appendBytes(bytes.subarray(offsets[start]!, offsets[end]!));
  return page.getBytes();
}

interface Page {
  readonly rows: number;
  readonly nulls: number;
  readonly encoding: 'PLAIN' | 'DELTA_LENGTH_BYTE_ARRAY';
  /** Views into the scratch writers (or the column buffer): valid until the next page is made. */
  readonly levels: Uint8Array;
  readonly values: Uint8Array;
}

function makePage(data: BufferData, optional: boolean, opts: ChunkOptions, start: number, end: number): Page {
  const { levelWriter, pageWriter } = opts;
  const values = isFixed(data) ? fixedValues(data, start, end) : deltaLengthByteArrays(data, start, end, pageWriter);
  const valid = isFixed(data) ? null : data.valid;
  let nulls = 0;
  if (valid) for (let i = start; i < end; i++) nulls += 1 - valid[i]!;
  levelWriter.index = 0;
  levelWriter.offset = 0;
  // An optional column always carries definition levels (1 = present), RLE with bit width 1.
  if (optional) writeRleBitPackedHybrid(levelWriter, valid ? valid.subarray(start, end) : new Uint8Array(end - start).fill(1), 1);
  return { rows: end - start, nulls, encoding: isFixed(data) ? 'PLAIN' : 'DELTA_LENGTH_BYTE_ARRAY', levels: levelWriter.getBytes(), values };
}

/** Appends one page; returns its uncompressed size with the header, as column metadata counts it. */
function writePage(writer: ByteWriter, page: Page, opts: ChunkOptions): number {
  const compressed = opts.compress(page.values);
  const headerStart = writer.offset;
  writePageHeader(writer, {
    type: 'DATA_PAGE_V2',
    uncompressed_page_size: page.levels.length + page.values.length,
    compressed_page_size: page.levels.length + compressed.length,
    data_page_header_v2: {
      num_values: page.rows,
      num_nulls: page.nulls,
      num_rows: page.rows,
      encoding: page.encoding,
      definition_levels_byte_length: page.levels.length,
      repetition_levels_byte_length: 0,
      is_compressed: true,
    },
  });
  const headerBytes = writer.offset - headerStart;
  writer.appendBytes(page.levels);
  writer.appendBytes(compressed);
  return headerBytes + page.levels.length + page.values.length;
}

/** Writes rows [start, end) of a flat column as one column chunk at the writer's position. */
function writeBufferChunk(writer: ByteWriter, leaf: SchemaElement, data: BufferData, start: number, end: number, opts: ChunkOptions): WrittenChunk {
  const chunkStart = writer.offset;
  const optional = leaf.repetition_type === 'OPTIONAL';
  const locations: OffsetIndex['page_locations'] = [];
  let uncompressed = 0;
  let pageStart = start;
  for (const pageEnd of pageEnds(data, start, end, opts.pageBytes)) {
    const offset = writer.offset;
    uncompressed += writePage(writer, makePage(data, optional, opts, pageStart, pageEnd), opts);
    locations.push({ offset: BigInt(offset), compressed_page_size: writer.offset - offset, first_row_index: BigInt(pageStart - start) });
    pageStart = pageEnd;
  }
  const chunk: ColumnChunk = {
    file_offset: BigInt(chunkStart),
    meta_data: {
      type: leaf.type!,
      encodings: [isFixed(data) ? 'PLAIN' : 'DELTA_LENGTH_BYTE_ARRAY'],
      path_in_schema: [leaf.name],
      codec: opts.codec,
      num_values: BigInt(end - start),
      total_compressed_size: BigInt(writer.offset - chunkStart),
      total_uncompressed_size: BigInt(uncompressed),
      data_page_offset: BigInt(chunkStart),
    },
  };
  return locations.length > 1 ? { chunk, offsetIndex: { page_locations: locations } } : { chunk };
}

// -- Dictionary or buffers ------------------------------------------------------------------------

const DICTIONARY_SAMPLE_ROWS = 1000;
/**
 * Sampled distinct bytes over sampled bytes at or below which a dictionary is worth trying. The
 * writer keeps a dictionary only when it halves the bytes, so above this it would build one (a map
 * lookup per row) just to throw it away.
 */
const DICTIONARY_SAMPLE_RATIO_MAX = 0.5;

function rowCount(data: BufferData): number {
  return isFixed(data) ? data.length : data.offsets.length - 1;
}

/** A number standing for value i (equal values, equal keys; rare collisions only raise the odds of trying). */
function sampleKey(data: BufferData, i: number): number {
  if (data instanceof BigInt64Array) {
    const words = new Int32Array(data.buffer, data.byteOffset + i * 8, 2);
    return words[1]! * 4294967296 + (words[0]! >>> 0);
  }
  if (isFixed(data)) return data[i] as number;
  // FNV-1a over the value's bytes.
  let h = 0x811c9dc5;
  for (let k = data.offsets[i]!; k < data.offsets[i + 1]!; k++) h = Math.imul(h ^ data.bytes[k]!, 0x01000193);
  return h >>> 0;
}

/** True when a sample of rows says the column repeats enough for a dictionary to pay. */
export function dictionaryMayWin(data: BufferData): boolean {
  const n = rowCount(data);
  const samples = Math.min(n, DICTIONARY_SAMPLE_ROWS);
  const seen = new Set<number>();
  let distinctBytes = 0;
  let totalBytes = 0;
  for (let s = 0; s < samples; s++) {
    const i = samples === 1 ? 0 : Math.floor((s * (n - 1)) / (samples - 1));
    if (!isFixed(data) && data.valid && data.valid[i] === 0) continue;
    const size = isFixed(data) ? data.BYTES_PER_ELEMENT : data.offsets[i + 1]! - data.offsets[i]! + 4;
    const key = sampleKey(data, i);
    totalBytes += size;
    if (!seen.has(key)) {
      seen.add(key);
      distinctBytes += size;
    }
  }
  return totalBytes > 0 && distinctBytes <= DICTIONARY_SAMPLE_RATIO_MAX * totalBytes;
}

/**
 * An int64 column as an array of bigints: hyparquet-writer reads every INT64 value three times
 * (range check, page sizing, PLAIN write), and each read of a BigInt64Array allocates a bigint, so
 * one conversion saves two. A value equal to the previous one reuses its bigint, so runs allocate
 * nothing per row.
 */
function int64Values(data: BigInt64Array): ColumnSlicer {
  const words = new Int32Array(data.buffer, data.byteOffset, data.length * 2);
  return (start, end) => {
    const out: bigint[] = new Array(end - start);
    let prev = data[start]!;
    for (let i = start; i < end; i++) {
      const same = i > start && words[2 * i] === words[2 * i - 2] && words[2 * i + 1] === words[2 * i - 1];
      if (!same) prev = data[i]!;
      out[i - start] = prev;
    }
    return out;
  };
}

function byteArrayViews(col: ByteArrayColumn): ColumnSlicer {
  return (start, end) => {
    const out: (Uint8Array | null)[] = new Array(end - start);
    for (let i = start; i < end; i++) out[i - start] = col.valid && col.valid[i] === 0 ? null : col.bytes.subarray(col.offsets[i]!, col.offsets[i + 1]!);
    return out;
  };
}

/** The same column as values for hyparquet-writer. */
export function valuesOf(data: BufferData): ColumnSlicer {
  if (data instanceof BigInt64Array) return int64Values(data);
  if (isFixed(data)) return (start, end) => data.subarray(start, end);
  return byteArrayViews(data);
}

// -- Row groups and the file --------------------------------------------------------------------

/** Target uncompressed bytes of values per page: hyparquet-writer's default. */
const PAGE_BYTES = 1024 * 1024;

type ColumnEncoder = Parameters<typeof writeColumn>[0]['column'];
type PageData = Parameters<typeof writeColumn>[0]['pageData'];

export interface LakeFileOptions {
  readonly codec: Codec;
  readonly compressors: ConstructorParameters<typeof ParquetWriter>[0]['compressors'];
  readonly rowGroupRows: number;
  readonly kvMetadata: readonly KeyValue[];
}

function encoderOf(pw: ParquetWriter, leaf: SchemaElement): ColumnEncoder {
  return {
    columnName: leaf.name, element: leaf, schemaPath: [pw.schema[0]!, leaf], codec: pw.codec, compressors: pw.compressors,
    stats: false, pageSize: PAGE_BYTES, columnIndex: false, offsetIndex: true,
  };
}

function flatPageData(leaf: SchemaElement, values: ColumnData): PageData {
  if (leaf.repetition_type !== 'OPTIONAL') return { values, definitionLevels: [], repetitionLevels: [], maxDefinitionLevel: 0 };
  const definitionLevels = Array.from(values as ArrayLike<unknown>, (v) => (v === null || v === undefined ? 0 : 1));
  return { values, definitionLevels, repetitionLevels: [], maxDefinitionLevel: 1 };
}

/** The file being written: hyparquet-writer's ParquetWriter (header, footer) and its output. */
interface FileWriter {
  readonly pw: ParquetWriter;
  readonly writer: ByteWriter;
  readonly chunkOptions: ChunkOptions;
}

function writeLeaf(file: FileWriter, leaf: SchemaElement, source: LeafSource, start: number, end: number): ColumnChunk {
  const { pw, writer } = file;
  const floating = leaf.type === 'FLOAT' || leaf.type === 'DOUBLE';
  let written: WrittenChunk;
  let statistics;
  if ('buffers' in source) {
    written = writeBufferChunk(writer, leaf, source.buffers, start, end, file.chunkOptions);
    statistics = columnStatistics(source.buffers, start, end, floating);
  } else {
    const values = source.values(start, end);
    written = writeColumn({ writer, column: encoderOf(pw, leaf), pageData: flatPageData(leaf, values) });
    statistics = columnStatistics(values, 0, end - start, floating);
  }
  written.chunk.meta_data!.statistics = statistics as Statistics;
  pw.pendingIndexes.push(written);
  return written.chunk;
}

/** Appends rows [start, end) as one row group, registered with the writer for its footer. */
function writeGroup(file: FileWriter, leaves: readonly SchemaElement[], sources: readonly LeafSource[], start: number, end: number): void {
  const groupStart = file.writer.offset;
  const columns = leaves.map((leaf, j) => writeLeaf(file, leaf, sources[j]!, start, end));
  let uncompressed = 0n;
  for (const c of columns) uncompressed += c.meta_data!.total_uncompressed_size;
  const rows = BigInt(end - start);
  file.pw.row_groups.push({ columns, total_byte_size: uncompressed, num_rows: rows, total_compressed_size: BigInt(file.writer.offset - groupStart) });
  file.pw.num_rows += rows;
}

/** Uncompressed value bytes of the buffer-backed columns: where the output buffer starts. */
function sizeHint(sources: readonly LeafSource[], rows: number): number {
  let bytes = 64 * 1024;
  for (const s of sources) {
    if (!('buffers' in s)) bytes += rows * 8;
    else bytes += isFixed(s.buffers) ? s.buffers.byteLength : s.buffers.bytes.length;
  }
  return bytes;
}

/** A Parquet file of `rows` rows; `sources` has one entry per leaf of `schema`. */
export function writeLakeFile(lakeSchema: LakeSchemaElement[], sources: readonly LeafSource[], rows: number, opts: LakeFileOptions): Uint8Array {
  const schema = lakeSchema as SchemaElement[];
  const leaves = schema.slice(1);
  // Compressed output is smaller than the values; half of them avoids most regrowth copies.
  const writer = new ByteWriter(Math.min(Math.ceil(sizeHint(sources, rows) / 2), 256 * 1024 * 1024));
  const pw = new ParquetWriter({ writer, schema, codec: opts.codec, compressors: opts.compressors, createdBy: 'lakestream', kvMetadata: [...opts.kvMetadata] });
  const chunkOptions: ChunkOptions = {
    codec: opts.codec, compress: pw.compressors[opts.codec]!, pageBytes: PAGE_BYTES,
    levelWriter: new ByteWriter(16 * 1024), pageWriter: new ByteWriter(PAGE_BYTES + 64 * 1024),
  };
  const file: FileWriter = { pw, writer, chunkOptions };
  for (let start = 0; start < rows; start += opts.rowGroupRows) writeGroup(file, leaves, sources, start, Math.min(rows, start + opts.rowGroupRows));
  pw.finish();
  // Hand out the writer's buffer itself when it is mostly used: copying a file costs as much as
  // writing one of its columns.
  const used = writer.getBytes();
  return used.length * 4 >= writer.buffer.byteLength * 3 ? used : used.slice();
}
