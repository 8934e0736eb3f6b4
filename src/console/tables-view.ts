/** The overview's list of tables: a filter and a table kept in step with each refresh. */
import { cell, dataTable, h, link, setText, syncRows } from './dom.js';
import { formatBytes, formatCount, formatDuration } from './format.js';
import { hrefOf } from './routes.js';
import type { TableInfo } from './table-info.js';

const HEADERS = ['Table', 'Kind', 'Buckets', 'Records', 'Bytes', 'High watermarks', 'Tiering lag'];
const NUMERIC = [false, false, true, true, true, false, false];
/** High watermarks shown per bucket up to this many buckets; more are summed in the Records column. */
const WATERMARKS_SHOWN_MAX = 4;

function watermarks(hws: readonly string[] | undefined): string {
  if (!hws) return '';
  const shown = hws.slice(0, WATERMARKS_SHOWN_MAX).map(formatCount).join(' · ');
  return hws.length > WATERMARKS_SHOWN_MAX ? `${shown} … (${hws.length} buckets)` : shown;
}

function tieringText(t: TableInfo['tiering']): string {
  if (t === null) return '—';
  if (t === undefined) return 'not permitted';
  if (t.pendingRecords === 0n) return 'caught up';
  return `${formatCount(t.pendingRecords)} records, ${formatDuration(t.lagMs)}`;
}

export class TablesView {
  readonly element: HTMLElement;
  private readonly body: HTMLTableSectionElement;
  private readonly filter: HTMLInputElement;
  private readonly count = h('span', { class: 'muted', attrs: { 'aria-live': 'polite' } });
  private items: readonly TableInfo[] = [];

  constructor() {
    const { box, body } = dataTable('Tables', HEADERS, NUMERIC);
    this.body = body;
    this.filter = h('input', { attrs: { type: 'search', id: 'table-filter', placeholder: 'db.table', autocomplete: 'off' }, on: { input: () => this.render() } });
    const controls = h('div', { class: 'controls' }, h('label', { attrs: { for: 'table-filter' } }, 'Filter tables', this.filter), this.count);
    this.element = h('div', {}, controls, box);
  }

  update(items: readonly TableInfo[]): void {
    this.items = items;
    this.render();
  }

  private render(): void {
    const q = this.filter.value.trim().toLowerCase();
    const shown = q === '' ? this.items : this.items.filter((t) => `${t.db}.${t.table}`.toLowerCase().includes(q));
    setText(this.count, shown.length === this.items.length ? `${this.items.length} tables` : `${shown.length} of ${this.items.length} tables`);
    syncRows(this.body, shown, (t) => `${t.db}.${t.table}`, (t) => {
      const r = h('tr', { attrs: { 'data-table': `${t.db}.${t.table}` } }, h('th', { attrs: { scope: 'row' } }, link(hrefOf({ page: 'table', db: t.db, table: t.table }), `${t.db}.${t.table}`)));
      for (let i = 1; i < HEADERS.length; i++) r.append(h('td', NUMERIC[i] ? { class: 'num' } : {}));
      return r;
    }, (r, t) => {
      if (!t.described) {
        setText(cell(r, 1), 'not permitted to describe');
        for (let i = 2; i < HEADERS.length; i++) setText(cell(r, i), '');
        return;
      }
      setText(cell(r, 1), t.kind ?? '');
      setText(cell(r, 2), String(t.buckets ?? ''));
      setText(cell(r, 3), t.records === undefined ? '' : formatCount(t.records));
      setText(cell(r, 4), t.bytes === undefined ? '' : formatBytes(t.bytes));
      setText(cell(r, 5), watermarks(t.highWatermarks));
      setText(cell(r, 6), tieringText(t.tiering));
    });
  }
}
