/**
 * How `db.table` names in a user's SQL meet DuckDB. Pure: SQL text in, SQL text or a name out.
 *
 * lakestream names may hold `-` (`db.my-table`), which SQL reads as a minus: known tables named so
 * are quoted before DuckDB parses the query. A `FROM`/`JOIN` of a `db.table` that the server does not
 * have is found before DuckDB runs, so the user gets TABLE_NOT_FOUND in our words, not a Catalog Error.
 */
import { escapeRegex, quoteIdent } from './lake-views.js';

export interface TableName {
  readonly database: string;
  readonly name: string;
}

const PLAIN_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** DuckDB's own schemas: `FROM information_schema.tables` is not a lakestream table. */
const DUCKDB_SCHEMAS = new Set(['main', 'information_schema', 'pg_catalog', 'temp', 'system']);
const IDENT = '"(?:[^"]|"")+"|[A-Za-z0-9_][A-Za-z0-9_-]*';
const FROM_TABLE = new RegExp(`\\b(?:FROM|JOIN)\\s+(${IDENT})\\s*\\.\\s*(${IDENT})`, 'gi');

/** The SQL split into code and quoted parts ('strings', "identifiers"): names are looked for in code only. */
function segments(sql: string): { text: string; code: boolean }[] {
  const out: { text: string; code: boolean }[] = [];
  const quoted = /'(?:[^']|'')*'?|"(?:[^"]|"")*"?/g;
  let at = 0;
  for (let m = quoted.exec(sql); m; m = quoted.exec(sql)) {
    if (m.index > at) out.push({ text: sql.slice(at, m.index), code: true });
    out.push({ text: m[0], code: false });
    at = m.index + m[0].length;
  }
  if (at < sql.length) out.push({ text: sql.slice(at), code: true });
  return out;
}

/** The query with each unquoted `db.table` of a known table whose name is not a plain SQL identifier quoted. */
export function quoteTableReferences(sql: string, known: readonly TableName[]): string {
  const needQuotes = known
    .filter((t) => !PLAIN_IDENTIFIER.test(t.database) || !PLAIN_IDENTIFIER.test(t.name))
    .sort((a, b) => b.database.length + b.name.length - a.database.length - a.name.length); // longest first
  if (needQuotes.length === 0) return sql;
  return segments(sql).map((s) => {
    if (!s.code) return s.text;
    let text = s.text;
    for (const t of needQuotes) {
      const pattern = new RegExp(`(^|[^A-Za-z0-9_.-])${escapeRegex(t.database)}\\.${escapeRegex(t.name)}(?![A-Za-z0-9_-])`, 'g');
      text = text.replace(pattern, (_m, before: string) => `${before}${quoteIdent(t.database)}.${quoteIdent(t.name)}`);
    }
    return text;
  }).join('');
}

function unquote(ident: string): string {
  return ident.startsWith('"') ? ident.slice(1, -1).replace(/""/g, '"') : ident;
}

/** The first `FROM db.table` / `JOIN db.table` of the query that names no known table (DuckDB's own schemas aside). */
export function unknownTableReference(sql: string, known: readonly TableName[]): TableName | undefined {
  const databases = new Set(known.map((t) => t.database));
  const code = segments(sql).map((s) => (s.code ? s.text : s.text.startsWith('"') ? s.text : `'${' '.repeat(Math.max(0, s.text.length - 2))}'`)).join('');
  for (const m of code.matchAll(FROM_TABLE)) {
    const database = unquote(m[1]!);
    const name = unquote(m[2]!);
    if (DUCKDB_SCHEMAS.has(database.toLowerCase()) && !databases.has(database)) continue;
    if (!known.some((t) => t.database === database && t.name === name)) return { database, name };
  }
  return undefined;
}

/**
 * The table a DuckDB "Table with name ... does not exist" error is about, qualified with its
 * database when the query says it; undefined for any other error.
 */
export function missingTableOf(duckdbMessage: string, sql: string): string | undefined {
  const m = /Table with name "?([^"\s!]+)"? does not exist/.exec(duckdbMessage);
  if (!m) return undefined;
  const name = m[1]!;
  if (name.includes('.')) return name;
  const qualified = new RegExp(`([A-Za-z0-9_][A-Za-z0-9_-]*)\\s*\\.\\s*"?${escapeRegex(name)}"?(?![A-Za-z0-9_-])`).exec(sql);
  return qualified ? `${qualified[1]}.${name}` : name;
}
