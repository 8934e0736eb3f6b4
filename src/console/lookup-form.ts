/** A primary-key table's lookup: one field per key column, checked before anything is sent. */
import { ApiError, paths } from './api.js';
import type { TableDescription } from './api-types.js';
import { dataTable, fill, h, notice, row } from './dom.js';
import { formatValue } from './format.js';
import { parseKeyValue } from './key-input.js';
import type { PageContext } from './page.js';

export function lookupForm(ctx: PageContext, table: TableDescription): HTMLElement {
  const result = h('div', { attrs: { 'aria-live': 'polite' } });
  const fields = table.primaryKey.map((name) => {
    const type = table.columns.find((c) => c.name === name)?.type ?? 'string';
    const id = `key-${name}`;
    const input = h('input', { attrs: { type: 'text', id, name, autocomplete: 'off', 'aria-describedby': `${id}-problem` } });
    const problem = h('span', { class: 'field-problem', attrs: { id: `${id}-problem` } });
    return { name, type, input, problem, label: h('label', { attrs: { for: id } }, `${name} (${type})`, input, problem) };
  });
  const form = h('form', { class: 'lookup', attrs: { 'aria-label': `Look up a row of ${table.database}.${table.name}` }, on: {
    submit: (e) => {
      e.preventDefault();
      const key: Record<string, unknown> = {};
      let valid = true;
      for (const f of fields) {
        const parsed = parseKeyValue(f.type, f.input.value);
        f.problem.textContent = parsed.ok ? '' : `expected ${parsed.problem}`;
        if (parsed.ok) key[f.name] = parsed.value;
        else valid = false;
      }
      if (!valid) return;
      void lookUp(ctx, table, key, result);
    },
  } }, ...fields.map((f) => f.label), h('button', { attrs: { type: 'submit' } }, 'Look up'));
  return h('div', {}, form, result);
}

async function lookUp(ctx: PageContext, table: TableDescription, key: Record<string, unknown>, result: HTMLElement): Promise<void> {
  let reply: { rows: (Record<string, unknown> | null)[] };
  try {
    reply = await ctx.api.post(`${paths.table(table.database, table.name)}/lookup`, { keys: [key] }, ctx.signal);
  } catch (err) {
    if (ctx.signal.aborted) return;
    fill(result, notice(err instanceof ApiError ? `${err.code}: ${err.message}` : String(err), 'error'));
    return;
  }
  const found = reply.rows[0];
  if (!found) {
    fill(result, notice(`No row has the key ${JSON.stringify(key)}.`));
    return;
  }
  const { box, body } = dataTable('Looked-up row', ['Column', 'Value']);
  for (const c of table.columns) body.append(row([c.name, formatValue(found[c.name])]));
  box.classList.add('lookup-result');
  fill(result, box);
}
