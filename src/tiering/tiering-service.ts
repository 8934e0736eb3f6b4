import { LakestreamError } from '../common/errors.js';
import { property } from '../common/properties.js';
import { tableKind } from '../common/schema.js';
import { parseDurationMs } from '../common/units.js';
import type { ObjectStore } from '../lake/object-store.js';
import {
  findOrphans, lakeTablePrefix, listSnapshots, readLakeHead, readSnapshot, snapshotKey, tieredOffsetOf, type LakeSnapshot,
} from '../lake/snapshot.js';
import { compactOnce } from './compaction.js';
import { tierOnce } from './tier-round.js';
import type { TierableTable } from './tierable.js';

export interface TieringLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface TieringOptions {
  readonly logger: TieringLogger;
  /** Uploads no snapshot lists are deleted once older than this (an upload in flight is younger). */
  readonly orphanGraceMs: number;
  /** Snapshots kept for time travel; older ones and the files only they list are removed. */
  readonly snapshotsRetained: number;
  readonly backoffMaxMs?: number;
}

export interface TableLakeStatus {
  readonly enabled: boolean;
  readonly snapshotId: number | null;
  readonly lastSuccessAt: number | null;
  readonly consecutiveFailures: number;
  readonly lastError: string | null;
  readonly rowsTiered: number;
}

interface TableState {
  table: TierableTable;
  snapshot: LakeSnapshot | null;
  loaded: boolean;
  timer: NodeJS.Timeout | undefined;
  chain: Promise<unknown>;
  failures: number;
  lastError: string | null;
  lastSuccessAt: number | null;
  rowsTiered: number;
  lastGcAt: number;
  lastCompactionAt: number;
}

const BACKOFF_MAX_MS = 30_000;

/**
 * Moves each lake-enabled table's log into the lake every `table.datalake.freshness`, one round at a
 * time per table; rounds run back to back until caught up. Failures (S3 down, slow, refusing) are
 * retried with capped exponential backoff forever; nothing is lost because the log keeps everything
 * above the tiered offset (retention never deletes untiered segments).
 */
export class TieringService {
  private readonly tables = new Map<number, TableState>();
  private closed = false;

  constructor(readonly store: ObjectStore, private readonly opts: TieringOptions) {}

  private enabled(table: TierableTable): boolean {
    return property(table.definition, 'table.datalake.enabled') === 'true';
  }

  register(table: TierableTable): void {
    const state: TableState = {
      table, snapshot: null, loaded: false, timer: undefined, chain: Promise.resolve(), failures: 0,
      lastError: null, lastSuccessAt: null, rowsTiered: 0, lastGcAt: 0, lastCompactionAt: Date.now(),
    };
    this.tables.set(table.tableId, state);
    if (this.enabled(table)) this.schedule(state, 0);
  }

  async unregister(tableId: number): Promise<void> {
    const state = this.tables.get(tableId);
    if (!state) return;
    this.tables.delete(tableId);
    clearTimeout(state.timer);
    await state.chain.catch(() => undefined);
  }

  private schedule(state: TableState, delayMs: number): void {
    if (this.closed || this.tables.get(state.table.tableId) !== state) return;
    clearTimeout(state.timer);
    // round() turns its failures into a retry; a throw from that handling itself is logged, never left unhandled.
    state.timer = setTimeout(() => {
      this.exclusive(state, () => this.round(state)).catch((err: unknown) => {
        this.opts.logger.warn({ table: `${state.table.database}.${state.table.name}`, err: (err as Error)?.message ?? String(err) }, 'tiering round failed outside its retry handling; will retry');
        this.schedule(state, this.opts.backoffMaxMs ?? BACKOFF_MAX_MS);
      });
    }, delayMs);
    state.timer.unref();
  }

  /** Runs work after the table's previous round or compaction: one at a time per table. */
  private exclusive<T>(state: TableState, work: () => Promise<T>): Promise<T> {
    const run = state.chain.then(work, work);
    state.chain = run.catch(() => undefined);
    return run;
  }

  private freshnessMs(state: TableState): number {
    return parseDurationMs(property(state.table.definition, 'table.datalake.freshness')!);
  }

  private async round(state: TableState): Promise<void> {
    try {
      const result = await tierOnce(this.store, state.table);
      state.snapshot = result.snapshot;
      state.loaded = true;
      state.rowsTiered += result.rowsTiered;
      state.failures = 0;
      state.lastError = null;
      state.lastSuccessAt = Date.now();
      if (Date.now() - state.lastGcAt >= this.opts.orphanGraceMs / 2) {
        state.lastGcAt = Date.now();
        await this.collectGarbage(state);
      }
      await this.maybeCompact(state);
      this.schedule(state, result.caughtUp ? this.freshnessMs(state) : 0);
    } catch (err) {
      state.failures += 1;
      state.lastError = err instanceof Error ? err.message : String(err);
      const backoff = Math.min(this.opts.backoffMaxMs ?? BACKOFF_MAX_MS, 500 * 2 ** Math.min(state.failures, 10));
      const delay = Math.round(backoff * (0.8 + Math.random() * 0.4));
      this.opts.logger.warn({ table: `${state.table.database}.${state.table.name}`, failures: state.failures, retryInMs: delay, err: state.lastError }, 'tiering round failed; will retry');
      this.schedule(state, delay);
    }
  }

  private async maybeCompact(state: TableState): Promise<void> {
    const raw = property(state.table.definition, 'table.datalake.compaction.interval');
    if (!raw || tableKind(state.table.definition) !== 'primary-key') return;
    if (Date.now() - state.lastCompactionAt < parseDurationMs(raw)) return;
    const r = await compactOnce(this.store, state.table);
    state.lastCompactionAt = Date.now();
    if (r.snapshot) state.snapshot = r.snapshot;
  }

  /** Compacts now (after any round in progress); resolves once the new snapshot is committed. */
  async compact(tableId: number): Promise<LakeSnapshot | null> {
    const state = this.require(tableId);
    return this.exclusive(state, async () => {
      await tierOnce(this.store, state.table).then((r) => { state.snapshot = r.snapshot; });
      const r = await compactOnce(this.store, state.table);
      if (!r.committed && r.snapshot && r.snapshot !== state.snapshot) {
        throw new LakestreamError('STORAGE_ERROR', 'another writer committed a lake snapshot during compaction; retry');
      }
      state.snapshot = r.snapshot;
      state.loaded = true;
      state.lastCompactionAt = Date.now();
      return r.snapshot;
    });
  }

  /** Expires snapshots beyond the retained count, then deletes data objects no kept snapshot lists. */
  private async collectGarbage(state: TableState): Promise<void> {
    const prefix = lakeTablePrefix(state.table.database, state.table.name);
    const ids = await listSnapshots(this.store, prefix);
    const keep = ids.slice(-this.opts.snapshotsRetained);
    const referenced = new Set<string>();
    for (const id of keep) for (const f of (await readSnapshot(this.store, prefix, id))?.files ?? []) referenced.add(f.key);
    const orphans = await findOrphans(this.store, prefix, state.snapshot, this.opts.orphanGraceMs, { alsoReferenced: referenced });
    const expired = ids.slice(0, Math.max(0, ids.length - keep.length)).map((id) => snapshotKey(prefix, id));
    if (orphans.length + expired.length === 0) return;
    await this.store.delete([...orphans.map((o) => o.key), ...expired]);
    this.opts.logger.info({ table: `${state.table.database}.${state.table.name}`, orphans: orphans.length, expiredSnapshots: expired.length }, 'lake garbage collected');
  }

  /** Runs garbage collection for a table now (tests and operators). */
  async collect(tableId: number): Promise<void> {
    const state = this.require(tableId);
    await this.exclusive(state, () => this.collectGarbage(state));
  }

  private require(tableId: number): TableState {
    const state = this.tables.get(tableId);
    if (!state) throw new LakestreamError('TABLE_NOT_FOUND', `table ${tableId} is not open`);
    return state;
  }

  /** The newest snapshot this server knows of (loaded from the lake on first use). */
  async snapshot(tableId: number): Promise<LakeSnapshot | null> {
    const state = this.require(tableId);
    if (!state.loaded) {
      state.snapshot = (await readLakeHead(this.store, lakeTablePrefix(state.table.database, state.table.name))).snapshot;
      state.loaded = true;
    }
    return state.snapshot;
  }

  /** Everything below this offset of the bucket is in the lake: local retention may delete it. */
  tieredOffset(tableId: number, bucket: number): bigint {
    const state = this.tables.get(tableId);
    return state ? tieredOffsetOf(state.snapshot, bucket) : 0n;
  }

  isEnabled(tableId: number): boolean {
    const state = this.tables.get(tableId);
    return state !== undefined && this.enabled(state.table);
  }

  status(tableId: number): TableLakeStatus {
    const s = this.require(tableId);
    return {
      enabled: this.enabled(s.table), snapshotId: s.snapshot?.id ?? null, lastSuccessAt: s.lastSuccessAt,
      consecutiveFailures: s.failures, lastError: s.lastError, rowsTiered: s.rowsTiered,
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const s of this.tables.values()) clearTimeout(s.timer);
    await Promise.all([...this.tables.values()].map((s) => s.chain.catch(() => undefined)));
  }
}
