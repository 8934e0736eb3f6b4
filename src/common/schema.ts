import { fail } from './errors.js';
import { validateProperties } from './properties.js';

export const COLUMN_TYPES = [
  'boolean', 'int8', 'int16', 'int32', 'int64', 'float32', 'float64',
  'string', 'binary', 'date', 'timestamp',
] as const;
export type ColumnType = (typeof COLUMN_TYPES)[number];

export interface Column {
  readonly name: string;
  readonly type: ColumnType;
  readonly nullable: boolean;
}

/** A validated, normalized table definition: what the catalog stores and GET describes. */
export interface TableDefinition {
  readonly columns: readonly Column[];
  readonly primaryKey: readonly string[];
  readonly buckets: number;
  readonly bucketKey: readonly string[];
  readonly properties: Readonly<Record<string, string>>;
}

export type TableKind = 'log' | 'primary-key';

/** Columns every record carries on the wire; user columns may not take these names. */
export const SYSTEM_COLUMNS = ['_log_offset', '_commit_timestamp', '_change_type'] as const;
export const BUCKETS_MAX = 1024;
export const COLUMNS_MAX = 1000;

const NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const ENTITY_NAME = /^[A-Za-z0-9_][A-Za-z0-9_-]{0,127}$/;

export function tableKind(def: TableDefinition): TableKind {
  return def.primaryKey.length > 0 ? 'primary-key' : 'log';
}

/** Database and table names become folder names: keep them to a safe alphabet. */
export function validateEntityName(kind: 'database' | 'table', name: string): string {
  if (!ENTITY_NAME.test(name)) {
    fail('INVALID_NAME', `${kind} name '${name.slice(0, 200)}' is invalid: use 1-128 letters, digits, '_' or '-', not starting with '-'`);
  }
  return name;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function stringList(v: unknown, what: string): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) {
    fail('INVALID_TABLE_DEFINITION', `${what} must be an array of column names`);
  }
  if (new Set(v).size !== v.length) fail('INVALID_KEY', `${what} names a column twice`);
  return v as string[];
}

function parseColumn(raw: unknown, index: number): Column {
  if (!isRecord(raw)) fail('INVALID_TABLE_DEFINITION', `columns[${index}] must be an object like {"name":"id","type":"int64"}`);
  const { name, type, nullable } = raw;
  if (typeof name !== 'string' || name === '') fail('INVALID_TABLE_DEFINITION', `columns[${index}].name must be a non-empty string`);
  if (!NAME.test(name)) fail('INVALID_NAME', `column name '${name.slice(0, 200)}' is invalid: use letters, digits and '_', starting with a letter or '_'`);
  if ((SYSTEM_COLUMNS as readonly string[]).includes(name) || name.startsWith('__')) {
    fail('INVALID_NAME', `column name '${name}' is reserved for system columns`);
  }
  if (typeof type !== 'string' || !(COLUMN_TYPES as readonly string[]).includes(type)) {
    fail('UNKNOWN_TYPE', `column '${name}' has unknown type ${JSON.stringify(type)}; use one of ${COLUMN_TYPES.join(', ')}`);
  }
  if (nullable !== undefined && typeof nullable !== 'boolean') fail('INVALID_TABLE_DEFINITION', `column '${name}': nullable must be true or false`);
  return { name, type: type as ColumnType, nullable: nullable ?? true };
}

function checkKeyColumns(key: string[], names: Set<string>, what: string): void {
  for (const k of key) if (!names.has(k)) fail('INVALID_KEY', `${what} column '${k}' is not a column of the table`);
}

/** Validates a CREATE TABLE body and fills in defaults. Throws a 400 naming the first problem. */
export function parseTableDefinition(body: unknown): TableDefinition {
  if (!isRecord(body)) fail('INVALID_TABLE_DEFINITION', 'the table definition must be a JSON object with "columns"');
  const allowed = new Set(['columns', 'primaryKey', 'buckets', 'bucketKey', 'properties', 'comment']);
  for (const k of Object.keys(body)) if (!allowed.has(k)) fail('INVALID_TABLE_DEFINITION', `unknown field '${k}' in table definition; allowed: ${[...allowed].join(', ')}`);
  if (!Array.isArray(body.columns) || body.columns.length === 0) fail('INVALID_TABLE_DEFINITION', '"columns" must be a non-empty array');
  if (body.columns.length > COLUMNS_MAX) fail('INVALID_TABLE_DEFINITION', `a table has at most ${COLUMNS_MAX} columns`);
  let columns = body.columns.map(parseColumn);
  const names = new Set<string>();
  for (const c of columns) {
    if (names.has(c.name)) fail('DUPLICATE_COLUMN', `column '${c.name}' is defined twice`);
    names.add(c.name);
  }
  const primaryKey = stringList(body.primaryKey, 'primaryKey');
  checkKeyColumns(primaryKey, names, 'primary key');
  // Primary-key columns are NOT NULL, as in Fluss.
  columns = columns.map((c) => (primaryKey.includes(c.name) ? { ...c, nullable: false } : c));
  const buckets = body.buckets ?? 1;
  if (typeof buckets !== 'number' || !Number.isInteger(buckets) || buckets < 1 || buckets > BUCKETS_MAX) {
    fail('INVALID_BUCKETS', `buckets must be an integer from 1 to ${BUCKETS_MAX}, got ${JSON.stringify(buckets)}`);
  }
  let bucketKey = stringList(body.bucketKey, 'bucketKey');
  checkKeyColumns(bucketKey, names, 'bucket key');
  if (primaryKey.length > 0) {
    if (bucketKey.length === 0) bucketKey = [...primaryKey];
    for (const k of bucketKey) {
      if (!primaryKey.includes(k)) fail('INVALID_KEY', `bucket key column '${k}' must be part of the primary key (${primaryKey.join(', ')})`);
    }
  }
  if (body.properties !== undefined && !isRecord(body.properties)) fail('INVALID_PROPERTY', '"properties" must be an object of string values');
  const rawProps = (body.properties ?? {}) as Record<string, unknown>;
  const def: TableDefinition = { columns, primaryKey, buckets, bucketKey, properties: {} };
  return { ...def, properties: validateProperties(rawProps, def) };
}

export function columnByName(def: Pick<TableDefinition, 'columns'>, name: string): Column | undefined {
  return def.columns.find((c) => c.name === name);
}

/**
 * The order key columns are encoded in: bucket-key columns first, then the rest of the primary key,
 * so that a prefix lookup by bucket key is one range scan.
 */
export function keyEncodingOrder(def: Pick<TableDefinition, 'primaryKey' | 'bucketKey'>): string[] {
  return [...def.bucketKey, ...def.primaryKey.filter((k) => !def.bucketKey.includes(k))];
}
