/**
 * One Arrow record batch of a table's columns, built row by row straight into growing buffers:
 * fixed-width values written through a DataView, booleans and validity as bits, each string encoded
 * to UTF-8 once, straight into its column's data buffer (`writeUtf8`: a lone surrogate becomes
 * U+FFFD, as with TextEncoder and Arrow JS's builders). No Arrow object and no array per row or per
 * value; the batch is framed as a stream (schema, one record batch, end-of-stream) from the buffers
 * themselves.
 *
 * Values come in their in-memory forms (values.ts), already checked against their column (by
 * `rowFromJson`, or the client's `RowConverter`): the builder writes what it is given. An int64 may
 * also come as a safe-integer number, so a caller need not make a bigint to write it.
 */
import { Buffer } from 'node:buffer';
import { BYTE_WIDTH, type ColumnBuffers } from './arrow-columns.js';
import { writeUtf8 } from './bytes.js';
import { BatchBody, storedSchemaMessage } from './arrow-ipc-write.js';
import type { Column, ColumnType } from './schema.js';
import type { Row, Value } from './values.js';

/** How a column's values are written, as numbers so the per-value switch is on small integers. */
const BOOL = 0;
const INT8 = 1;
const INT16 = 2;
const INT32 = 3;
const INT64 = 4;
const FLOAT32 = 5;
const FLOAT64 = 6;
const DATE = 7;
const TIMESTAMP = 8;
const STRING = 9;
const BINARY = 10;

const KIND: Record<ColumnType, number> = {
  boolean: BOOL, int8: INT8, int16: INT16, int32: INT32, int64: INT64, float32: FLOAT32, float64: FLOAT64,
  date: DATE, timestamp: TIMESTAMP, string: STRING, binary: BINARY,
};

const DAY_MS = 86_400_000;
const TWO_32 = 2 ** 32;
/** Values up to this many bytes are copied in a loop; longer ones with one `set`. */
const COPY_LOOP_BYTES_MAX = 64;
const EMPTY = new Uint8Array(0);

/** Rows a builder has room for at first; every buffer doubles when it fills. */
const BUILDER_ROWS_INITIAL = 1024;
/** Data bytes a string or binary column has room for at first, per row of capacity. */
const VARIABLE_BYTES_PER_ROW_INITIAL = 32;

function isVariableKind(kind: number): boolean {
  return kind === STRING || kind === BINARY;
}

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** A copy of `bytes[0..used)` in a buffer of `size` bytes (zeroed beyond, unless `unsafe`). */
function resized(bytes: Uint8Array, used: number, size: number, unsafe = false): Buffer {
  const next = unsafe ? Buffer.allocUnsafe(size) : Buffer.alloc(size);
  next.set(bytes.subarray(0, used));
  return next;
}

export class ArrowBatchBuilder {
  private readonly kinds: Uint8Array;
  private readonly names: readonly string[];
  /** Bytes a row takes in the fixed-width columns, plus 4 per offset of a variable-width column. */
  private readonly fixedBytesPerRow: number;
  private readonly nullCounts: Int32Array;
  private readonly validity: Buffer[];
  /** Fixed-width values, boolean bits, or (string, binary) the data bytes. */
  private readonly values: Buffer[];
  private readonly views: DataView[];
  /** String and binary columns only; an empty array for the others. */
  private readonly offsets: Int32Array[];
  private capacity: number;
  private rows = 0;
  private variableBytes = 0;

  constructor(readonly columns: readonly Column[], capacityRows = BUILDER_ROWS_INITIAL) {
    this.capacity = Math.max(8, (capacityRows + 7) & ~7); // whole bitmap bytes
    this.kinds = Uint8Array.from(columns, (c) => KIND[c.type]);
    this.names = columns.map((c) => c.name);
    this.fixedBytesPerRow = columns.reduce((n, c) => n + (BYTE_WIDTH[c.type] ?? (c.type === 'boolean' ? 1 : 4)), 0);
    this.nullCounts = new Int32Array(columns.length);
    this.validity = columns.map(() => Buffer.alloc(this.capacity >>> 3));
    // Variable data is read only where it was written, so it need not be zeroed.
    this.values = columns.map((_c, j) => {
      const bytes = this.valueBytes(j, this.capacity);
      return isVariableKind(this.kinds[j]!) ? Buffer.allocUnsafe(bytes) : Buffer.alloc(bytes);
    });
    this.views = this.values.map(viewOf);
    this.offsets = columns.map((_c, j) => new Int32Array(isVariableKind(this.kinds[j]!) ? this.capacity + 1 : 0));
  }

  get rowCount(): number {
    return this.rows;
  }

  /** What the rows weigh in a request: their values and offsets (bitmaps and framing aside). */
  get byteLength(): number {
    return this.rows * this.fixedBytesPerRow + this.variableBytes;
  }

  /** Appends a row: `values[j]` for `columns[j]`. */
  append(values: readonly Value[]): void {
    const row = this.nextRow();
    for (let j = 0; j < this.kinds.length; j++) this.put(j, row, values[j] ?? null);
  }

  /** Appends a row given as an object of column values (absent ones are null). */
  appendRow(values: Row): void {
    const row = this.nextRow();
    for (let j = 0; j < this.kinds.length; j++) this.put(j, row, values[this.names[j]!] ?? null);
  }

  /** The buffers of each column, views of the builder's own: valid until the next append. */
  columnBuffers(): ColumnBuffers[] {
    const rows = this.rows;
    const bitmapBytes = (rows + 7) >>> 3;
    return this.columns.map((c, j) => {
      const nullCount = this.nullCounts[j]!;
      const validity = nullCount === 0 ? EMPTY : this.validity[j]!.subarray(0, bitmapBytes);
      const values = this.values[j]!;
      const kind = this.kinds[j]!;
      if (kind === BOOL) return { nullCount, buffers: [validity, values.subarray(0, bitmapBytes)] };
      if (!isVariableKind(kind)) return { nullCount, buffers: [validity, values.subarray(0, rows * BYTE_WIDTH[c.type]!)] };
      const offsets = this.offsets[j]!;
      return { nullCount, buffers: [validity, new Uint8Array(offsets.buffer, 0, (rows + 1) * 4), values.subarray(0, offsets[rows]!)] };
    });
  }

  /** The rows as a whole IPC stream: the table's schema, one record batch, end-of-stream. */
  finishIpc(): Uint8Array {
    const body = new BatchBody(true);
    for (const col of this.columnBuffers()) body.column(col);
    return body.stream(storedSchemaMessage(this.columns), this.rows);
  }

  private valueBytes(j: number, rows: number): number {
    const kind = this.kinds[j]!;
    if (kind === BOOL) return rows >>> 3;
    if (isVariableKind(kind)) return rows * VARIABLE_BYTES_PER_ROW_INITIAL;
    return rows * BYTE_WIDTH[this.columns[j]!.type]!;
  }

  private nextRow(): number {
    if (this.rows === this.capacity) this.grow();
    return this.rows++;
  }

  /** Doubles the room for rows (variable data grows on its own, as values need it). */
  private grow(): void {
    const capacity = this.capacity * 2;
    for (let j = 0; j < this.kinds.length; j++) {
      this.validity[j] = resized(this.validity[j]!, this.capacity >>> 3, capacity >>> 3);
      if (isVariableKind(this.kinds[j]!)) {
        const offsets = new Int32Array(capacity + 1);
        offsets.set(this.offsets[j]!);
        this.offsets[j] = offsets;
      } else {
        this.values[j] = resized(this.values[j]!, this.valueBytes(j, this.capacity), this.valueBytes(j, capacity));
        this.views[j] = viewOf(this.values[j]!);
      }
    }
    this.capacity = capacity;
  }

  /** Room for `bytes` more data bytes in variable column `j`, whose data ends at `end`. */
  private reserve(j: number, end: number, bytes: number): Buffer {
    const data = this.values[j]!;
    if (end + bytes <= data.length) return data;
    this.values[j] = resized(data, end, Math.max(data.length * 2, end + bytes), true);
    return this.values[j]!;
  }

  private put(j: number, row: number, v: Value): void {
    const kind = this.kinds[j]!;
    if (v === null) {
      this.nullCounts[j]!++;
      if (isVariableKind(kind)) this.offsets[j]![row + 1] = this.offsets[j]![row]!;
      return; // the value bytes stay zero, as Arrow JS leaves them
    }
    const bit = 1 << (row & 7);
    this.validity[j]![row >>> 3]! |= bit;
    const view = this.views[j]!;
    switch (kind) {
      case BOOL: if (v === true) this.values[j]![row >>> 3]! |= bit; return;
      case INT8: view.setInt8(row, v as number); return;
      case INT16: view.setInt16(row * 2, v as number, true); return;
      case INT32: view.setInt32(row * 4, v as number, true); return;
      case INT64:
        if (typeof v === 'bigint') view.setBigInt64(row * 8, v, true);
        else setSafeInt64(view, row * 8, v as number);
        return;
      case FLOAT32: view.setFloat32(row * 4, v as number, true); return;
      case FLOAT64: view.setFloat64(row * 8, v as number, true); return;
      case DATE: view.setInt32(row * 4, Math.floor((v as number) / DAY_MS), true); return;
      case TIMESTAMP: setSafeInt64(view, row * 8, v as number); return;
      case STRING: this.putString(j, row, v as string); return;
      default: this.putBytes(j, row, v as Uint8Array);
    }
  }

  private putString(j: number, row: number, s: string): void {
    const offsets = this.offsets[j]!;
    const start = offsets[row]!;
    // At most 3 bytes per UTF-16 unit, so the one encode always fits.
    const written = writeUtf8(this.reserve(j, start, s.length * 3), s, start, s.length * 3);
    offsets[row + 1] = start + written;
    this.variableBytes += written;
  }

  private putBytes(j: number, row: number, v: Uint8Array): void {
    const offsets = this.offsets[j]!;
    const start = offsets[row]!;
    const data = this.reserve(j, start, v.length);
    if (v.length > COPY_LOOP_BYTES_MAX) data.set(v, start);
    else for (let b = 0; b < v.length; b++) data[start + b] = v[b]!;
    offsets[row + 1] = start + v.length;
    this.variableBytes += v.length;
  }
}

/** A safe integer as a little-endian int64, from its 32-bit halves: no bigint made. */
function setSafeInt64(view: DataView, at: number, v: number): void {
  const high = Math.floor(v / TWO_32);
  view.setUint32(at, v - high * TWO_32, true);
  view.setInt32(at + 4, high, true);
}
