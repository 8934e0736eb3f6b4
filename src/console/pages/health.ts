/** Health: the `/v1/health` detail, and refused or failed requests by code over the last 15 minutes. */
import type { Health, RecentMetrics } from '../api-types.js';
import { cell, dataTable, fill, h, notice, row, section, setText, syncRows } from '../dom.js';
import { formatAgo, formatCount } from '../format.js';
import type { PageContext } from '../page.js';
import { poll } from '../poll.js';
import { ERROR_PLOTS, RecentPlots } from '../recent-plots.js';

const HEALTH_POLL_MS = 2000;

function badge(ok: boolean, yes: string, no: string): HTMLElement {
  return h('span', { class: `badge ${ok ? 'ok' : 'bad'}` }, ok ? yes : no);
}

function renderHealth(box: HTMLElement, health: Health): void {
  const failed = health.storage.failedTables;
  const failures = dataTable('Buckets that refuse writes until a restart', ['Table', 'Bucket', 'Why']);
  for (const t of failed) for (const b of t.buckets) failures.body.append(row([t.table, String(b.bucket), b.message]));
  fill(box,
    h('ul', { class: 'facts' },
      h('li', {}, 'Status ', badge(health.status === 'ok', 'ok', health.status)),
      h('li', {}, 'Lake ', badge(health.lake.ok, 'reachable', 'unusable'), ' ', h('b', {}, health.lake.uri)),
      h('li', {}, 'Disk ', badge(!health.storage.diskFull, 'has room', 'full: writes are refused'))),
    health.lake.error ? notice(`Lake: ${health.lake.error}`, 'error') : null,
    failed.length > 0 ? failures.box : h('p', { class: 'muted' }, 'Every bucket accepts writes.'));
}

export async function healthPage(ctx: PageContext): Promise<void> {
  const { api, access, signal } = ctx;
  const detail = h('div');
  const errors = section('Errors by code, last 15 minutes');
  fill(ctx.main, h('h1', {}, 'Health'), section('Server', detail), errors);
  if (!access.mayReadMetrics) {
    errors.append(notice(`${access.refusal('describe', '*')} Errors come from /v1/metrics/recent, which needs the grant of /metrics.`, 'denied'));
    poll(signal, HEALTH_POLL_MS, async () => renderHealth(detail, await api.get<Health>('/v1/health', signal)), ctx.report);
    return;
  }
  const plots = new RecentPlots(ERROR_PLOTS);
  const byCode = dataTable('Errors by code', ['Code', 'Count', 'Last'], [false, true, false]);
  const none = h('p', { class: 'muted' }, 'No refused or failed requests.');
  errors.append(plots.mount(signal), byCode.box, none);
  poll(signal, HEALTH_POLL_MS, async () => {
    const [health, recent] = await Promise.all([api.get<Health>('/v1/health', signal), api.get<RecentMetrics>(`/v1/metrics/recent?since=${plots.since}`, signal)]);
    renderHealth(detail, health);
    plots.take(recent);
    const now = Date.now();
    syncRows(byCode.body, recent.errorsByCode, (e) => e.code, (e) => row([e.code, '', ''], [false, true]), (r, e) => {
      setText(cell(r, 1), formatCount(e.count));
      setText(cell(r, 2), formatAgo(e.lastAt, now));
    });
    byCode.box.hidden = recent.errorsByCode.length === 0;
    none.hidden = recent.errorsByCode.length > 0;
  }, ctx.report);
}
