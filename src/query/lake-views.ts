import type { Column } from '../common/schema.js';

/**
 * The SQL that turns a table's lake files (and an optional hot tail) into a DuckDB view of its
 * current rows. Pure: paths in, SQL out.
 *
 * Log tables are the union of their files. Primary-key tables merge by key: compacted base files
 * hold live rows, changelog files hold later changes; per key the change with the highest
 * `__offset` wins (before-images `-U` never count), and a winning `-D` removes the key.
 */
export interface TableSources {
  readonly database: string;
  readonly name: string;
  readonly columns: readonly Column[];
  readonly primaryKey: readonly string[];
  /** Parquet files of live rows (compacted), changelogs, or log segments. */
  readonly baseFiles: readonly string[];
  readonly changeFiles: readonly string[];
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function quoteLiteral(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

function parquetList(files: readonly string[]): string {
  return `read_parquet([${files.map(quoteLiteral).join(', ')}], union_by_name = true)`;
}

const SYSTEM = ['__bucket', '__offset', '__timestamp', '__change_type'];

function emptySelect(t: TableSources): string {
  const cols = t.columns.map((c) => `NULL AS ${quoteIdent(c.name)}`).join(', ');
  return `SELECT ${cols} WHERE false`;
}

/** The body of `CREATE VIEW db.table AS ...` for the table's current state. */
export function currentStateSql(t: TableSources): string {
  const userCols = t.columns.map((c) => quoteIdent(c.name)).join(', ');
  if (t.baseFiles.length + t.changeFiles.length === 0) return emptySelect(t);
  if (t.primaryKey.length === 0) {
    return `SELECT ${userCols} FROM ${parquetList([...t.baseFiles, ...t.changeFiles])}`;
  }
  const parts: string[] = [];
  if (t.baseFiles.length > 0) parts.push(`SELECT ${userCols}, __offset, '+I' AS __change_type FROM ${parquetList(t.baseFiles)}`);
  if (t.changeFiles.length > 0) parts.push(`SELECT ${userCols}, __offset, __change_type FROM ${parquetList(t.changeFiles)} WHERE __change_type <> '-U'`);
  const key = t.primaryKey.map(quoteIdent).join(', ');
  return [
    `SELECT ${userCols} FROM (`,
    `  SELECT *, row_number() OVER (PARTITION BY ${key} ORDER BY __offset DESC) AS __rank`,
    `  FROM (${parts.join(' UNION ALL ')})`,
    `) WHERE __rank = 1 AND __change_type <> '-D'`,
  ].join('\n');
}

export function isSystemColumn(name: string): boolean {
  return SYSTEM.includes(name);
}

/** Table references `db.table` in a query that name known tables. */
export function referencedTables(sql: string, known: readonly { database: string; name: string }[]): { database: string; name: string }[] {
  return known.filter((t) => new RegExp(`(^|[^A-Za-z0-9_"])"?${escapeRegex(t.database)}"?\\."?${escapeRegex(t.name)}"?($|[^A-Za-z0-9_"])`).test(sql));
}

export function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&');
}
