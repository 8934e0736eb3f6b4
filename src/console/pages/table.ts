/**
 * A table: schema, properties, buckets, the lake, a records preview that follows new records, and
 * a lookup form for primary-key tables. Sections the principal may not use say so instead of
 * sending a request the server would refuse.
 */
import { paths } from '../api.js';
import type { BucketStats, TableDescription } from '../api-types.js';
import { append, cell, dataTable, fill, h, notice, row, section, setText, syncRows } from '../dom.js';
import { formatBytes, formatCount, formatInstant } from '../format.js';
import { lakeSection } from '../lake-section.js';
import { lookupForm } from '../lookup-form.js';
import type { PageContext } from '../page.js';
import { poll } from '../poll.js';
import { RecordsPreview } from '../records-preview.js';
import { lakeEnabled } from '../table-info.js';

const BUCKETS_POLL_MS = 2000;

function schema(d: TableDescription): HTMLElement {
  const { box, body } = dataTable('Columns', ['#', 'Column', 'Type', 'Nullable', 'Key'], [true]);
  d.columns.forEach((c, i) => {
    const key = [d.primaryKey.includes(c.name) ? 'primary key' : '', d.bucketKey.includes(c.name) ? 'bucket key' : ''].filter((k) => k !== '').join(', ');
    body.append(row([String(i), c.name, c.type, c.nullable ? 'yes' : 'no', key], [true]));
  });
  return box;
}

function properties(d: TableDescription): HTMLElement {
  const entries = Object.entries(d.properties).sort(([a], [b]) => a.localeCompare(b));
  if (entries.length === 0) return h('p', { class: 'muted' }, 'None set: every property has its default (README lists them).');
  const { box, body } = dataTable('Properties', ['Property', 'Value']);
  for (const [k, v] of entries) body.append(row([k, v]));
  return h('div', {}, box, h('p', { class: 'muted' }, 'Properties not listed have their defaults (README lists them).'));
}

function buckets(ctx: PageContext, d: TableDescription): HTMLElement {
  const numeric = [true, true, true, true, true];
  const { box, body } = dataTable('Buckets', ['Bucket', 'Local log start', 'High watermark', 'Segments', 'Bytes'], numeric);
  poll(ctx.signal, BUCKETS_POLL_MS, async () => {
    const stats = await Promise.all(Array.from({ length: d.buckets }, (_, b) => ctx.api.get<BucketStats>(paths.bucket(d.database, d.name, b), ctx.signal)));
    syncRows(body, stats.map((s, b) => ({ ...s, b })), (s) => String(s.b), (s) => row([String(s.b), '', '', '', ''], numeric), (r, s) => {
      setText(cell(r, 1), formatCount(s.localLogStartOffset));
      setText(cell(r, 2), formatCount(s.highWatermark));
      setText(cell(r, 3), String(s.segments));
      setText(cell(r, 4), formatBytes(s.bytes));
    });
  }, ctx.report);
  return box;
}

export async function tablePage(ctx: PageContext, db: string, table: string): Promise<void> {
  const { access } = ctx;
  const heading = h('h1', {}, `${db}.${table}`);
  fill(ctx.main, heading);
  if (!access.mayTable('describe', db, table)) {
    ctx.main.append(notice(access.refusal('describe', `${db}.${table}`), 'denied'));
    return;
  }
  const d = await ctx.api.get<TableDescription>(paths.table(db, table), ctx.signal);
  const mayRead = access.mayTable('read', db, table);
  const denied = () => notice(`${access.refusal('read', `${db}.${table}`)} It may describe the table only.`, 'denied');
  append(ctx.main,
    h('ul', { class: 'facts' },
      h('li', {}, 'Kind ', h('b', {}, d.kind)),
      h('li', {}, 'Buckets ', h('b', {}, String(d.buckets))),
      h('li', {}, 'Primary key ', h('b', {}, d.primaryKey.join(', ') || '—')),
      h('li', {}, 'Bucket key ', h('b', {}, d.bucketKey.join(', ') || '— (round-robin)')),
      h('li', {}, 'Created ', h('b', {}, formatInstant(d.createdAt)))),
    section('Schema', schema(d)),
    section('Properties', properties(d)),
    section('Buckets', buckets(ctx, d)),
    section('Lake', !lakeEnabled(d) ? h('p', { class: 'muted' }, 'This table does not tier into the lake (table.datalake.enabled is false).') : mayRead ? lakeSection(ctx, d) : denied()),
    section(d.kind === 'primary-key' ? 'Changelog preview' : 'Records preview', mayRead ? new RecordsPreview(ctx, d).element : denied()),
    d.kind === 'primary-key' ? section('Lookup', mayRead ? lookupForm(ctx, d) : denied()) : null,
  );
}
