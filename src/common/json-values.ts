import { fail } from './errors.js';
import type { Column, ColumnType } from './schema.js';
import { SYSTEM_COLUMNS } from './schema.js';
import type { Row, Value } from './values.js';

/**
 * The JSON forms of values, in and out. int64 travels as a number when it is a safe integer and as
 * a decimal string otherwise (never rounded); timestamps as epoch ms (ISO-8601 accepted in); dates as
 * `YYYY-MM-DD`; binary as base64; non-finite floats as "NaN", "Infinity", "-Infinity".
 */
const INT_RANGES: Partial<Record<ColumnType, [number, number]>> = {
  int8: [-128, 127], int16: [-32768, 32767], int32: [-2147483648, 2147483647],
};
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const DAY_MS = 86_400_000;
const DATE_DAYS_MAX = 100_000_000;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function bad(col: Column, v: unknown, want: string): never {
  const shown = JSON.stringify(v)?.slice(0, 60) ?? String(v);
  fail('INVALID_VALUE', `column '${col.name}' (${col.type}) got ${shown}; expected ${want}`);
}

function parseInt64(col: Column, v: unknown): bigint {
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) bad(col, v, 'an integer; send int64 values beyond 2^53 as decimal strings so they are not rounded');
    return BigInt(v);
  }
  if (typeof v !== 'bigint' && (typeof v !== 'string' || !/^-?\d+$/.test(v))) return bad(col, v, 'an int64 as a number or a decimal string');
  // Over 20 characters once leading zeros go is out of range: no BigInt of a megabyte of digits (and
  // the common short string skips the strip).
  const b = typeof v === 'bigint' ? v : v.length <= 20 || v.replace(/^-?0+(?=\d)/, '').length <= 20 ? BigInt(v) : undefined;
  if (b === undefined || b < INT64_MIN || b > INT64_MAX) {
    const shown = String(v).slice(0, 60);
    fail('INVALID_VALUE', `column '${col.name}' (int64) got ${shown}, which is out of range: int64 holds ${INT64_MIN} to ${INT64_MAX}`);
  }
  return b;
}

function parseFloat(col: Column, v: unknown): number {
  if (typeof v === 'number') return col.type === 'float32' ? Math.fround(v) : v;
  if (v === 'NaN') return NaN;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  return bad(col, v, 'a number');
}

function parseTimestamp(col: Column, v: unknown): number {
  if (typeof v === 'number' && Number.isSafeInteger(v)) return v;
  if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?)?(Z|[+-]\d{2}:?\d{2})?$/.test(v)) {
    // An ISO string without a zone is UTC: timestamps here are UTC, never the server's local time.
    const withZone = /(Z|[+-]\d{2}:?\d{2})$/.test(v) || v.length === 10 ? v : `${v}Z`;
    const ms = Date.parse(withZone.replace(' ', 'T'));
    if (Number.isFinite(ms)) return ms;
  }
  return bad(col, v, 'epoch milliseconds or an ISO-8601 string');
}

function parseDate(col: Column, v: unknown): number {
  // A JS Date spans +-100,000,000 days; a date beyond it could not be written back out as 'YYYY-MM-DD'.
  if (typeof v === 'number' && Number.isSafeInteger(v) && Math.abs(v) <= DATE_DAYS_MAX) return v * DAY_MS;
  const m = typeof v === 'string' ? DATE.exec(v) : null;
  if (m) {
    const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
    if (new Date(ms).toISOString().startsWith(v as string)) return ms;
  }
  return bad(col, v, "a date 'YYYY-MM-DD' (or days since 1970-01-01)");
}

export function jsonToValue(col: Column, v: unknown): Value {
  if (v === null || v === undefined) {
    if (!col.nullable) fail('NULL_IN_NON_NULLABLE', `column '${col.name}' is not nullable`);
    return null;
  }
  switch (col.type) {
    case 'boolean': return typeof v === 'boolean' ? v : bad(col, v, 'true or false');
    case 'int8': case 'int16': case 'int32': {
      const [lo, hi] = INT_RANGES[col.type]!;
      if (typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi) return v;
      return bad(col, v, `an integer from ${lo} to ${hi}`);
    }
    case 'int64': return parseInt64(col, v);
    case 'float32': case 'float64': return parseFloat(col, v);
    case 'string': return typeof v === 'string' ? v : bad(col, v, 'a string');
    case 'binary':
      if (typeof v === 'string' && v.length % 4 === 0 && BASE64.test(v)) return new Uint8Array(Buffer.from(v, 'base64'));
      return bad(col, v, 'base64 text');
    case 'date': return parseDate(col, v);
    case 'timestamp': return parseTimestamp(col, v);
  }
}

export function valueToJson(type: ColumnType, v: Value): unknown {
  if (v === null) return null;
  switch (type) {
    case 'int64': {
      const b = typeof v === 'bigint' ? v : BigInt(v as number);
      return b >= BigInt(Number.MIN_SAFE_INTEGER) && b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b.toString();
    }
    case 'float32': case 'float64':
      return Number.isFinite(v) ? v : String(v);
    case 'binary': return Buffer.from(v as Uint8Array).toString('base64');
    case 'date': return new Date(v as number).toISOString().slice(0, 10);
    default: return v;
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export interface RowParseOptions {
  /** Columns that must be present (full key for upserts); others may be absent and become null. */
  readonly required?: readonly string[];
  /** When set, only these columns may appear (partial updates, deletes by key). */
  readonly only?: readonly string[];
}

/** Parses one JSON row object against the columns; system columns are ignored so a tail can be re-appended. */
const BY_NAME = new WeakMap<readonly Column[], Map<string, Column>>();

/** Rows of one request share their columns array: build its name index once. */
function columnsByName(columns: readonly Column[]): Map<string, Column> {
  let map = BY_NAME.get(columns);
  if (!map) BY_NAME.set(columns, (map = new Map(columns.map((c) => [c.name, c]))));
  return map;
}

export function rowFromJson(columns: readonly Column[], obj: unknown, index: number, opts: RowParseOptions = {}): Row {
  if (!isPlainObject(obj)) fail('INVALID_VALUE', `row ${index} must be a JSON object of column values`);
  const byName = columnsByName(columns);
  for (const k in obj) {
    if (!Object.prototype.hasOwnProperty.call(obj, k)) continue;
    if ((SYSTEM_COLUMNS as readonly string[]).includes(k)) continue;
    if (!byName.has(k) || (opts.only && !opts.only.includes(k))) {
      fail('UNKNOWN_COLUMN', `row ${index} has column '${k.slice(0, 100)}', which ${byName.has(k) ? 'this request does not write' : 'the table does not have'}; columns: ${(opts.only ?? columns.map((c) => c.name)).join(', ')}`);
    }
  }
  for (const k of opts.required ?? []) {
    if (obj[k] === undefined || obj[k] === null) fail('MISSING_KEY', `row ${index} lacks key column '${k}'`);
  }
  const row: Row = {};
  for (const col of columns) {
    if (opts.only && !opts.only.includes(col.name)) continue;
    try {
      row[col.name] = jsonToValue(col, obj[col.name]);
    } catch (e) {
      if (e instanceof Error) e.message = `row ${index}: ${e.message}`;
      throw e;
    }
  }
  return row;
}

export function rowToJson(columns: readonly Column[], row: Row): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const c of columns) if (c.name in row) out[c.name] = valueToJson(c.type, row[c.name] ?? null);
  return out;
}
