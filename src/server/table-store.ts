import fs from 'node:fs';
import path from 'node:path';
import { bucketRouter } from '../common/bucket-router.js';
import { fail } from '../common/errors.js';
import { property } from '../common/properties.js';
import { tableKind } from '../common/schema.js';
import { mkdirDurably, nodeIo, type StorageIo } from '../common/storage-io.js';
import { KvBucket, type KvIndexOptions } from '../kv/kv-bucket.js';
import { IndexEnv, type IndexWriter } from '../kv/index-writer.js';
import { createMergeEngine } from '../kv/merge-engine.js';
import { parseDurationMs, parseSizeBytes } from '../common/units.js';
import { BucketLog, type BucketLogOptions } from '../log/bucket-log.js';
import type { TieringService } from '../tiering/tiering-service.js';
import type { Catalog, TableEntry } from './catalog.js';

/** The open state of one table: its catalog entry and one log per bucket. */
export class TableRuntime {
  private roundRobin = 0;

  constructor(
    readonly entry: TableEntry,
    readonly dir: string,
    readonly logs: readonly BucketLog[],
    /** Primary-key tables: one index per bucket, in one LMDB environment. */
    readonly kv?: readonly KvBucket[],
    readonly kvEnv?: IndexEnv,
  ) {}

  /**
   * Closes indexes, then logs, then the LMDB environment, each even when an earlier one failed, so
   * no file stays open (a dropped table's disk space comes back only when its files are closed).
   * Rejects with the first failure.
   */
  async close(): Promise<void> {
    const settled = await Promise.allSettled((this.kv ?? []).map((k) => k.close()));
    settled.push(...await Promise.allSettled(this.logs.map((l) => l.close())));
    if (this.kvEnv) settled.push(...await Promise.allSettled([this.kvEnv.close()]));
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /** Why a bucket of this table refuses writes until a restart (its log or its index failed), if one does. */
  failures(): { bucket: number; message: string }[] {
    const found: { bucket: number; message: string }[] = [];
    this.logs.forEach((log, bucket) => {
      const failure = log.poisonedBy ?? this.kv?.[bucket]?.failure;
      if (failure) found.push({ bucket, message: failure.message });
    });
    return found;
  }

  get definition() {
    return this.entry.definition;
  }

  get tableId(): number {
    return this.entry.tableId;
  }

  get database(): string {
    return this.entry.database;
  }

  get name(): string {
    return this.entry.name;
  }

  get qualifiedName(): string {
    return `${this.entry.database}.${this.entry.name}`;
  }

  bucket(b: number): BucketLog {
    const log = this.logs[b];
    if (!log) fail('BUCKET_NOT_FOUND', `table ${this.qualifiedName} has buckets 0..${this.logs.length - 1}; bucket ${b} does not exist`);
    return log;
  }

  /**
   * The bucket for a request without a bucket key: round-robin, but a request carrying a writer id
   * and sequence always lands in the same bucket, so its retry is recognised as a duplicate there.
   */
  nextRoundRobinBucket(writer?: { writerId: bigint; sequence: number }): number {
    const n = this.logs.length;
    if (writer) return Number(((writer.writerId % BigInt(n)) + BigInt(n) + BigInt(writer.sequence)) % BigInt(n));
    this.roundRobin = (this.roundRobin + 1) % n;
    return this.roundRobin;
  }
}

export function logOptionsFor(entry: TableEntry, dir: string) {
  const def = entry.definition;
  return {
    dir,
    segmentBytes: parseSizeBytes(property(def, 'table.log.segment.file-size')!),
    indexIntervalBytes: parseSizeBytes(property(def, 'table.log.index.interval-size')!),
    compression: property(def, 'table.log.compression') as 'none' | 'lz4' | 'zstd',
    ttlMs: parseDurationMs(property(def, 'table.log.ttl')!),
    rollIntervalMs: parseDurationMs(property(def, 'table.log.segment.roll-interval')!),
  };
}

/** Opens, creates and drops the table runtimes; data of table N lives in <data-dir>/tables/N. */
export class TableStore {
  private readonly tables = new Map<number, TableRuntime>();

  constructor(
    private readonly dataDir: string,
    private readonly catalog: Catalog,
    private readonly tiering: TieringService,
    private readonly indexOptions: KvIndexOptions & { readonly indexWriter: IndexWriter },
    /** Passed to every bucket log, e.g. the metrics' fsync observer; `io` also takes the table folders' changes. */
    private readonly logHooks: Pick<BucketLogOptions, 'onSync' | 'io'> = {},
  ) {}

  private get io(): StorageIo {
    return this.logHooks.io ?? nodeIo;
  }

  private tableDir(tableId: number): string {
    return path.join(this.dataDir, 'tables', String(tableId));
  }

  /** Opens every table of the catalog (recovering each bucket) and removes folders of dropped tables. */
  async openAll(): Promise<void> {
    const root = path.join(this.dataDir, 'tables');
    await mkdirDurably(this.io, root);
    const live = new Set(this.catalog.allTables().map((t) => String(t.tableId)));
    for (const name of fs.readdirSync(root)) {
      if (!live.has(name)) this.io.removeTree(path.join(root, name));
    }
    for (const entry of this.catalog.allTables()) await this.open(entry);
  }

  async open(entry: TableEntry): Promise<TableRuntime> {
    const existing = this.tables.get(entry.tableId);
    if (existing) return existing;
    const dir = this.tableDir(entry.tableId);
    const logs: BucketLog[] = [];
    for (let b = 0; b < entry.definition.buckets; b++) {
      logs.push(await BucketLog.open({ ...logOptionsFor(entry, path.join(dir, `bucket-${b}`)), ...this.logHooks }));
    }
    const runtime = tableKind(entry.definition) === 'primary-key'
      ? await openPrimaryKey(entry, dir, logs, this.indexOptions, this.io)
      : new TableRuntime(entry, dir, logs);
    this.tables.set(entry.tableId, runtime);
    this.tiering.register(runtime);
    return runtime;
  }

  get(db: string, name: string): TableRuntime {
    const entry = this.catalog.getTable(db, name);
    const runtime = this.tables.get(entry.tableId);
    if (!runtime) fail('TABLE_NOT_FOUND', `table ${db}.${name} is not open yet; retry`);
    return runtime;
  }

  all(): TableRuntime[] {
    return [...this.tables.values()];
  }

  async drop(tableId: number): Promise<void> {
    const runtime = this.tables.get(tableId);
    this.tables.delete(tableId);
    await this.tiering.unregister(tableId);
    // What a close could not persist (indexes, a flush, on a full disk) is deleted next anyway.
    if (runtime) await runtime.close().catch(() => undefined);
    this.io.removeTree(this.tableDir(tableId));
  }

  /**
   * Deletes closed segments past table.log.ttl; with the lake on, only those already tiered, and of
   * a primary-key table only those its index has applied to LMDB (a restart replays from there).
   */
  async enforceRetention(now: number): Promise<number> {
    let deleted = 0;
    for (const t of this.tables.values()) {
      for (const [b, log] of t.logs.entries()) deleted += await log.enforceRetention(now, this.retentionLimit(t, b));
    }
    return deleted;
  }

  /** The offset retention must stay below in bucket `b`, if any. */
  private retentionLimit(t: TableRuntime, b: number): bigint | undefined {
    const limits: bigint[] = [];
    if (this.tiering.isEnabled(t.tableId)) limits.push(this.tiering.tieredOffset(t.tableId, b));
    const kv = t.kv?.[b];
    if (kv) limits.push(kv.appliedOffset());
    return limits.reduce<bigint | undefined>((min, x) => (min === undefined || x < min ? x : min), undefined);
  }

  /** Tables with a bucket that refuses writes until a restart, and why. */
  failures(): { table: string; buckets: { bucket: number; message: string }[] }[] {
    return this.all().map((t) => ({ table: t.qualifiedName, buckets: t.failures() })).filter((f) => f.buckets.length > 0);
  }

  async closeAll(): Promise<void> {
    const all = [...this.tables.values()];
    this.tables.clear();
    await Promise.all(all.map((t) => t.close()));
  }
}

async function openPrimaryKey(
  entry: TableEntry, dir: string, logs: BucketLog[], options: KvIndexOptions & { readonly indexWriter: IndexWriter }, io: StorageIo,
): Promise<TableRuntime> {
  const def = entry.definition;
  // LMDB makes its own files durable, not the folder's entry: without it a power loss could take the
  // whole index, and a replay from offset 0 cannot rebuild it once retention moved the log start.
  await mkdirDurably(io, path.join(dir, 'kv'));
  const env = IndexEnv.open(path.join(dir, 'kv'), def.buckets + 2, options.indexWriter);
  const shape = {
    columns: def.columns,
    keyColumns: bucketRouter(def).keyColumns,
    engine: createMergeEngine(def),
    image: property(def, 'table.changelog.image') as 'FULL' | 'WAL',
    prefixColumns: def.bucketKey.length < def.primaryKey.length ? def.bucketKey.length : 0,
    tableName: `${entry.database}.${entry.name}`,
  };
  const kv = await Promise.all(logs.map((log, b) => KvBucket.open(b, log, env, shape, options)));
  return new TableRuntime(entry, dir, logs, kv, env);
}
