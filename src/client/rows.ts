import { fail } from '../common/errors.js';
import { jsonToValue } from '../common/json-values.js';
import type { Column } from '../common/schema.js';
import { SYSTEM_COLUMNS } from '../common/schema.js';
import type { Row, Value } from '../common/values.js';

/**
 * Rows as callers hand them in, and as the server hands them back in JSON.
 *
 * In: the in-memory forms (`Value`: int64 bigint, timestamp/date epoch ms, binary Uint8Array) and the
 * JSON forms (int64 as a safe number or decimal string, ISO-8601 timestamps, 'YYYY-MM-DD' dates,
 * base64 binary) are both accepted, plus `Date` objects for timestamp and date columns. A number for a
 * date column is the in-memory form (epoch ms at UTC midnight), so a scanned row can be written back.
 */
export type RowInput = Readonly<Record<string, unknown>>;

const DAY_MS = 86_400_000;
const SYSTEM = new Set<string>(SYSTEM_COLUMNS);

/**
 * One value of a caller's row -> the in-memory form of the column's type. Dispatched on the value's
 * type first: a row is converted value by value on the writers' hot path, and only objects can be
 * Dates or bytes.
 */
export function inputToValue(col: Column, v: unknown): Value {
  switch (typeof v) {
    case 'string':
      return col.type === 'string' ? v : jsonToValue(col, v);
    case 'number':
      if (col.type !== 'date') return jsonToValue(col, v);
      if (Number.isSafeInteger(v) && v % DAY_MS === 0) return v;
      return fail('INVALID_VALUE', `column '${col.name}' (date) got ${v}; give epoch ms at UTC midnight, a 'YYYY-MM-DD' string or a Date`);
    case 'bigint':
      if (col.type !== 'int8' && col.type !== 'int16' && col.type !== 'int32') return jsonToValue(col, v);
      return jsonToValue(col, v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);
    case 'object':
      if (v instanceof Date) return dateValue(col, v);
      if (v instanceof Uint8Array) {
        if (col.type === 'binary') return v;
        fail('INVALID_VALUE', `column '${col.name}' (${col.type}) got bytes; bytes fit binary columns`);
      }
      return jsonToValue(col, v);
    default:
      return jsonToValue(col, v);
  }
}

function dateValue(col: Column, v: Date): Value {
  const ms = v.getTime();
  if (!Number.isFinite(ms)) fail('INVALID_VALUE', `column '${col.name}' (${col.type}) got an invalid Date`);
  if (col.type === 'timestamp') return ms;
  if (col.type === 'date') return Math.floor(ms / DAY_MS) * DAY_MS;
  return fail('INVALID_VALUE', `column '${col.name}' (${col.type}) got a Date; Dates fit timestamp and date columns`);
}

export interface ToRowOptions {
  /** Columns that must be present and not null (a key). */
  readonly required?: readonly string[];
}

const hasOwn = Object.prototype.hasOwnProperty;

/**
 * Checks callers' rows against `columns` and converts them: `out[j]` becomes the value of
 * `columns[j]` (an absent column null, or a failure when it is not nullable). Names that are not
 * among `columns` are refused, system columns are ignored so a scanned record can be written again.
 * A writer converts each row into one reused array: nothing is allocated for the row itself.
 */
export class RowConverter {
  private readonly byName: ReadonlySet<string>;
  private readonly names: readonly string[];
  private readonly required: readonly string[];

  constructor(private readonly columns: readonly Column[], opts: ToRowOptions = {}) {
    this.names = columns.map((c) => c.name);
    this.byName = new Set(this.names);
    this.required = opts.required ?? [];
  }

  convert(input: RowInput, out: Value[]): void {
    if (typeof input !== 'object' || input === null || Array.isArray(input)) {
      fail('INVALID_VALUE', 'a row must be an object of column values');
    }
    for (const k in input) {
      if (this.byName.has(k) || SYSTEM.has(k) || !hasOwn.call(input, k)) continue;
      fail('UNKNOWN_COLUMN', `the row has column '${k.slice(0, 100)}', which is not written here; columns: ${this.names.join(', ')}`);
    }
    for (const k of this.required) {
      if (input[k] === undefined || input[k] === null) fail('MISSING_KEY', `the row lacks key column '${k}'`);
    }
    const columns = this.columns;
    for (let j = 0; j < columns.length; j++) out[j] = inputToValue(columns[j]!, input[this.names[j]!]);
  }
}

/** A caller's row -> a `Row` over exactly `columns`, checked as `RowConverter` checks it. */
export function toRow(columns: readonly Column[], input: RowInput, opts: ToRowOptions = {}): Row {
  const values: Value[] = new Array(columns.length);
  new RowConverter(columns, opts).convert(input, values);
  const row: Row = {};
  for (let j = 0; j < columns.length; j++) row[columns[j]!.name] = values[j]!;
  return row;
}

/**
 * A JSON row from the server -> a `Row` in the in-memory forms. Only the named columns present in
 * the object are converted; a null is kept as null whatever the column says (the server decides).
 */
export function rowFromWire(columns: readonly Column[], obj: unknown): Row {
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
    fail('INTERNAL', `the server sent a row that is not an object: ${JSON.stringify(obj)?.slice(0, 100)}`);
  }
  const src = obj as Record<string, unknown>;
  const row: Row = {};
  for (const col of columns) {
    if (!(col.name in src)) continue;
    const v = src[col.name];
    row[col.name] = v === null || v === undefined ? null : jsonToValue(col.nullable ? col : { ...col, nullable: true }, v);
  }
  return row;
}

/** Rough encoded size of a row, for batch-size limits: exact enough to keep requests near the target. */
export function estimateRowBytes(row: Row): number {
  let bytes = 0;
  for (const v of Object.values(row)) {
    if (v === null) bytes += 1;
    else if (typeof v === 'string') bytes += 4 + Buffer.byteLength(v, 'utf8');
    else if (v instanceof Uint8Array) bytes += 4 + v.byteLength;
    else bytes += 8;
  }
  return bytes;
}

/** The columns named, in the order given, each looked up in the table. */
export function pickColumns(all: readonly Column[], names: readonly string[], what: string): Column[] {
  return names.map((n) => {
    const col = all.find((c) => c.name === n);
    if (!col) fail('UNKNOWN_COLUMN', `${what}: '${n}' is not a column of the table; columns: ${all.map((c) => c.name).join(', ')}`);
    return col;
  });
}
