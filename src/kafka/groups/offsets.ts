import { bucketRouter } from '../../common/bucket-router.js';
import { fail } from '../../common/errors.js';
import { encodeKeyPrefix, prefixUpperBound } from '../../common/key-encoding.js';
import { parseTableDefinition, type TableDefinition } from '../../common/schema.js';
import type { Row } from '../../common/values.js';
import type { ServerContext } from '../../server/context.js';
import type { DiskSpace } from '../../server/disk-space.js';
import { prefixLookupRows, requirePrimaryKey } from '../../server/primary-key.js';
import { writePrimaryKeyTable } from '../../server/primary-key-write.js';
import type { TableRuntime } from '../../server/table-store.js';

/** One partition's offset as OffsetCommit carries it. */
export interface OffsetCommitEntry {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
  /** -1 when the client sent none. */
  readonly leaderEpoch: number;
  readonly metadata: string | null;
}

/** One partition's committed offset as OffsetFetch answers it: offset -1n, epoch -1 and '' when none is. */
export interface CommittedOffset {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
  readonly leaderEpoch: number;
  readonly metadata: string | null;
}

/** An OffsetFetch topic; without partitions, every partition of it with a committed offset. */
export interface OffsetFetchTopic {
  readonly topic: string;
  readonly partitions?: readonly number[];
}

/** Committed consumer-group offsets, durable: a commit resolves once it survives a power loss. */
export interface OffsetStore {
  commit(groupId: string, entries: readonly OffsetCommitEntry[]): Promise<void>;
  /** Without topics (OffsetFetch's null), every offset the group has committed. */
  fetch(groupId: string, topics?: readonly OffsetFetchTopic[] | null): Promise<CommittedOffset[]>;
  deleteGroup(groupId: string): Promise<void>;
  /** The groups with committed offsets (GroupCoordinator.restoreGroupsWithOffsets takes them at start-up). */
  groupsWithOffsets(): string[];
}

export const OFFSETS_DATABASE = '_lakestream';
export const OFFSETS_TABLE = 'kafka_group_offsets';
/** offset.metadata.max.bytes: a commit with longer metadata is the handler's OFFSET_METADATA_TOO_LARGE. */
export const OFFSET_METADATA_BYTES_MAX = 4096;

/**
 * The offsets table: one row per group, topic and partition, bucketed by group so a group's offsets
 * are one prefix lookup. Its state lives in the index, so its log only needs to outlive the index
 * flush and the readers of its changelog: consumers commit every few seconds, and a week of that
 * log (the default TTL) would be mostly dead rows. The WAL image leaves out the before-images.
 */
export const OFFSETS_TABLE_DEFINITION: TableDefinition = parseTableDefinition({
  columns: [
    { name: 'group_id', type: 'string', nullable: false },
    { name: 'topic', type: 'string', nullable: false },
    { name: 'partition', type: 'int32', nullable: false },
    { name: 'committed_offset', type: 'int64', nullable: false },
    { name: 'leader_epoch', type: 'int32', nullable: false },
    { name: 'metadata', type: 'string', nullable: true },
    { name: 'commit_timestamp', type: 'timestamp', nullable: false },
  ],
  primaryKey: ['group_id', 'topic', 'partition'],
  bucketKey: ['group_id'],
  buckets: 1,
  properties: {
    'table.changelog.image': 'WAL',
    'table.log.ttl': '1d',
    'table.log.segment.file-size': '64mb',
    'table.log.segment.roll-interval': '1h',
  },
});

/** What the store needs of the server: the ServerContext's catalog, tables and DDL lane, and its disk. */
export type OffsetTableServer = Pick<ServerContext, 'catalog' | 'tables' | 'ddl'> & {
  /** Refuses writes while the disk is full, as every HTTP write is. */
  readonly disk?: Pick<DiskSpace, 'admitWrite'>;
  readonly now?: () => number;
};

/**
 * Offsets in the system table `_lakestream.kafka_group_offsets`, created on the first commit: writes
 * are primary-key upserts (acknowledged after the changelog's fdatasync), fetches prefix lookups by
 * group. The table is the truth, and readable over HTTP as any other; the store keeps in memory only
 * the set of group ids, which `groupsWithOffsets` must answer without reading.
 */
export class TableOffsetStore implements OffsetStore {
  private readonly groups = new Set<string>();
  private creating: Promise<TableRuntime> | undefined;
  private checked: TableRuntime | undefined;

  private constructor(private readonly server: OffsetTableServer) {}

  static async open(server: OffsetTableServer): Promise<TableOffsetStore> {
    const store = new TableOffsetStore(server);
    const table = store.existingTable();
    if (table) for (const groupId of await storedGroupIds(table)) store.groups.add(groupId);
    return store;
  }

  async commit(groupId: string, entries: readonly OffsetCommitEntry[]): Promise<void> {
    if (entries.length === 0) return;
    for (const e of entries) {
      if (e.metadata !== null && Buffer.byteLength(e.metadata, 'utf8') > OFFSET_METADATA_BYTES_MAX) {
        fail('INVALID_VALUE', `offset metadata of ${e.topic}-${e.partition} is longer than ${OFFSET_METADATA_BYTES_MAX} bytes`);
      }
    }
    this.server.disk?.admitWrite();
    const table = this.existingTable() ?? await this.createTable();
    const now = (this.server.now ?? Date.now)();
    // Kafka stores a null metadata as '' (OffsetAndMetadata.NoMetadata), and answers it so.
    const rows: Row[] = entries.map((e) => ({
      group_id: groupId, topic: e.topic, partition: e.partition, committed_offset: e.offset, leader_epoch: e.leaderEpoch, metadata: e.metadata ?? '', commit_timestamp: now,
    }));
    await writePrimaryKeyTable(table, 'upsert', { kind: 'rows', rows }, undefined);
    this.groups.add(groupId);
  }

  async fetch(groupId: string, topics?: readonly OffsetFetchTopic[] | null): Promise<CommittedOffset[]> {
    const table = this.existingTable();
    const rows = table ? groupRows(table, groupId).map(committedOffset) : [];
    if (!topics) return rows;
    return topics.flatMap((t) => {
      const ofTopic = rows.filter((r) => r.topic === t.topic);
      if (!t.partitions) return ofTopic;
      return t.partitions.map((partition) => ofTopic.find((r) => r.partition === partition) ?? noOffset(t.topic, partition));
    });
  }

  async deleteGroup(groupId: string): Promise<void> {
    const table = this.existingTable();
    const keys = table ? groupRows(table, groupId).map((r) => ({ group_id: groupId, topic: r.topic!, partition: r.partition! })) : [];
    if (keys.length > 0) {
      this.server.disk?.admitWrite();
      await writePrimaryKeyTable(table!, 'delete', { kind: 'rows', rows: keys }, undefined);
    }
    this.groups.delete(groupId);
  }

  groupsWithOffsets(): string[] {
    return [...this.groups];
  }

  /** The open table, checked to be ours; undefined when it does not exist (yet, or any more). */
  private existingTable(): TableRuntime | undefined {
    const { catalog, tables } = this.server;
    if (!catalog.hasDatabase(OFFSETS_DATABASE) || !catalog.listTables(OFFSETS_DATABASE).includes(OFFSETS_TABLE)) return undefined;
    const table = tables.get(OFFSETS_DATABASE, OFFSETS_TABLE);
    if (table !== this.checked) {
      checkShape(table.definition);
      this.checked = table;
    }
    return table;
  }

  /** Creates the database and table on the DDL lane, as PUT .../tables/{table} does; concurrent first commits share it. */
  private createTable(): Promise<TableRuntime> {
    this.creating ??= this.server.ddl(async () => {
      const { catalog, tables } = this.server;
      await catalog.createDatabase(OFFSETS_DATABASE, true);
      const { entry, created } = await catalog.createTable(OFFSETS_DATABASE, OFFSETS_TABLE, OFFSETS_TABLE_DEFINITION, true);
      if (created) await tables.open(entry);
      return this.existingTable()!;
    }).finally(() => {
      this.creating = undefined;
    });
    return this.creating;
  }
}

/** The group's rows in key order (topic, then partition), through the prefix lookup HTTP serves. */
function groupRows(table: TableRuntime, groupId: string): Row[] {
  return prefixLookupRows(table, { prefixes: [{ group_id: groupId }] })[0]!;
}

function committedOffset(r: Row): CommittedOffset {
  return { topic: r.topic as string, partition: r.partition as number, offset: r.committed_offset as bigint, leaderEpoch: r.leader_epoch as number, metadata: r.metadata as string | null };
}

function noOffset(topic: string, partition: number): CommittedOffset {
  return { topic, partition, offset: -1n, leaderEpoch: -1, metadata: '' };
}

/** A table of that name made by someone else (over HTTP) must have our columns and keys, or nothing is written to it. */
function checkShape(def: TableDefinition): void {
  const want = OFFSETS_TABLE_DEFINITION;
  const same = JSON.stringify([def.columns, def.primaryKey, def.bucketKey]) === JSON.stringify([want.columns, want.primaryKey, want.bucketKey]);
  if (!same) {
    fail('SCHEMA_MISMATCH', `${OFFSETS_DATABASE}.${OFFSETS_TABLE} exists with other columns or keys than the Kafka offsets table; drop it and commit again to have it made`);
  }
}

/**
 * Every group id in the table, one index read per group: after a flush (so LMDB holds every
 * acknowledged row) each read starts past the previous group's key range.
 */
async function storedGroupIds(table: TableRuntime): Promise<string[]> {
  const kv = requirePrimaryKey(table, 'listing the groups with offsets');
  const groupColumns = bucketRouter(table.definition).bucketKeyColumns;
  const ids: string[] = [];
  for (const bucket of kv) {
    await bucket.flush();
    const txn = bucket.readTransaction();
    try {
      let row = bucket.scan(txn, undefined, 1).rows[0];
      while (row) {
        const groupId = row.group_id as string;
        ids.push(groupId);
        // An encoded prefix ends with a string terminator, so it always has an upper bound.
        row = bucket.scan(txn, prefixUpperBound(encodeKeyPrefix(groupColumns, [groupId]))!, 1).rows[0];
      }
    } finally {
      txn.done();
    }
  }
  return ids;
}
