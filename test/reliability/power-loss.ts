/**
 * The power-loss suite: the crash loop's checks against a disk that drops what was not fsynced
 * (src/common/testing-disk.ts), in this process. Each round opens the real storage components over
 * what the disk kept (the catalog, the table store with its bucket logs, KvBuckets and LMDB indexes,
 * a local lake), runs concurrent appends (a log table), upserts and deletes (a primary-key table),
 * index flushes, CREATE and DROP TABLEs and create-only lake puts, cuts the power at a seeded random moment
 * with work in flight, waits for what was in flight to fail, and opens everything again. Checks:
 *
 *   start       recovery never refuses to start (opening the catalog and every table succeeds);
 *   log table   every acknowledged append is there, at its acknowledged offset, exactly once; each
 *               stored batch is one whole request (no torn batch); offsets dense from 0; an in-doubt
 *               request is there whole or absent, and an absent one never comes back;
 *   PK table    lookup == replay of the changelog; each key holds its last acknowledged state or
 *               that of a request in doubt issued after it; LMDB's applied offset is within the log;
 *   catalog     every acknowledged CREATE TABLE survives, no acknowledged DROP TABLE comes back;
 *   lake        every acknowledged put reads back byte for byte.
 *
 * LMDB's own files are not on the testing disk (lmdb-js writes them from C): they keep every
 * committed transaction, as LMDB's fsyncs promise. Driven by test/reliability/power-loss.test.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { batchRows, batchToIpc, ipcToBatches, rowsToBatch } from '../../src/common/arrow.js';
import { parseTableDefinition, type Column } from '../../src/common/schema.js';
import { seededRandom } from '../../src/common/seeded-random.js';
import { TestingDisk, type PowerLossFigures, type PowerLossMode } from '../../src/common/testing-disk.js';
import { CHANGE_TYPES } from '../../src/common/values.js';
import type { KvOp } from '../../src/kv/changelog.js';
import { IndexWriter } from '../../src/kv/index-writer.js';
import type { KvBucket } from '../../src/kv/kv-bucket.js';
import { RowCache } from '../../src/kv/row-cache.js';
import { decodeRow } from '../../src/kv/row-codec.js';
import { LocalObjectStore } from '../../src/lake/local-store.js';
import type { BucketLog } from '../../src/log/bucket-log.js';
import { Catalog } from '../../src/server/catalog.js';
import { TableStore } from '../../src/server/table-store.js';
import { TieringService } from '../../src/tiering/tiering-service.js';
import { tempDir } from '../log/helpers.js';

export interface PowerLossOptions {
  readonly rounds: number;
  readonly seed: number;
  readonly mode: PowerLossMode;
  /** Operations started per round, before and after the power goes. */
  readonly opsPerRound?: number;
  /** The disk; a test of the suite itself passes one that forgets an fsync. */
  readonly disk?: (root: string, mode: PowerLossMode, random: () => number) => TestingDisk;
}

export interface PowerLossRunFigures extends PowerLossFigures {
  seed: number;
  mode: PowerLossMode;
  rounds: number;
  appendsAcknowledged: number;
  rowsAcknowledged: number;
  upsertsAcknowledged: number;
  deletesAcknowledged: number;
  tablesCreatedAcknowledged: number;
  tablesDroppedAcknowledged: number;
  lakePutsAcknowledged: number;
  inDoubtKept: number;
  inDoubtDropped: number;
  lost: number;
  torn: number;
  duplicated: number;
  refusedToStart: number;
  /** What the checks found, one line each (empty when all held). */
  violations: string[];
  durationMs: number;
}

export const DATA_DIR_PREFIX = 'lakestream-power-loss-';
const DB = 'power';
const EVENT_COLUMNS: Column[] = [{ name: 'id', type: 'int64', nullable: false }, { name: 'req', type: 'int64', nullable: false }];
const USER_COLUMNS: Column[] = [{ name: 'id', type: 'int32', nullable: false }, { name: 'v', type: 'int64', nullable: false }];
const KEYS = 64;
/** Small segments, so rolls (new files, index and writer snapshot files, directory fsyncs) happen. */
const PROPS = { 'table.log.segment.file-size': '8kb', 'table.log.index.interval-size': '1kb' };
const EVENTS = parseTableDefinition({ columns: EVENT_COLUMNS, buckets: 1, properties: PROPS });
const USERS = parseTableDefinition({ columns: USER_COLUMNS, primaryKey: ['id'], buckets: 1, properties: PROPS });

type Fate = 'in-doubt' | 'acked' | 'absent';
interface AppendRequest { req: number; n: number; fate: Fate; baseOffset?: bigint }
/** A key's state: its version, or null when absent. */
type KeyState = number | null;
interface KeyWrite { state: KeyState; acked: boolean }
interface Machine { catalog: Catalog; tables: TableStore; lake: LocalObjectStore; events: BucketLog; users: KvBucket; usersLog: BucketLog }

function int(rng: () => number, lo: number, hi: number): number {
  return lo + Math.floor(rng() * (hi - lo + 1));
}

export async function runPowerLoss(opts: PowerLossOptions): Promise<PowerLossRunFigures> {
  const started = Date.now();
  const rng = seededRandom(opts.seed);
  const dataDir = tempDir(DATA_DIR_PREFIX);
  const disk = (opts.disk ?? ((root, mode, random) => new TestingDisk(root, mode, random)))(dataDir, opts.mode, seededRandom(opts.seed ^ 0x5eed));
  const opsPerRound = opts.opsPerRound ?? 60;
  const writer = new IndexWriter();
  const rowCache = new RowCache(1 << 20);
  const f: PowerLossRunFigures = {
    ...disk.figures, seed: opts.seed, mode: opts.mode, rounds: 0, appendsAcknowledged: 0, rowsAcknowledged: 0, upsertsAcknowledged: 0,
    deletesAcknowledged: 0, tablesCreatedAcknowledged: 0, tablesDroppedAcknowledged: 0, lakePutsAcknowledged: 0, inDoubtKept: 0, inDoubtDropped: 0, lost: 0, torn: 0,
    duplicated: 0, refusedToStart: 0, violations: [], durationMs: 0,
  };
  const violation = (round: number, what: string): void => {
    if (f.violations.length < 50) f.violations.push(`round ${round}: ${what}`);
  };
  const appends = new Map<number, AppendRequest>();
  const keyState = new Map<number, KeyState>();
  const tablesAcked = new Set<string>();
  const tablesDropped = new Set<string>();
  const ddlInDoubt = new Set<string>();
  const lakeAcked = new Map<string, Buffer>();
  let nextReq = 1;
  let nextVersion = 1;
  let nextName = 1;

  const open = async (round: number): Promise<Machine | undefined> => {
    try {
      const io = disk.io();
      const catalog = await Catalog.open(dataDir, undefined, io);
      const lake = new LocalObjectStore(path.join(dataDir, 'lake'), io);
      const tiering = new TieringService(lake, { logger: { info: () => undefined, warn: () => undefined }, orphanGraceMs: 60_000, snapshotsRetained: 1 });
      const tables = new TableStore(dataDir, catalog, tiering, { flushIntervalMs: 3_600_000, memtableBytes: 64 << 20, rowCache, indexWriter: writer }, { io });
      await tables.openAll();
      if (!catalog.hasDatabase(DB)) {
        await catalog.createDatabase(DB, false);
        for (const [name, def] of [['events', EVENTS], ['users', USERS]] as const) await tables.open((await catalog.createTable(DB, name, def, false)).entry);
      }
      const events = tables.get(DB, 'events');
      const users = tables.get(DB, 'users');
      return { catalog, tables, lake, events: events.logs[0]!, users: users.kv![0]!, usersLog: users.logs[0]! };
    } catch (e) {
      f.refusedToStart++;
      violation(round, `recovery refused to start: ${(e as Error).stack ?? String(e)}`);
      return undefined;
    }
  };

  // ---------------------------------------------------------------------------------------------
  // The operations; each resolves when acknowledged and rejects when the power took it.
  const append = async (m: Machine): Promise<void> => {
    const req = nextReq++;
    const n = int(rng, 1, 30);
    const rows = Array.from({ length: n }, (_, i) => ({ id: BigInt(req * 1000 + i), req: BigInt(req) }));
    const request: AppendRequest = { req, n, fate: 'in-doubt' };
    appends.set(req, request);
    const result = await m.events.append({ arrowIpc: batchToIpc(rowsToBatch(EVENT_COLUMNS, rows)), recordCount: n });
    request.fate = 'acked';
    request.baseOffset = result.baseOffset;
    f.appendsAcknowledged++;
  };

  const roundWrites = new Map<number, KeyWrite[]>();
  const upsert = async (m: Machine): Promise<void> => {
    const keys = new Set<number>();
    const count = int(rng, 1, 8);
    while (keys.size < count) keys.add(int(rng, 0, KEYS - 1));
    const del = rng() < 0.25;
    const writes: KeyWrite[] = [];
    const ops = [...keys].map((id): KvOp => {
      const v = del ? null : nextVersion++;
      const w = { state: v, acked: false };
      writes.push(w);
      roundWrites.set(id, [...(roundWrites.get(id) ?? []), w]);
      const key = m.users.keyOf({ id });
      return del ? { kind: 'delete', key, row: { id } } : { kind: 'upsert', key, row: { id, v: BigInt(v!) } };
    });
    await m.users.commit(m.users.plan(ops));
    for (const w of writes) w.acked = true;
    if (del) f.deletesAcknowledged += ops.length;
    else f.upsertsAcknowledged += ops.length;
  };

  /** One DDL at a time, as the server runs them: a CREATE TABLE, or a DROP once a few exist. */
  let ddlRunning = false;
  const ddl = async (m: Machine): Promise<void> => {
    if (ddlRunning) return;
    ddlRunning = true;
    const drop = tablesAcked.size >= 3 ? [...tablesAcked][int(rng, 0, tablesAcked.size - 1)]! : undefined;
    const name = drop ?? `t${nextName++}`;
    ddlInDoubt.add(name);
    try {
      if (drop) {
        await m.tables.drop(await m.catalog.dropTable(DB, drop));
        tablesAcked.delete(drop);
        tablesDropped.add(drop);
        f.tablesDroppedAcknowledged++;
      } else {
        await m.tables.open((await m.catalog.createTable(DB, name, EVENTS, false)).entry);
        tablesAcked.add(name);
        f.tablesCreatedAcknowledged++;
      }
      ddlInDoubt.delete(name);
    } finally {
      ddlRunning = false;
    }
  };

  const lakePut = async (m: Machine): Promise<void> => {
    const key = `${DB}/events/bucket=${int(rng, 0, 3)}/${nextName++}.parquet`;
    const body = Buffer.alloc(int(rng, 1, 3000), key);
    await m.lake.put(key, body, { ifNoneMatch: true });
    lakeAcked.set(key, body);
    f.lakePutsAcknowledged++;
  };

  const operation = (m: Machine): (() => Promise<void>) => {
    const r = rng();
    if (r < 0.45) return () => append(m);
    if (r < 0.85) return () => upsert(m);
    if (r < 0.92) return () => m.users.flush();
    if (r < 0.96) return () => ddl(m);
    return () => lakePut(m);
  };

  // ---------------------------------------------------------------------------------------------
  // The checks, over what the disk kept.
  const verify = async (round: number, m: Machine): Promise<void> => {
    const seen = new Set<number>();
    let expected = 0n;
    for (let at = m.events.logStartOffset; at < m.events.highWatermark; ) {
      const batches = await m.events.read(at, { maxBytes: 1 << 20 });
      for (const b of batches) {
        if (b.baseOffset !== expected) violation(round, `events: batch at ${b.baseOffset}, expected ${expected}`);
        expected = b.lastOffset + 1n;
        const rows = ipcToBatches(b.arrowIpc).batches.flatMap((x) => batchRows(x));
        const req = Number(rows[0]!.req);
        const request = appends.get(req);
        const whole = request !== undefined && rows.length === request.n && rows.every((row, i) => Number(row.req) === req && Number(row.id) === req * 1000 + i);
        if (!whole) {
          f.torn++;
          violation(round, `events: batch at ${b.baseOffset} holds ${rows.length} rows of request ${req} (sent ${request?.n}): torn`);
        }
        if (seen.has(req)) {
          f.duplicated++;
          violation(round, `events: request ${req} stored twice`);
        }
        seen.add(req);
        if (request?.fate === 'absent') violation(round, `events: request ${req} was gone after an earlier power loss and is back`);
        if (request?.fate === 'acked' && request.baseOffset !== undefined && request.baseOffset !== b.baseOffset) {
          violation(round, `events: request ${req} was acknowledged at offset ${request.baseOffset}, stored at ${b.baseOffset}`);
        }
        if (request?.fate === 'in-doubt') {
          request.fate = 'acked';
          f.inDoubtKept++;
        }
      }
      at = batches[batches.length - 1]!.lastOffset + 1n;
    }
    for (const request of appends.values()) {
      if (seen.has(request.req)) continue;
      if (request.fate === 'acked') {
        f.lost += request.n;
        violation(round, `events: acknowledged request ${request.req} (${request.n} rows, offset ${request.baseOffset}) is lost`);
      } else if (request.fate === 'in-doubt') {
        request.fate = 'absent';
        f.inDoubtDropped++;
      }
    }
    f.rowsAcknowledged = [...appends.values()].filter((r) => r.fate === 'acked').reduce((n, r) => n + r.n, 0);

    const replay = await replayChangelog(m.usersLog);
    const applied = m.users.appliedOffset();
    if (applied > m.usersLog.highWatermark) violation(round, `users: LMDB applied offset ${applied} is past the log's end ${m.usersLog.highWatermark}`);
    for (let id = 0; id < KEYS; id++) {
      const bytes = m.users.readBorrowed(m.users.keyOf({ id }));
      const got: KeyState = bytes === undefined ? null : Number(decodeRow(USER_COLUMNS, bytes).v);
      const replayed = replay.get(id) ?? null;
      if (got !== replayed) violation(round, `users: key ${id} is ${got} in the index, ${replayed} in the changelog replay`);
      const writes = roundWrites.get(id) ?? [];
      const lastAcked = writes.map((w) => w.acked).lastIndexOf(true);
      const allowed = [lastAcked >= 0 ? writes[lastAcked]!.state : keyState.get(id) ?? null, ...writes.slice(lastAcked + 1).map((w) => w.state)];
      if (!allowed.includes(got)) {
        f.lost++;
        violation(round, `users: key ${id} is ${got}; allowed ${JSON.stringify(allowed)}`);
      }
      keyState.set(id, got);
    }
    roundWrites.clear();

    const names = new Set(m.catalog.listTables(DB));
    for (const name of tablesAcked) if (!names.has(name) && !ddlInDoubt.has(name)) violation(round, `catalog: acknowledged table ${name} is lost`);
    for (const name of tablesDropped) if (names.has(name)) violation(round, `catalog: table ${name}, dropped and acknowledged, is back`);
    for (const name of ddlInDoubt) {
      tablesAcked.delete(name);
      if (names.has(name)) tablesAcked.add(name);
      else tablesDropped.add(name);
    }
    ddlInDoubt.clear();
    for (const [key, body] of lakeAcked) {
      const got = await m.lake.get(key);
      if (!got || Buffer.compare(Buffer.from(got), body) !== 0) violation(round, `lake: acknowledged object ${key} ${got ? `has ${got.length} other bytes` : 'is lost'}`);
    }
  };

  // ---------------------------------------------------------------------------------------------
  let m = await open(0);
  try {
    for (let round = 1; round <= opts.rounds && m; round++) {
      // The power goes after a random number of operations and event-loop turns, with work in flight.
      const ops = int(rng, 1, opsPerRound);
      const inFlight: Promise<unknown>[] = [];
      for (let op = 1; op <= ops; op++) {
        inFlight.push(operation(m)().catch(() => undefined));
        if (rng() < 0.4) await turn();
      }
      for (let t = int(rng, 0, 4); t > 0; t--) await turn();
      disk.powerLoss();
      await Promise.all(inFlight);
      await abandon(m);
      m = await open(round);
      if (!m) break;
      await verify(round, m);
      f.rounds = round;
    }
    if (m) await m.tables.closeAll();
  } finally {
    await writer.close();
    Object.assign(f, disk.figures);
    f.durationMs = Date.now() - started;
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  return f;
}

function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Drops the machine that lost its power without a clean close: its logs fail from here on (the
 * disk's io is dead), and the LMDB environment is closed once what it had in flight has settled.
 */
async function abandon(m: Machine): Promise<void> {
  for (const t of m.tables.all()) {
    await Promise.all((t.kv ?? []).map((k) => k.keyFilterBuilt));
    await Promise.all(t.logs.map((l) => l.close().catch(() => undefined)));
    await t.kvEnv?.close();
  }
}

/** Each key's state after the whole changelog, read from the log. */
async function replayChangelog(log: BucketLog): Promise<Map<number, KeyState>> {
  const state = new Map<number, KeyState>();
  for (let at = log.logStartOffset; at < log.highWatermark; ) {
    const batches = await log.read(at, { maxBytes: 1 << 20 });
    for (const b of batches) {
      for (const batch of ipcToBatches(b.arrowIpc).batches) {
        const codes = batch.getChild('_change_type')!.toArray() as Int8Array;
        batchRows(batch, ['id', 'v']).forEach((row, i) => {
          const type = CHANGE_TYPES[codes[i]!];
          if (type === '-D') state.set(Number(row.id), null);
          else if (type === '+I' || type === '+U') state.set(Number(row.id), Number(row.v));
        });
      }
    }
    at = batches[batches.length - 1]!.lastOffset + 1n;
  }
  return state;
}
