import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { parseTableDefinition } from '../../../src/common/schema.js';
import { nodeIo, type StorageIo } from '../../../src/common/storage-io.js';
import { TestingDisk } from '../../../src/common/testing-disk.js';
import { seededRandom } from '../../../src/common/seeded-random.js';
import { OFFSETS_DATABASE, OFFSETS_TABLE, OFFSET_METADATA_BYTES_MAX, TableOffsetStore } from '../../../src/kafka/groups/offsets.js';
import { IndexWriter } from '../../../src/kv/index-writer.js';
import { RowCache } from '../../../src/kv/row-cache.js';
import { LocalObjectStore } from '../../../src/lake/local-store.js';
import { Catalog } from '../../../src/server/catalog.js';
import { DiskSpace } from '../../../src/server/disk-space.js';
import { prefixLookupRows } from '../../../src/server/primary-key.js';
import { TableStore } from '../../../src/server/table-store.js';
import { TieringService } from '../../../src/tiering/tiering-service.js';
import { tempDir } from '../../log/helpers.js';

const NOW = 1_700_000_000_000;
const writer = new IndexWriter();
const dirs: string[] = [];
const open: Server[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});
afterAll(() => writer.close());

interface Server {
  readonly catalog: Catalog;
  readonly tables: TableStore;
  readonly store: TableOffsetStore;
  close(): Promise<void>;
}

function dataDir(): string {
  const dir = tempDir('lakestream-offsets-');
  dirs.push(dir);
  return dir;
}

/** The storage half of createServer: catalog, table store (recovering every table) and the offset store on it. */
async function openServer(dir: string, io: StorageIo = nodeIo): Promise<Server> {
  const catalog = await Catalog.open(dir, undefined, io);
  const tiering = new TieringService(new LocalObjectStore(path.join(dir, 'lake'), io), { logger: { info: () => undefined, warn: () => undefined }, orphanGraceMs: 60_000, snapshotsRetained: 1 });
  const tables = new TableStore(dir, catalog, tiering, { flushIntervalMs: 3_600_000, memtableBytes: 64 << 20, rowCache: new RowCache(1 << 20), indexWriter: writer }, { io });
  await tables.openAll();
  const store = await TableOffsetStore.open({ catalog, tables, ddl: (work) => work(), now: () => NOW });
  const server = {
    catalog, tables, store,
    async close() {
      open.splice(open.indexOf(server), 1);
      await tiering.close();
      await tables.closeAll();
    },
  };
  open.push(server);
  return server;
}

const entry = (topic: string, partition: number, offset: bigint, metadata: string | null = null, leaderEpoch = -1) => ({ topic, partition, offset, leaderEpoch, metadata });
const committed = (topic: string, partition: number, offset: bigint, metadata = '', leaderEpoch = -1) => ({ topic, partition, offset, leaderEpoch, metadata });

describe('TableOffsetStore', () => {
  it('commits survive a close and a reopen; fetch answers by group, topic and partition', async () => {
    const dir = dataDir();
    const first = await openServer(dir);
    await first.store.commit('billing', [entry('orders', 1, 10n, 'm1', 3), entry('orders', 0, 5n), entry('refunds', 0, 7n)]);
    await first.store.commit('billing', [entry('orders', 1, 12n, null, 4)]);
    await first.store.commit('audit', [entry('orders', 0, 99n)]);
    await first.close();

    const { store } = await openServer(dir);
    expect(store.groupsWithOffsets().sort()).toEqual(['audit', 'billing']);
    expect(await store.fetch('billing')).toEqual([committed('orders', 0, 5n), committed('orders', 1, 12n, '', 4), committed('refunds', 0, 7n)]);
    expect(await store.fetch('billing', [{ topic: 'orders', partitions: [1, 7] }, { topic: 'refunds' }, { topic: 'none' }])).toEqual([
      committed('orders', 1, 12n, '', 4), committed('orders', 7, -1n), committed('refunds', 0, 7n),
    ]);
    expect(await store.fetch('audit', null)).toEqual([committed('orders', 0, 99n)]);
    expect(await store.fetch('nobody', [{ topic: 'orders', partitions: [0] }])).toEqual([committed('orders', 0, -1n)]);
  });

  it('an acknowledged commit survives a power loss (the changelog is fdatasynced before the commit resolves)', async () => {
    const dir = dataDir();
    const disk = new TestingDisk(dir, 'cut', seededRandom(7));
    const first = await openServer(dir, disk.io());
    await first.store.commit('billing', [entry('orders', 0, 41n, 'before')]);
    await first.store.commit('billing', [entry('orders', 0, 42n, 'acked')]);
    disk.powerLoss();
    // The machine that lost its power is dropped, not closed: nothing more reaches its disk.
    open.splice(open.indexOf(first), 1);
    for (const t of first.tables.all()) {
      await Promise.all(t.logs.map((l) => l.close().catch(() => undefined)));
      await t.kvEnv?.close();
    }

    const { store } = await openServer(dir, disk.io());
    expect(store.groupsWithOffsets()).toEqual(['billing']);
    expect(await store.fetch('billing')).toEqual([committed('orders', 0, 42n, 'acked')]);
  });

  it('deleteGroup removes that group\'s rows and no other\'s', async () => {
    const dir = dataDir();
    const first = await openServer(dir);
    await first.store.commit('g', [entry('t', 0, 1n), entry('t', 1, 2n)]);
    await first.store.commit('g1', [entry('t', 0, 3n)]);
    await first.store.deleteGroup('g');
    await first.store.deleteGroup('never-committed');
    expect(first.store.groupsWithOffsets()).toEqual(['g1']);
    expect(await first.store.fetch('g')).toEqual([]);
    await first.close();

    const { store } = await openServer(dir);
    expect(store.groupsWithOffsets()).toEqual(['g1']);
    expect(await store.fetch('g', [{ topic: 't', partitions: [0] }])).toEqual([committed('t', 0, -1n)]);
    expect(await store.fetch('g1')).toEqual([committed('t', 0, 3n)]);
  });

  it('finds every group at open, however their ids share prefixes', async () => {
    const dir = dataDir();
    const first = await openServer(dir);
    const groups = ['', 'g', 'g1', 'g10', 'g\u0000', 'g\u0000x', 'h', 'ü'];
    for (const [i, g] of groups.entries()) await first.store.commit(g, [entry('t', 0, BigInt(i)), entry('u', 3, 1n)]);
    await first.close();
    const { store } = await openServer(dir);
    expect(store.groupsWithOffsets().sort()).toEqual([...groups].sort());
  });

  it('makes the table on the first commit, a primary-key table readable as any other', async () => {
    const { catalog, tables, store } = await openServer(dataDir());
    await store.commit('billing', []);
    expect(await store.fetch('billing')).toEqual([]);
    expect(catalog.hasDatabase(OFFSETS_DATABASE)).toBe(false);
    await Promise.all([store.commit('billing', [entry('orders', 0, 5n, 'x', 2)]), store.commit('other', [entry('orders', 0, 6n)])]);
    const entryOf = catalog.getTable(OFFSETS_DATABASE, OFFSETS_TABLE);
    expect(entryOf.definition.primaryKey).toEqual(['group_id', 'topic', 'partition']);
    expect(entryOf.definition.bucketKey).toEqual(['group_id']);
    const rows = prefixLookupRows(tables.get(OFFSETS_DATABASE, OFFSETS_TABLE), { prefixes: [{ group_id: 'billing' }] })[0];
    expect(rows).toEqual([{ group_id: 'billing', topic: 'orders', partition: 0, committed_offset: 5n, leader_epoch: 2, metadata: 'x', commit_timestamp: NOW }]);
  });

  it('refuses metadata beyond OFFSET_METADATA_BYTES_MAX, and a table of that name with another shape', async () => {
    const { catalog, tables, store } = await openServer(dataDir());
    await expect(store.commit('g', [entry('t', 0, 1n, 'é'.repeat(OFFSET_METADATA_BYTES_MAX / 2 + 1))])).rejects.toMatchObject({ code: 'INVALID_VALUE' });
    await catalog.createDatabase(OFFSETS_DATABASE, false);
    const other = parseTableDefinition({ columns: [{ name: 'group_id', type: 'string' }, { name: 'n', type: 'int64' }], primaryKey: ['group_id'] });
    await tables.open((await catalog.createTable(OFFSETS_DATABASE, OFFSETS_TABLE, other, false)).entry);
    await expect(store.commit('g', [entry('t', 0, 1n)])).rejects.toMatchObject({ code: 'SCHEMA_MISMATCH' });
  });

  it('refuses commits while the disk is full', async () => {
    const { catalog, tables } = await openServer(dataDir());
    // A reserve no disk holds twice over: the disk stays full.
    const full = new DiskSpace(dataDir(), { info: () => undefined, warn: () => undefined }, 2 ** 52);
    const store = await TableOffsetStore.open({ catalog, tables, ddl: (work) => work(), disk: full });
    await expect(store.commit('g', [entry('t', 0, 1n)])).rejects.toMatchObject({ code: 'INSUFFICIENT_STORAGE' });
    expect(catalog.hasDatabase(OFFSETS_DATABASE)).toBe(false);
  });
});
