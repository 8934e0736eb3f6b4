/**
 * A lake-enabled table's lake: the current snapshot with the tiered offset and lag of every bucket,
 * its files, the snapshots over time, and the lag plotted since the page opened.
 */
import { paths } from './api.js';
import type { LakeReply, SnapshotsReply, TableDescription } from './api-types.js';
import { cell, dataTable, fill, h, notice, row, setText, syncRows } from './dom.js';
import { formatBytes, formatCount, formatDuration, formatInstant, formatSi } from './format.js';
import type { PageContext } from './page.js';
import { Plot } from './plot.js';
import { poll } from './poll.js';
import { SeriesWindow } from './series.js';
import { PALETTE } from './style.js';
import { lakeLag } from './table-info.js';

const LAKE_POLL_MS = 2000;
/** 15 minutes of the 2 s polls. */
const LAG_SAMPLES_MAX = 450;
const FILES_SHOWN_MAX = 200;

export function lakeSection(ctx: PageContext, table: TableDescription): HTMLElement {
  const base = `${paths.table(table.database, table.name)}/lake`;
  const facts = h('ul', { class: 'facts' });
  const problem = h('div');
  const buckets = dataTable('Tiered offsets and lag by bucket', ['Bucket', 'Tiered offset', 'Pending records', 'Lag'], [true, true, true, false]);
  const files = h('div');
  const snapshots = h('div');
  const history = new SeriesWindow(['pending'] as const, LAG_SAMPLES_MAX);
  const plot = new Plot({ title: 'Pending records since this page opened', series: [{ label: 'pending', color: PALETTE.orange }], format: formatSi, axis: formatSi }, history.data('pending'), ctx.signal);
  let lastSnapshotId: number | null | undefined;
  poll(ctx.signal, LAKE_POLL_MS, async () => {
    const lake = await ctx.api.get<LakeReply>(base, ctx.signal);
    const lag = lakeLag(lake);
    history.push(Date.now(), { pending: Number(lag.pendingRecords) });
    plot.update(history.data('pending'));
    fill(facts,
      h('li', {}, 'Snapshot ', h('b', {}, lake.snapshotId === null ? 'none yet' : String(lake.snapshotId))),
      h('li', {}, 'Committed ', h('b', {}, formatInstant(lake.createdAt))),
      h('li', {}, 'Pending ', h('b', {}, `${formatCount(lag.pendingRecords)} records`)),
      h('li', {}, 'Oldest untiered ', h('b', {}, formatDuration(lag.lagMs))),
      h('li', {}, 'Last tiering round ', h('b', {}, formatInstant(lake.status.lastSuccessAt))),
      h('li', {}, 'Rows tiered since start ', h('b', {}, formatCount(lake.status.rowsTiered))),
      h('li', {}, 'Failures in a row ', h('b', {}, formatCount(lake.status.consecutiveFailures))));
    fill(problem, lake.status.lastError === null ? null : notice(`Last tiering error: ${lake.status.lastError}`, 'error'));
    syncRows(buckets.body, lake.buckets, (b) => String(b.bucket), (b) => row([String(b.bucket), '', '', ''], [true, true, true]), (r, b) => {
      const l = lake.lag.find((x) => x.bucket === b.bucket);
      setText(cell(r, 1), formatCount(b.tieredOffset));
      setText(cell(r, 2), l ? formatCount(l.pendingRecords) : '');
      setText(cell(r, 3), l ? formatDuration(l.lagMs) : '');
    });
    if (lake.snapshotId === lastSnapshotId) return;
    lastSnapshotId = lake.snapshotId;
    const shown = lake.files.slice(-FILES_SHOWN_MAX);
    const fileTable = dataTable('Files of the snapshot', ['File', 'Bucket', 'Offsets', 'Rows', 'Bytes', 'Kind'], [false, true, false, true, true, false]);
    for (const f of shown) fileTable.body.append(row([f.uri, String(f.bucket), `${f.firstOffset}–${f.lastOffset}`, formatCount(f.rows), formatBytes(f.bytes), f.kind], [false, true, false, true, true]));
    fill(files, h('h3', {}, `Files (${lake.files.length}${lake.files.length > shown.length ? `, the last ${shown.length} shown` : ''})`), lake.files.length > 0 ? fileTable.box : h('p', { class: 'muted' }, 'No files yet.'));
    const snapshotList = await ctx.api.get<SnapshotsReply>(`${base}/snapshots`, ctx.signal);
    const snapTable = dataTable('Snapshots', ['Snapshot', 'Parent', 'Committed', 'Files', 'Rows'], [true, true, false, true, true]);
    for (const s of [...snapshotList.snapshots].reverse()) snapTable.body.append(row([String(s.snapshotId), s.parentId === null ? '—' : String(s.parentId), formatInstant(s.createdAt), formatCount(s.files), formatCount(s.rows)], [true, true, false, true, true]));
    fill(snapshots, h('h3', {}, 'Snapshots over time'), snapshotList.snapshots.length > 0 ? snapTable.box : h('p', { class: 'muted' }, 'No snapshots yet.'));
  }, ctx.report);
  return h('div', {}, facts, problem, buckets.box, h('div', { class: 'plots' }, plot.box), files, snapshots);
}
