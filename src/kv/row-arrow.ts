import * as A from 'apache-arrow';
import { arrowSchema, arrowType, batchFromData, STORED_CHANGE_TYPE_FIELD } from '../common/arrow.js';
import { stringsAreUtf8, type ColumnBuffers } from '../common/arrow-columns.js';
import { encodeSchemaMessage } from '../common/arrow-ipc-layout.js';
import { BatchBody } from '../common/arrow-ipc-write.js';
import { fail } from '../common/errors.js';
import type { Column, ColumnType } from '../common/schema.js';
import { locateRowValues, readSafeInt64, rowShape, type RowShape } from './row-codec.js';

/**
 * One Arrow record batch of stored rows, built column by column straight from the stored row
 * bytes (no Row objects): a lookup reply (`finishIpc`), or a changelog batch for the log
 * (`finishChangelogIpc`: the table's columns as declared, then `_change_type`). In a lookup reply
 * row i answers key i. The boolean column `__found` (never null) says
 * whether key i exists; for a missing key every table column is null, so the table's columns are
 * nullable here and `__found` tells a missing row from a row of nulls. (`__` names are reserved for
 * system columns, so it cannot clash with a table column.)
 *
 * Fixed-width values are copied byte for byte (both the row codec and Arrow are little-endian);
 * dates are stored as epoch ms and become Arrow days. Strings and binary are appended to one data
 * buffer per column; the strings of a column are checked to be UTF-8 in one pass at the end. Bytes
 * are copied four at a time through DataViews: a byte loop takes about three times as long, and a
 * `set` needs a view object made per value.
 */
export const FOUND_COLUMN = '__found';

const DAY_MS = 86_400_000;
/** Longer values are copied with one `set` call; shorter ones faster in a loop. */
const COPY_LOOP_BYTES_MAX = 256;
/** The first guess of a string column's bytes per row; the data buffer doubles when it fills. */
const VARIABLE_BYTES_GUESS = 64;

/** How a column's payload becomes Arrow, as numbers so the per-row loop switches on them. */
const VARIABLE = 0;
const BOOLEAN = 1;
const DATE = 2;
const FIXED = 3;

function kindOf(type: ColumnType): number {
  if (type === 'string' || type === 'binary') return VARIABLE;
  if (type === 'boolean') return BOOLEAN;
  return type === 'date' ? DATE : FIXED;
}

/** Arrow byte width of the FIXED and DATE types. */
const ARROW_WIDTH: Partial<Record<ColumnType, number>> = {
  int8: 1, int16: 2, int32: 4, float32: 4, float64: 8, int64: 8, timestamp: 8, date: 4,
};

const SCHEMAS = new WeakMap<readonly Column[], A.Schema>();

/** The reply schema of a table (its columns, all nullable, then `__found`), built once per columns array. */
function replySchema(columns: readonly Column[]): A.Schema {
  let schema = SCHEMAS.get(columns);
  if (!schema) {
    schema = new A.Schema([...columns.map((c) => new A.Field(c.name, arrowType(c.type), true)), new A.Field(FOUND_COLUMN, new A.Bool(), false)]);
    SCHEMAS.set(columns, schema);
  }
  return schema;
}

const SCHEMA_MESSAGES = new WeakMap<readonly Column[], Uint8Array>();

/** The reply schema as an IPC message, encoded once per columns array. */
function replySchemaMessage(columns: readonly Column[]): Uint8Array {
  let message = SCHEMA_MESSAGES.get(columns);
  if (!message) SCHEMA_MESSAGES.set(columns, (message = encodeSchemaMessage(replySchema(columns))));
  return message;
}

const CHANGELOG_SCHEMA_MESSAGES = new WeakMap<readonly Column[], Uint8Array>();

/** The changelog schema (the table's columns as declared, then `_change_type`) as an IPC message, once per columns array. */
function changelogSchemaMessage(columns: readonly Column[]): Uint8Array {
  let message = CHANGELOG_SCHEMA_MESSAGES.get(columns);
  if (!message) CHANGELOG_SCHEMA_MESSAGES.set(columns, (message = encodeSchemaMessage(arrowSchema(columns, [STORED_CHANGE_TYPE_FIELD]))));
  return message;
}

const EMPTY = new Uint8Array(0);

function viewOf(bytes: ArrayBufferView): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * The buffers of a builder. `finishIpc` copies them into the reply, so the next builder of the same
 * columns and capacity takes them over: a lookup then allocates nothing per key (and zeroes only the
 * bitmaps and fixed-width values).
 */
class BatchBuffers {
  readonly validity: Uint8Array[];
  /** FIXED/DATE: the values; VARIABLE: the data, grown as needed; BOOLEAN: bits. */
  readonly values: Uint8Array[];
  /** A DataView of each of `values`. */
  readonly views: DataView[];
  /** VARIABLE columns only (an empty array for the others). */
  readonly offsets: Int32Array[];
  readonly found: Uint8Array;

  constructor(columns: readonly Column[], kinds: Uint8Array, readonly capacity: number) {
    const bitmapBytes = Math.ceil(capacity / 8);
    this.validity = columns.map(() => new Uint8Array(bitmapBytes));
    // Each fixed-width column has its own ArrayBuffer, so typed views of its values are aligned.
    this.values = columns.map((c, i) => new Uint8Array(kinds[i] === VARIABLE ? capacity * VARIABLE_BYTES_GUESS
      : kinds[i] === BOOLEAN ? bitmapBytes : capacity * ARROW_WIDTH[c.type]!));
    this.views = this.values.map(viewOf);
    this.offsets = columns.map((_c, i) => new Int32Array(kinds[i] === VARIABLE ? capacity + 1 : 0));
    this.found = new Uint8Array(bitmapBytes);
  }

  get valueBytes(): number {
    return this.values.reduce((n, v) => n + v.length, 0);
  }

  /** Zeroed as new ones are, but for variable data and offsets past 0: a builder reads those only where it wrote them. */
  cleared(kinds: Uint8Array): this {
    for (let i = 0; i < kinds.length; i++) {
      this.validity[i]!.fill(0);
      if (kinds[i] !== VARIABLE) this.values[i]!.fill(0);
    }
    this.found.fill(0);
    return this;
  }
}

/** Per columns array: the buffers of the last finished builder, until the next one takes them. */
const SPARE_BUFFERS = new WeakMap<readonly Column[], BatchBuffers>();
/** Buffers grown past this by long values are dropped, not kept for the table's next lookup. */
const SPARE_VALUE_BYTES_MAX = 4 * 1024 * 1024;

export class StoredRowBatchBuilder {
  private readonly shape: RowShape;
  private readonly kinds: Uint8Array;
  private readonly buffers: BatchBuffers;
  private readonly validity: Uint8Array[];
  private readonly values: Uint8Array[];
  private readonly views: DataView[];
  /**
   * A DataView of the whole ArrayBuffer under the last stored row. LMDB hands every row over in the
   * same buffer object, and rows from the memtable mostly share Buffer's pool, so one view serves
   * many rows (comparing the objects first is cheaper than reading `.buffer`).
   */
  private source: DataView = new DataView(new ArrayBuffer(0));
  private sourceOf: Uint8Array | undefined;
  private readonly offsets: Int32Array[];
  private readonly nullCounts: Int32Array;
  private readonly found: Uint8Array;
  private readonly at: Int32Array;
  private readonly len: Int32Array;
  private rows = 0;

  /** `capacity`: the number of rows that will be added (one per key). */
  constructor(private readonly columns: readonly Column[], private readonly capacity: number) {
    this.shape = rowShape(columns);
    this.kinds = Uint8Array.from(columns, (c) => kindOf(c.type));
    const spare = SPARE_BUFFERS.get(columns);
    if (spare?.capacity === capacity) SPARE_BUFFERS.delete(columns);
    this.buffers = spare?.capacity === capacity ? spare.cleared(this.kinds) : new BatchBuffers(columns, this.kinds, capacity);
    ({ validity: this.validity, values: this.values, views: this.views, offsets: this.offsets, found: this.found } = this.buffers);
    this.nullCounts = new Int32Array(columns.length);
    this.at = new Int32Array(columns.length);
    this.len = new Int32Array(columns.length);
  }

  /** Appends the answer for the next key: its stored row (read now, so a borrowed buffer is fine), or undefined. */
  add(stored: Uint8Array | undefined): void {
    if (this.rows >= this.capacity) fail('INTERNAL', `a lookup batch built for ${this.capacity} rows got more`);
    const row = this.rows++;
    if (stored === undefined) {
      for (let i = 0; i < this.columns.length; i++) this.addNull(i, row);
      return;
    }
    const bit = 1 << (row & 7);
    this.found[row >> 3] |= bit;
    locateRowValues(this.shape, stored, this.at, this.len);
    if (stored !== this.sourceOf) {
      this.sourceOf = stored;
      if (stored.buffer !== this.source.buffer) this.source = new DataView(stored.buffer);
    }
    const base = stored.byteOffset;
    for (let i = 0; i < this.columns.length; i++) {
      const pos = this.at[i]!;
      if (pos < 0) {
        this.addNull(i, row);
        continue;
      }
      this.validity[i]![row >> 3] |= bit;
      const length = this.len[i]!;
      switch (this.kinds[i]) {
        case VARIABLE: this.addVariable(i, row, base + pos, length); break;
        case BOOLEAN: if (stored[pos] === 1) this.values[i]![row >> 3] |= bit; break;
        case DATE: this.views[i]!.setInt32(row * 4, Math.floor(readSafeInt64(stored, pos) / DAY_MS), true); break;
        default: copy(this.source, base + pos, length, this.views[i]!, row * length);
      }
    }
  }

  finish(): A.RecordBatch {
    if (this.rows !== this.capacity) fail('INTERNAL', `a lookup batch built for ${this.capacity} rows got ${this.rows}`);
    const schema = replySchema(this.columns);
    const children = this.columns.map((_c, i) => this.columnData(i, schema.fields[i]!.type));
    children.push(A.makeData({ type: schema.fields[this.columns.length]!.type as A.Bool, length: this.rows, nullCount: 0, data: this.found }));
    return batchFromData(schema, this.rows, children);
  }

  /**
   * The batch as a whole IPC stream (schema, one record batch, end-of-stream), framed straight from
   * the builder's buffers with the schema message encoded once per table: the same bytes as
   * `batchToIpc(this.finish())`, without building Arrow objects or re-encoding the schema.
   */
  finishIpc(): Buffer {
    return this.frame({ nullCount: 0, buffers: [EMPTY, this.found] }, replySchemaMessage(this.columns));
  }

  /**
   * The rows as a changelog batch: the table's columns as declared (what `rowsToBatch` writes) and
   * `_change_type` with `codes[i]` for row i. Every row must have been added with stored bytes.
   */
  finishChangelogIpc(codes: Int8Array): Buffer {
    if (codes.length !== this.rows) fail('INTERNAL', `a changelog batch of ${this.rows} rows got ${codes.length} change types`);
    return this.frame({ nullCount: 0, buffers: [EMPTY, new Uint8Array(codes.buffer, codes.byteOffset, codes.byteLength)] }, changelogSchemaMessage(this.columns));
  }

  /** The IPC stream of the columns and one trailing system column, framed straight from the buffers. */
  private frame(trailer: ColumnBuffers, schemaMessage: Uint8Array): Buffer {
    if (this.rows !== this.capacity) fail('INTERNAL', `a batch built for ${this.capacity} rows got ${this.rows}`);
    const rows = this.rows;
    const body = new BatchBody(true);
    for (let i = 0; i < this.columns.length; i++) {
      const nullCount = this.nullCounts[i]!;
      const validity = nullCount > 0 ? this.validity[i]! : EMPTY;
      const values = this.values[i]!;
      switch (this.kinds[i]) {
        case VARIABLE: {
          const offsets = this.offsets[i]!;
          const data = values.subarray(0, offsets[rows]!);
          if (this.columns[i]!.type === 'string') checkUtf8(this.columns[i]!, data, offsets, rows);
          body.column({ nullCount, buffers: [validity, new Uint8Array(offsets.buffer, offsets.byteOffset, (rows + 1) * 4), data] });
          break;
        }
        case BOOLEAN: body.column({ nullCount, buffers: [validity, values] }); break;
        default: body.column({ nullCount, buffers: [validity, values.subarray(0, rows * ARROW_WIDTH[this.columns[i]!.type]!)] });
      }
    }
    body.column(trailer);
    const stream = body.stream(schemaMessage, rows);
    // The stream is a copy; add() refuses further rows, so nothing writes these buffers again.
    if (this.buffers.valueBytes <= SPARE_VALUE_BYTES_MAX) SPARE_BUFFERS.set(this.columns, this.buffers);
    return stream;
  }

  private addNull(i: number, row: number): void {
    this.nullCounts[i]!++;
    if (this.kinds[i] === VARIABLE) this.offsets[i]![row + 1] = this.offsets[i]![row]!;
  }

  /** Appends `length` bytes at `from` in `this.source`. */
  private addVariable(i: number, row: number, from: number, length: number): void {
    const offsets = this.offsets[i]!;
    const start = offsets[row]!;
    if (start + length > this.values[i]!.length) {
      this.values[i] = grown(this.values[i]!, start, start + length);
      this.views[i] = viewOf(this.values[i]!);
    }
    copy(this.source, from, length, this.views[i]!, start);
    offsets[row + 1] = start + length;
  }

  private columnData(i: number, type: A.DataType): A.Data {
    const column = this.columns[i]!;
    const common = { type, length: this.rows, nullCount: this.nullCounts[i]!, nullBitmap: this.validity[i]! };
    const values = this.values[i]!;
    if (this.kinds[i] === VARIABLE) {
      const offsets = this.offsets[i]!;
      const data = values.subarray(0, offsets[this.rows]!);
      if (column.type === 'string') checkUtf8(column, data, offsets, this.rows);
      return A.makeData({ ...common, valueOffsets: offsets, data } as never);
    }
    return A.makeData({ ...common, data: typedValues(column.type, values) } as never);
  }
}

/** The typed array Arrow expects for a fixed-width column, over the same bytes. */
function typedValues(type: ColumnType, values: Uint8Array): ArrayBufferView {
  const buffer = values.buffer;
  switch (type) {
    case 'int64': case 'timestamp': return new BigInt64Array(buffer);
    case 'float64': return new Float64Array(buffer);
    case 'float32': return new Float32Array(buffer);
    case 'int32': case 'date': return new Int32Array(buffer);
    case 'int16': return new Int16Array(buffer);
    case 'int8': return new Int8Array(buffer);
    default: return values;
  }
}

function grown(bytes: Uint8Array, used: number, needed: number): Uint8Array {
  const next = new Uint8Array(Math.max(bytes.length * 2, needed));
  next.set(bytes.subarray(0, used));
  return next;
}

function copy(src: DataView, from: number, length: number, dst: DataView, to: number): void {
  if (length > COPY_LOOP_BYTES_MAX) {
    new Uint8Array(dst.buffer, dst.byteOffset + to, length).set(new Uint8Array(src.buffer, src.byteOffset + from, length));
    return;
  }
  let k = 0;
  for (; k + 4 <= length; k += 4) dst.setInt32(to + k, src.getInt32(from + k, true), true);
  for (; k < length; k++) dst.setUint8(to + k, src.getUint8(from + k));
}

function checkUtf8(column: Column, data: Uint8Array, offsets: Int32Array, rows: number): void {
  if (!stringsAreUtf8(data, viewOf(offsets), rows)) fail('INTERNAL', `corrupt stored row: column '${column.name}' has a string that is not valid UTF-8`);
}
