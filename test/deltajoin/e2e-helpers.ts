import { call } from '../e2e/helpers.js';

/** Every current row of a primary-key table, through the paged `/rows` snapshot of each bucket. */
export async function allRows(url: string, db: string, table: string): Promise<Record<string, unknown>[]> {
  const desc = (await call(url, 'GET', `/v1/databases/${db}/tables/${table}`)).body;
  const out: Record<string, unknown>[] = [];
  for (let b = 0; b < desc.buckets; b++) {
    let cursor: string | null = null;
    do {
      const page: any = (await call(url, 'GET', `/v1/databases/${db}/tables/${table}/buckets/${b}/rows?limit=10000${cursor ? `&after=${cursor}` : ''}`)).body;
      out.push(...page.rows);
      cursor = page.cursor;
    } while (cursor);
  }
  return out;
}

/** Rows as sorted JSON lines, for order-free comparison. */
export function canonical(rows: Iterable<Record<string, unknown>>): string[] {
  return [...rows].map((r) => JSON.stringify(Object.keys(r).sort().map((k) => [k, typeof r[k] === 'bigint' ? Number(r[k]) : r[k]]))).sort();
}

/** The naive inner join of JSON rows on one column, as output rows (left columns, then the right's others). */
export function naiveJsonJoin(left: Record<string, unknown>[], right: Record<string, unknown>[], on: string, pick?: readonly string[]): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const l of left) {
    for (const r of right) {
      if (l[on] === null || l[on] !== r[on]) continue;
      const j: Record<string, unknown> = { ...r, ...l };
      out.push(pick ? Object.fromEntries(pick.map((k) => [k, j[k] ?? null])) : j);
    }
  }
  return out;
}

export async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
