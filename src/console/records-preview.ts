/**
 * A bucket's latest records, following new ones by polling (follow.ts says from where). Columns to
 * show, table or JSON view.
 */
import { paths, type Api } from './api.js';
import type { BucketStats, RecordRow, RecordsReply, TableDescription } from './api-types.js';
import { dataTable, fill, h, row } from './dom.js';
import { follow, followStart, type Followed } from './follow.js';
import { formatCount, formatInstant, formatValue } from './format.js';
import type { PageContext } from './page.js';
import { poll } from './poll.js';

const FOLLOW_POLL_MS = 1000;
const COUNTS = [10, 20, 50, 100];
const COUNT_DEFAULT = 20;

interface State {
  bucket: number;
  count: number;
  columns: Set<string>;
  json: boolean;
  follow: boolean;
  /** What is shown and where the next fetch starts; undefined until the bucket's position is read. */
  followed: Followed<RecordRow> | undefined;
  /** Offsets that arrived in the last fetch, marked in the view. */
  fresh: Set<string>;
}

function select(id: string, options: readonly (readonly [string, string])[], value: string, onChange: (v: string) => void): HTMLSelectElement {
  const s = h('select', { attrs: { id }, on: { change: () => onChange(s.value) } }, ...options.map(([v, label]) => h('option', { attrs: { value: v } }, label)));
  s.value = value;
  return s;
}

export class RecordsPreview {
  readonly element: HTMLElement;
  private readonly view = h('div', { attrs: { 'aria-live': 'off' } });
  private readonly position = h('p', { class: 'muted' });
  private readonly state: State;
  /** Bumped on every change of bucket or count: a reply to an older request is dropped. */
  private generation = 0;

  constructor(private readonly ctx: PageContext, private readonly table: TableDescription) {
    this.state = { bucket: 0, count: COUNT_DEFAULT, columns: new Set(table.columns.map((c) => c.name)), json: false, follow: true, followed: undefined, fresh: new Set() };
    const buckets = select('preview-bucket', Array.from({ length: table.buckets }, (_, b) => [String(b), String(b)] as const), '0', (v) => this.restart({ bucket: Number(v) }));
    const counts = select('preview-count', COUNTS.map((n) => [String(n), String(n)] as const), String(COUNT_DEFAULT), (v) => this.restart({ count: Number(v) }));
    const columns = h('fieldset', {}, h('legend', {}, 'Columns'), ...table.columns.map((c) => {
      const box = h('input', { attrs: { type: 'checkbox', value: c.name, checked: '' }, on: { change: () => {
        if (box.checked) this.state.columns.add(c.name);
        else this.state.columns.delete(c.name);
        this.draw();
      } } });
      return h('label', {}, box, c.name);
    }));
    const json = h('input', { attrs: { type: 'checkbox', id: 'preview-json' }, on: { change: () => { this.state.json = json.checked; this.draw(); } } });
    const follow = h('input', { attrs: { type: 'checkbox', id: 'preview-follow', checked: '' }, on: { change: () => { this.state.follow = follow.checked; } } });
    const controls = h('div', { class: 'controls' },
      h('label', { attrs: { for: 'preview-bucket' } }, 'Bucket', buckets),
      h('label', { attrs: { for: 'preview-count' } }, 'Latest', counts),
      columns,
      h('label', { class: 'check', attrs: { for: 'preview-json' } }, json, 'JSON view'),
      h('label', { class: 'check', attrs: { for: 'preview-follow' } }, follow, 'Follow new records'));
    this.element = h('div', { class: 'records-preview' }, controls, this.position, this.view);
    poll(ctx.signal, FOLLOW_POLL_MS, () => this.tick(), ctx.report);
  }

  private restart(change: Partial<Pick<State, 'bucket' | 'count'>>): void {
    Object.assign(this.state, change, { followed: undefined, fresh: new Set() });
    this.generation += 1;
    this.draw();
    void this.tick().catch(this.ctx.report);
  }

  private async tick(): Promise<void> {
    const s = this.state;
    if (!s.follow && s.followed !== undefined) return;
    const generation = this.generation;
    const api: Api = this.ctx.api;
    const { database: db, name } = this.table;
    let from = s.followed?.next;
    if (from === undefined) {
      const stats = await api.get<BucketStats>(paths.bucket(db, name, s.bucket), this.ctx.signal);
      from = followStart(BigInt(stats.localLogStartOffset), BigInt(stats.highWatermark), s.count);
    }
    const reply = await api.get<RecordsReply>(`${paths.bucket(db, name, s.bucket)}/records?offset=${from}&maxRecords=${s.count}`, this.ctx.signal);
    if (generation !== this.generation) return;
    s.fresh = new Set(s.followed === undefined ? [] : reply.records.map((r) => String(r._log_offset)));
    s.followed = follow(s.followed, reply, s.count);
    if (reply.records.length > 0 || s.followed.records.length === 0) this.draw();
    const n = s.followed.records.length;
    this.position.textContent = `Bucket ${s.bucket}: high watermark ${formatCount(reply.highWatermark)}; showing ${n} record${n === 1 ? '' : 's'}.`;
  }

  private draw(): void {
    const s = this.state;
    const columns = this.table.columns.filter((c) => s.columns.has(c.name)).map((c) => c.name);
    const records = s.followed?.records ?? [];
    if (records.length === 0) {
      fill(this.view, h('p', { class: 'muted' }, 'No records yet.'));
      return;
    }
    if (s.json) {
      const lines = records.map((r) => JSON.stringify(Object.fromEntries([...columns.map((c) => [c, r[c]]), ['_log_offset', r._log_offset], ['_commit_timestamp', r._commit_timestamp], ['_change_type', r._change_type]])));
      fill(this.view, h('pre', { class: 'json', attrs: { tabindex: '0', 'aria-label': 'Records as JSON' } }, lines.join('\n')));
      return;
    }
    const { box, body } = dataTable('Latest records', ['Offset', 'Committed', 'Change', ...columns], [true]);
    for (const r of records) {
      const tr = row([formatCount(String(r._log_offset)), formatInstant(r._commit_timestamp), r._change_type, ...columns.map((c) => formatValue(r[c]))], [true]);
      tr.setAttribute('data-offset', String(r._log_offset));
      if (s.fresh.has(String(r._log_offset))) tr.classList.add('fresh');
      body.append(tr);
    }
    fill(this.view, box);
  }
}
