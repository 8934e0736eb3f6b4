/**
 * Disk full, end to end: the server's data dir is a 64 MB tmpfs this test mounts (CI runs as root).
 * Writes to a filler log table, a log table and a primary-key table go on until the disk is full.
 * Every refused request is a 507 INSUFFICIENT_STORAGE (or a 503 STORAGE_ERROR from an index that
 * could not be written), never a 500 and never a crash; reads keep working; a drop commits on the
 * full disk (the reserve); writes work again after it without a restart; and after a restart
 * nothing acknowledged is missing.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startServer, tempDir, type ServerProcess } from '../e2e/helpers.js';
import { readBucket } from './support.js';

const DB = '/v1/databases/d';
const COLUMNS = [{ name: 'id', type: 'int64', nullable: false }, { name: 'payload', type: 'string' }];
const PAYLOAD = 'p'.repeat(1000);
const ARGS = ['--index-memtable-size', '1mb'];
/** Ids of request r are r * ID_STRIDE + i, so requests of any size never share a key. */
const ID_STRIDE = 10_000;
type Table = 'filler' | 'events' | 'users';
type Rows = Partial<Record<Table, number>>;

let mountDir: string;
let server: ServerProcess | undefined;

beforeAll(() => {
  mountDir = tempDir('lakestream-disk-full-');
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64m', 'tmpfs', mountDir]);
});

afterAll(async () => {
  try {
    await server?.kill9();
  } finally {
    execFileSync('umount', [mountDir]);
    fs.rmSync(mountDir, { recursive: true, force: true });
  }
});

const rowsOf = (request: number, count: number) => Array.from({ length: count }, (_, i) => ({ id: request * ID_STRIDE + i, payload: PAYLOAD }));
const write = (table: Table, request: number, count: number) => call(server!.url, 'POST', `${DB}/tables/${table}/${table === 'users' ? 'upsert' : 'append'}`, rowsOf(request, count));
const acknowledged: Record<Table, { request: number; count: number }[]> = { filler: [], events: [], users: [] };
const ackRows = (table: Table) => acknowledged[table].flatMap(({ request, count }) => rowsOf(request, count));
let nextRequest = 0;

/** Writes `rows` rows a request to each table, round after round, until a whole round is refused; returns the refusals. */
async function fillUntilRefused(rows: Rows): Promise<{ status: number; code: string }[]> {
  const refusals: { status: number; code: string }[] = [];
  for (let refusedAll = false, rounds = 0; !refusedAll; rounds++) {
    expect(rounds).toBeLessThan(200); // 64 MB hold fewer than 200 rounds
    refusedAll = true;
    for (const [table, count] of Object.entries(rows) as [Table, number][]) {
      const request = nextRequest++;
      const r = await write(table, request, count);
      if (r.status === 200) {
        acknowledged[table].push({ request, count });
        refusedAll = false;
      } else {
        refusals.push({ status: r.status, code: r.body.error.code });
      }
    }
  }
  for (const r of refusals) expect([[507, 'INSUFFICIENT_STORAGE'], [503, 'STORAGE_ERROR']]).toContainEqual([r.status, r.code]);
  expect(refusals.some((r) => r.code === 'INSUFFICIENT_STORAGE')).toBe(true);
  return refusals;
}

/** After space came back: the log table writes at once; the primary-key table too, unless the disk filled under its index flush (then health names it and it needs a restart). */
async function writesResume(): Promise<void> {
  const health = (await call(server!.url, 'GET', '/v1/health')).body;
  expect(health.storage.diskFull).toBe(false);
  for (const table of ['events', 'users'] as const) {
    const request = nextRequest++;
    const r = await write(table, request, 10);
    if (r.status === 200) acknowledged[table].push({ request, count: 10 });
    else expect([table, r.status, health.storage.failedTables.map((t: { table: string }) => t.table)]).toEqual(['users', 503, ['d.users']]);
  }
}

async function expectAllAcknowledged(): Promise<void> {
  expect((await readBucket(server!.url, `${DB}/tables/events`, 0)).records.map((r) => r.id)).toEqual(ackRows('events').map((r) => r.id));
  expect(await lookupAll(ackRows('users').map((r) => r.id))).toEqual(ackRows('users'));
}

async function lookupAll(ids: number[]): Promise<unknown[]> {
  const rows: unknown[] = [];
  for (let i = 0; i < ids.length; i += 1000) {
    const r = await call(server!.url, 'POST', `${DB}/tables/users/lookup`, { keys: ids.slice(i, i + 1000).map((id) => ({ id })) });
    expect(r.status).toBe(200);
    rows.push(...r.body.rows);
  }
  return rows;
}

describe('disk full', () => {
  it('disk full: refused with 507 and a JSON code, reads keep working, a drop frees space, writes resume, nothing acknowledged is lost', async () => {
    const dataDir = path.join(mountDir, 'data');
    server = await startServer({ dataDir, args: ARGS });
    expect(fs.statSync(path.join(dataDir, 'disk-reserve')).size).toBe(8 * 1024 * 1024);
    await call(server.url, 'PUT', DB);
    for (const t of ['filler', 'events']) expect((await call(server.url, 'PUT', `${DB}/tables/${t}`, { columns: COLUMNS })).status).toBe(201);
    expect((await call(server.url, 'PUT', `${DB}/tables/users`, { columns: COLUMNS, primaryKey: ['id'] })).status).toBe(201);

    // The filler takes most of the disk, so that dropping it frees plenty.
    await fillUntilRefused({ filler: 2000, events: 100, users: 100 });
    expect(acknowledged.events.length).toBeGreaterThan(10);
    expect(acknowledged.users.length).toBeGreaterThan(10);
    const health = (await call(server.url, 'GET', '/v1/health')).body;
    expect([health.status, health.storage.diskFull]).toEqual(['degraded', true]);
    expect(fs.existsSync(path.join(dataDir, 'disk-reserve'))).toBe(false); // released at the first ENOSPC
    await expectAllAcknowledged(); // reads keep working on the full disk

    // A drop commits on the full disk; the space it frees lets writes in again, without a restart.
    expect((await call(server.url, 'DELETE', `${DB}/tables/filler`)).status).toBe(200);
    await writesResume();
    expect(fs.statSync(path.join(dataDir, 'disk-reserve')).size).toBe(8 * 1024 * 1024);

    // Full again, this time by the log and the primary-key table themselves; then the volume grows.
    await fillUntilRefused({ events: 2000, users: 1000 });
    await expectAllAcknowledged();
    execFileSync('mount', ['-o', 'remount,size=128m', mountDir]);
    await writesResume();

    // After a restart every acknowledged row is there, and both tables take writes.
    expect(await server.stop()).toBe(0);
    server = await startServer({ dataDir, port: server.port, args: ARGS });
    await expectAllAcknowledged();
    for (const table of ['events', 'users'] as const) expect((await write(table, nextRequest++, 10)).status).toBe(200);
    expect((await call(server.url, 'GET', '/v1/health')).body.status).toBe('ok');
  }, 120_000);
});
