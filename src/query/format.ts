import type { QueryResult } from './run-query.js';

/** Renders a cell for people and for JSON: int64 exact, timestamps ISO, bytes base64. */
function cell(v: unknown): string | number | boolean | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (v instanceof Date) return v.toISOString();
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  if (typeof v === 'object') return JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x));
  return v as string | number | boolean;
}

export function formatJson(r: QueryResult): string {
  return `${JSON.stringify(r.rows.map((row) => Object.fromEntries(r.columns.map((c) => [c, cell(row[c])]))))}\n`;
}

function csvField(v: unknown): string {
  const s = v === null ? '' : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function formatCsv(r: QueryResult): string {
  const lines = [r.columns.map(csvField).join(',')];
  for (const row of r.rows) lines.push(r.columns.map((c) => csvField(cell(row[c]))).join(','));
  return `${lines.join('\n')}\n`;
}

export function formatTable(r: QueryResult): string {
  const texts = r.rows.map((row) => r.columns.map((c) => {
    const v = cell(row[c]);
    return v === null ? 'NULL' : String(v);
  }));
  const widths = r.columns.map((c, i) => Math.max(c.length, ...texts.map((t) => t[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((s, i) => s.padEnd(widths[i]!)).join(' | ')} |`;
  const rule = `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`;
  return `${[line(r.columns), rule, ...texts.map(line)].join('\n')}\n(${r.rows.length} row${r.rows.length === 1 ? '' : 's'})\n`;
}
