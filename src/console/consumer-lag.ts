/**
 * Where consumers are and how far behind: Kafka consumer groups' committed offsets (rows of
 * `_lakestream.kafka_group_offsets`) and delta-join jobs' saved offsets (rows of
 * `lakestream_internal.join_offsets`), each against its bucket's high watermark. Pure.
 */
import type { TableName } from './api-types.js';

/** The table of a topic, as README's Kafka section maps them: `db.t` is db.t, `t` is kafka.t. */
export function tableOfTopic(topic: string): TableName {
  const dot = topic.indexOf('.');
  return dot < 0 ? { db: 'kafka', table: topic } : { db: topic.slice(0, dot), table: topic.slice(dot + 1) };
}

/** A `db.table` name as the join offsets table keeps it. */
export function parseQualifiedName(name: string): TableName | undefined {
  const dot = name.indexOf('.');
  return dot <= 0 || dot === name.length - 1 ? undefined : { db: name.slice(0, dot), table: name.slice(dot + 1) };
}

/** A bucket's high watermark, or undefined when it is not known (no grant, no such table). */
export type HighWatermarkOf = (t: TableName, bucket: number) => bigint | undefined;

export interface PositionLag {
  readonly table: TableName;
  readonly bucket: number;
  readonly position: bigint;
  readonly highWatermark: bigint | undefined;
  /** Records between the position and the high watermark; undefined when the latter is unknown. */
  readonly lag: bigint | undefined;
}

function lagOf(table: TableName, bucket: number, position: bigint, hw: HighWatermarkOf): PositionLag {
  const highWatermark = hw(table, bucket);
  const lag = highWatermark === undefined ? undefined : highWatermark > position ? highWatermark - position : 0n;
  return { table, bucket, position, highWatermark, lag };
}

/** The sum of the lags, undefined when one of them is unknown. */
function totalLag(positions: readonly PositionLag[]): bigint | undefined {
  let sum = 0n;
  for (const p of positions) {
    if (p.lag === undefined) return undefined;
    sum += p.lag;
  }
  return sum;
}

export interface CommittedOffsetRow {
  readonly group_id: string;
  readonly topic: string;
  readonly partition: number;
  /** int64 in JSON: a number below 2^53, else a decimal string. */
  readonly committed_offset: number | string;
  readonly commit_timestamp?: number;
}

export interface GroupLag {
  readonly group: string;
  readonly partitions: readonly (PositionLag & { readonly topic: string; readonly committedAt: number | undefined })[];
  readonly lag: bigint | undefined;
}

/** Committed offsets by group (groups and partitions in name order), each with its lag. */
export function groupLags(rows: readonly CommittedOffsetRow[], hw: HighWatermarkOf): GroupLag[] {
  const byGroup = new Map<string, CommittedOffsetRow[]>();
  for (const r of rows) byGroup.set(r.group_id, [...(byGroup.get(r.group_id) ?? []), r]);
  return [...byGroup.keys()].sort().map((group) => {
    const partitions = byGroup.get(group)!
      .slice()
      .sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition)
      .map((r) => ({ ...lagOf(tableOfTopic(r.topic), r.partition, BigInt(r.committed_offset), hw), topic: r.topic, committedAt: r.commit_timestamp }));
    return { group, partitions, lag: totalLag(partitions) };
  });
}

export interface JoinOffsetRow {
  readonly job: string;
  readonly left_table: string | null;
  readonly right_table: string | null;
  readonly sink: string | null;
  /** JSON `{"<bucket>": "<offset>"}`. */
  readonly left_offsets: string | null;
  readonly right_offsets: string | null;
  readonly updated_at: number | null;
}

export interface JoinLag {
  readonly job: string;
  readonly sink: string;
  readonly sides: readonly { readonly side: 'left' | 'right'; readonly table: string; readonly positions: readonly PositionLag[]; readonly lag: bigint | undefined }[];
  readonly updatedAt: number | null;
}

function savedPositions(json: string | null): [number, bigint][] {
  try {
    const obj = JSON.parse(json ?? '{}') as Record<string, unknown>;
    return Object.entries(obj)
      .filter(([b, v]) => /^\d+$/.test(b) && (typeof v === 'string' || typeof v === 'number') && /^\d+$/.test(String(v)))
      .map(([b, v]): [number, bigint] => [Number(b), BigInt(v as string | number)])
      .sort((a, b) => a[0] - b[0]);
  } catch {
    return [];
  }
}

/** Every delta-join job with its two sources' saved offsets and lag. */
export function joinLags(rows: readonly JoinOffsetRow[], hw: HighWatermarkOf): JoinLag[] {
  return rows.slice().sort((a, b) => a.job.localeCompare(b.job)).map((r) => ({
    job: r.job,
    sink: r.sink ?? '',
    updatedAt: r.updated_at,
    sides: (['left', 'right'] as const).map((side) => {
      const name = (side === 'left' ? r.left_table : r.right_table) ?? '';
      const table = parseQualifiedName(name);
      const positions = table ? savedPositions(side === 'left' ? r.left_offsets : r.right_offsets).map(([b, o]) => lagOf(table, b, o, hw)) : [];
      return { side, table: name, positions, lag: table ? totalLag(positions) : undefined };
    }),
  }));
}
