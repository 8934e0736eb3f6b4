import type { Command } from 'commander';
import { LakestreamError } from '../../common/errors.js';
import type { ClientOptions } from '../common.js';
import { clientCommand, jsonLine, openConnection, openTable } from '../common.js';

/**
 * `lakestream lookup db.t key=value ...`: the current row with that primary key as a JSON line, or
 * with only the bucket-key columns (a proper prefix of the key), every row under that prefix.
 * Values take the JSON forms (int64 as decimal text, dates as YYYY-MM-DD). Nothing found, by key or
 * by prefix alike, prints `no row in ...` on stderr and exits 1 (2 is for errors), as grep does.
 */
export function registerLookup(program: Command): void {
  clientCommand(program, 'lookup <table> <key=value...>', 'print the current row for a primary key (or the rows for a bucket-key prefix)')
    .action(async (table: string, pairs: string[], opts: ClientOptions) => {
      const conn = openConnection(opts);
      try {
        const t = await openTable(conn, table);
        const d = t.description;
        if (d.kind !== 'primary-key') throw new LakestreamError('UNSUPPORTED_OPERATION', `${table} is a log table: lookup needs a primary key; use tail`);
        const key: Record<string, unknown> = {};
        for (const p of pairs) {
          const eq = p.indexOf('=');
          if (eq <= 0) throw new LakestreamError('INVALID_PARAMETER', `'${p}' is not column=value`);
          const name = p.slice(0, eq);
          const col = d.columns.find((c) => c.name === name);
          if (!col) throw new LakestreamError('UNKNOWN_COLUMN', `${table} has no column '${name}'; its primary key is (${d.primaryKey.join(', ')})`);
          key[name] = textValue(col.type, p.slice(eq + 1));
        }
        const names = Object.keys(key).sort();
        const same = (a: readonly string[]) => a.length === names.length && [...a].sort().every((n, i) => n === names[i]);
        if (same(d.primaryKey)) {
          const l = t.lookuper();
          const row = await l.lookup(key);
          await l.close();
          if (row) process.stdout.write(jsonLine(d.columns, row));
          else notFound(table, pairs);
        } else if (d.bucketKey.length < d.primaryKey.length && same(d.bucketKey)) {
          const l = t.prefixLookuper();
          const rows = await l.lookup(key);
          await l.close();
          for (const row of rows) process.stdout.write(jsonLine(d.columns, row));
          if (rows.length === 0) notFound(table, pairs);
        } else {
          throw new LakestreamError('MISSING_KEY', `give every primary-key column of ${table} (${d.primaryKey.join(', ')})${d.bucketKey.length < d.primaryKey.length ? `, or its bucket key (${d.bucketKey.join(', ')})` : ''}`);
        }
      } finally {
        await conn.close();
      }
    });
}

function notFound(table: string, pairs: readonly string[]): void {
  process.stderr.write(`lakestream: no row in ${table} with ${pairs.join(' ')}\n`);
  process.exitCode = 1;
}

/** Command-line text -> the JSON form the client accepts for the column type. */
function textValue(type: string, text: string): unknown {
  switch (type) {
    case 'int8': case 'int16': case 'int32': case 'float32': case 'float64':
      return /^-?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(text) ? Number(text) : text;
    case 'int64':
      return text;
    case 'boolean':
      return text === 'true' ? true : text === 'false' ? false : text;
    case 'timestamp':
      return /^-?\d+$/.test(text) ? Number(text) : text;
    default:
      return text;
  }
}
