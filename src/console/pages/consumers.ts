/**
 * Consumers: Kafka consumer groups (committed offsets, the rows of `_lakestream.kafka_group_offsets`)
 * and delta-join jobs (`lakestream_internal.join_offsets`), each partition's lag against its high
 * watermark. Both tables are read with the documented snapshot scan; a table that does not exist
 * yet, or that the principal may not read, is said so instead of asked for.
 */
import type { Access } from '../access.js';
import { paths, type Api } from '../api.js';
import type { BucketStats, RowsPage, TableDescription, TableName } from '../api-types.js';
import { groupLags, joinLags, tableOfTopic, type CommittedOffsetRow, type HighWatermarkOf, type JoinOffsetRow, type PositionLag } from '../consumer-lag.js';
import { dataTable, fill, h, link, notice, row, section } from '../dom.js';
import { formatAgo, formatCount } from '../format.js';
import type { PageContext } from '../page.js';
import { poll } from '../poll.js';
import { hrefOf } from '../routes.js';

const CONSUMERS_POLL_MS = 5000;
const SCAN_PAGE_ROWS_MAX = 10_000;
/** The most rows read from one offsets table per refresh. */
const SCAN_ROWS_MAX = 100_000;
const GROUP_OFFSETS: TableName = { db: '_lakestream', table: 'kafka_group_offsets' };
const JOIN_OFFSETS: TableName = { db: 'lakestream_internal', table: 'join_offsets' };

/** The tables of each database, from the catalog lists (so no request names a table that is not there). */
async function catalogOf(api: Api, signal: AbortSignal): Promise<Map<string, Set<string>>> {
  const { databases } = await api.get<{ databases: string[] }>('/v1/databases', signal);
  const lists = await Promise.all(databases.map(async (db) => [db, new Set((await api.get<{ tables: string[] }>(paths.tables(db), signal)).tables)] as const));
  return new Map(lists);
}

const exists = (catalog: Map<string, Set<string>>, t: TableName) => catalog.get(t.db)?.has(t.table) === true;

/** Every row of a primary-key table, page by page from one snapshot per bucket, up to SCAN_ROWS_MAX. */
async function scanAll<R>(api: Api, t: TableName, signal: AbortSignal): Promise<R[]> {
  const d = await api.get<TableDescription>(paths.table(t.db, t.table), signal);
  const rows: R[] = [];
  for (let b = 0; b < d.buckets && rows.length < SCAN_ROWS_MAX; b++) {
    let cursor: string | null = null;
    do {
      const after: string = cursor === null ? '' : `&after=${encodeURIComponent(cursor)}`;
      const page: RowsPage<R> = await api.get<RowsPage<R>>(`${paths.bucket(t.db, t.table, b)}/rows?limit=${SCAN_PAGE_ROWS_MAX}${after}`, signal);
      rows.push(...page.rows);
      cursor = page.cursor;
    } while (cursor !== null && rows.length < SCAN_ROWS_MAX);
  }
  return rows;
}

/** The high watermarks of the buckets named, for the tables that exist and may be described. */
async function highWatermarks(api: Api, access: Access, catalog: Map<string, Set<string>>, wanted: readonly { table: TableName; bucket: number }[], signal: AbortSignal): Promise<HighWatermarkOf> {
  const key = (t: TableName, b: number) => `${t.db}\u0000${t.table}\u0000${b}`;
  const byTable = new Map<string, { table: TableName; buckets: Set<number> }>();
  for (const w of wanted) {
    const k = `${w.table.db}\u0000${w.table.table}`;
    const entry = byTable.get(k) ?? { table: w.table, buckets: new Set<number>() };
    entry.buckets.add(w.bucket);
    byTable.set(k, entry);
  }
  const found = new Map<string, bigint>();
  await Promise.all([...byTable.values()].map(async ({ table, buckets }) => {
    if (!exists(catalog, table) || !access.mayTable('describe', table.db, table.table)) return;
    const d = await api.get<TableDescription>(paths.table(table.db, table.table), signal);
    await Promise.all([...buckets].filter((b) => b >= 0 && b < d.buckets).map(async (b) => {
      found.set(key(table, b), BigInt((await api.get<BucketStats>(paths.bucket(table.db, table.table, b), signal)).highWatermark));
    }));
  }));
  return (t, b) => found.get(key(t, b));
}

function tableLink(t: TableName): HTMLElement {
  return link(hrefOf({ page: 'table', db: t.db, table: t.table }), `${t.db}.${t.table}`);
}

const lagText = (lag: bigint | undefined) => (lag === undefined ? 'unknown' : formatCount(lag));

function positionCells(p: PositionLag): string[] {
  return [formatCount(p.position), p.highWatermark === undefined ? 'not known' : formatCount(p.highWatermark), lagText(p.lag)];
}

/** What a section shows when its table is missing or not readable; undefined when it can be read. */
function unreadable(access: Access, catalog: Map<string, Set<string>>, t: TableName, absent: string): HTMLElement | undefined {
  if (!access.mayTable('read', t.db, t.table)) return notice(access.refusal('read', `${t.db}.${t.table}`), 'denied');
  if (!exists(catalog, t)) return h('p', { class: 'muted' }, absent);
  return undefined;
}

async function renderGroups(ctx: PageContext, catalog: Map<string, Set<string>>, box: HTMLElement): Promise<void> {
  const blocked = unreadable(ctx.access, catalog, GROUP_OFFSETS, 'No Kafka consumer group has committed an offset yet.');
  if (blocked) return fill(box, blocked);
  const rows = await scanAll<CommittedOffsetRow>(ctx.api, GROUP_OFFSETS, ctx.signal);
  const groups = groupLags(rows, await highWatermarks(ctx.api, ctx.access, catalog, rows.map((r) => ({ table: tableOfTopic(r.topic), bucket: r.partition })), ctx.signal));
  const { box: table, body } = dataTable('Committed offsets and lag by group and partition', ['Group', 'Topic', 'Table', 'Partition', 'Committed', 'High watermark', 'Lag', 'Committed at'], [false, false, false, true, true, true, true, false]);
  const now = Date.now();
  for (const g of groups) {
    for (const p of g.partitions) {
      body.append(row([g.group, p.topic, tableLink(p.table), String(p.bucket), ...positionCells(p), p.committedAt === undefined ? '' : formatAgo(p.committedAt, now)], [false, false, false, true, true, true, true]));
    }
  }
  const totals = h('ul', { class: 'facts' }, ...groups.map((g) => h('li', {}, `${g.group}: lag `, h('b', {}, lagText(g.lag)))));
  fill(box, groups.length === 0 ? h('p', { class: 'muted' }, 'No committed offsets.') : h('div', {}, totals, table));
}

async function renderJoins(ctx: PageContext, catalog: Map<string, Set<string>>, box: HTMLElement): Promise<void> {
  const blocked = unreadable(ctx.access, catalog, JOIN_OFFSETS, 'No delta-join job has saved offsets yet.');
  if (blocked) return fill(box, blocked);
  const rows = await scanAll<JoinOffsetRow>(ctx.api, JOIN_OFFSETS, ctx.signal);
  const wanted = joinLags(rows, () => undefined).flatMap((j) => j.sides.flatMap((s) => s.positions.map((p) => ({ table: p.table, bucket: p.bucket }))));
  const jobs = joinLags(rows, await highWatermarks(ctx.api, ctx.access, catalog, wanted, ctx.signal));
  const { box: table, body } = dataTable('Delta-join jobs: saved offsets and lag', ['Job', 'Sink', 'Side', 'Table', 'Bucket', 'Saved offset', 'High watermark', 'Lag'], [false, false, false, false, true, true, true, true]);
  for (const j of jobs) for (const s of j.sides) for (const p of s.positions) body.append(row([j.job, j.sink, s.side, tableLink(p.table), String(p.bucket), ...positionCells(p)], [false, false, false, false, true, true, true, true]));
  fill(box, jobs.length === 0 ? h('p', { class: 'muted' }, 'No delta-join jobs.') : table);
}

export async function consumersPage(ctx: PageContext): Promise<void> {
  const groups = h('div');
  const joins = h('div');
  fill(ctx.main, h('h1', {}, 'Consumers'),
    section('Kafka consumer groups', h('p', { class: 'muted' }, 'Committed offsets of each group (the rows of _lakestream.kafka_group_offsets) against each partition\'s high watermark. Group members and their assignments are not exposed over HTTP yet: the Kafka listener\'s group coordinator holds them (kafka-consumer-groups.sh --describe shows them).'), groups),
    section('Delta-join jobs', h('p', { class: 'muted' }, 'Where each `lakestream join` job resumes (lakestream_internal.join_offsets), against its sources\' high watermarks.'), joins));
  poll(ctx.signal, CONSUMERS_POLL_MS, async () => {
    const catalog = await catalogOf(ctx.api, ctx.signal);
    await Promise.all([renderGroups(ctx, catalog, groups), renderJoins(ctx, catalog, joins)]);
  }, ctx.report);
}
