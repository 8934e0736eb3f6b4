import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Connection, ScanRecord } from '../../src/client/index.js';
import { connect } from '../../src/client/index.js';
import { until } from '../reliability/support.js';
import { startServer, type ServerProcess } from './helpers.js';

let server: ServerProcess;
let conn: Connection;

async function take(scan: AsyncIterator<ScanRecord>, n: number): Promise<ScanRecord[]> {
  const out: ScanRecord[] = [];
  while (out.length < n) {
    const r = await scan.next();
    if (r.done) break;
    out.push(r.value);
  }
  return out;
}

beforeAll(async () => {
  server = await startServer();
  conn = connect(server.url);
  const admin = conn.admin();
  await admin.createDatabase('clientdb');
  await admin.createTable('clientdb', 'events', {
    columns: [
      { name: 'id', type: 'int64', nullable: false },
      { name: 'msg', type: 'string' },
    ],
    buckets: 2,
  });
  await admin.createTable('clientdb', 'timed', {
    columns: [
      { name: 'id', type: 'int64', nullable: false },
      { name: 'at', type: 'timestamp' },
    ],
  });
});
afterAll(async () => {
  await conn?.close();
  if (!server) return;
  // A server that does not stop after SIGTERM is a bug to see, not a 60 s hook timeout.
  const stopped = await Promise.race([server.stop().then(() => true), new Promise<false>((res) => setTimeout(() => res(false), 10_000))]);
  if (!stopped) {
    const out = server.output().slice(-2000);
    await server.kill9();
    throw new Error(`the server did not stop within 10 s of SIGTERM; its output ended with:\n${out}`);
  }
});

describe('client: a user creates a log table, writes with a batching writer and tails it', () => {
  it('lists what admin created and refuses a second create', async () => {
    const admin = conn.admin();
    expect(await admin.listDatabases()).toContain('clientdb');
    expect((await admin.listTables('clientdb')).sort()).toEqual(['events', 'timed']);
    await expect(admin.createDatabase('clientdb')).rejects.toMatchObject({ code: 'DATABASE_EXISTS' });
    await admin.createDatabase('clientdb', { ifNotExists: true });
    await expect(conn.table('clientdb', 'nope')).rejects.toMatchObject({ code: 'TABLE_NOT_FOUND' });
  });

  it('appends rows in batches and reads every one back exactly once, typed', async () => {
    const t = await conn.table('clientdb', 'events');
    const w = t.appendWriter({ batchRows: 100, lingerMs: 5 });
    const acks = Array.from({ length: 1000 }, (_, i) => w.append({ id: i, msg: `m${i}` }));
    await w.close();
    const resolved = await Promise.all(acks);
    expect(resolved.every((a) => a !== undefined && a.offset >= 0n)).toBe(true);

    const s = t.scanner({ from: 'earliest', waitMs: 100 });
    const got = await take(s[Symbol.asyncIterator](), 1000);
    s.stop();
    expect(got.map((r) => r.row.id).sort((a, b) => Number(a) - Number(b))).toEqual(Array.from({ length: 1000 }, (_, i) => BigInt(i)));
    expect(got.every((r) => r.changeType === '+A' && typeof r.timestamp === 'number')).toBe(true);
    const first = got.find((r) => r.row.id === 5n)!;
    expect(first.row).toEqual({ id: 5n, msg: 'm5' });
    const total = [0, 1].map((b) => s.position(b)!).reduce((a, b) => a + b, 0n);
    expect(total).toBe(1000n);
  });

  it("scans to: 'latest' and ends at the high watermarks of its start, without rows written later", async () => {
    const t = await conn.table('clientdb', 'events');
    for (const format of ['arrow', 'json'] as const) {
      const s = t.scanner({ from: 'earliest', to: 'latest', maxRecords: 64, format });
      const ids: bigint[] = [];
      for await (const rec of s) {
        if (ids.length === 0) {
          const w = t.appendWriter({ lingerMs: 0 });
          await w.append({ id: 777_000 });
          await w.close();
        }
        ids.push(rec.row.id as bigint);
      }
      expect(ids.filter((id) => id < 1000n).sort((a, b) => Number(a - b))).toEqual(Array.from({ length: 1000 }, (_, i) => BigInt(i)));
      // The row appended during the arrow pass is below the json pass's end: only that pass sees it.
      expect(ids.filter((id) => id >= 777_000n)).toEqual(format === 'arrow' ? [] : [777_000n]);
      expect(s.isStopped).toBe(true);
    }
    const none = t.scanner({ from: 'latest', to: 'latest' });
    const rest: ScanRecord[] = [];
    for await (const rec of none) rest.push(rec);
    expect(rest).toEqual([]);
    expect(() => t.scanner({ to: 'earliest' as 'latest' })).toThrow(/to must be 'latest'/);
  });

  it("scans a primary-key table from 'full' to 'latest': the current rows, and ends", async () => {
    const admin = conn.admin();
    await admin.createTable('clientdb', 'people', { columns: [{ name: 'id', type: 'int64', nullable: false }, { name: 'name', type: 'string' }], primaryKey: ['id'], buckets: 2 });
    const t = await conn.table('clientdb', 'people');
    const w = t.upsertWriter({ lingerMs: 0 });
    for (let i = 0; i < 20; i++) void w.upsert({ id: i, name: `p${i}` });
    await w.flush();
    void w.upsert({ id: 3, name: 'changed' });
    await w.close();
    const seen: string[] = [];
    for await (const rec of t.scanner({ from: 'full', to: 'latest' })) seen.push(`${rec.changeType} ${rec.row.id} ${rec.row.name}`);
    // The snapshot is taken after the ends are read, so it already holds every change below them.
    expect(seen).toHaveLength(20);
    expect(seen.every((l) => l.startsWith('+I '))).toBe(true);
    expect(seen).toContain('+I 3 changed');
  });

  it('tails from latest in JSON and sees a row appended afterwards', async () => {
    const t = await conn.table('clientdb', 'events');
    const s = t.scanner({ from: 'latest', format: 'json', columns: ['id'], waitMs: 500 });
    const it = s[Symbol.asyncIterator]();
    const pending = take(it, 1);
    // The scanner knows its positions once it has resolved `latest`: a row appended now is after it.
    await until('the scanner to resolve latest', async () => Object.keys(s.positions()).length > 0);
    const w = t.appendWriter({ lingerMs: 0 });
    await w.append({ id: 424242 });
    await w.close();
    expect((await pending).map((r) => r.row)).toEqual([{ id: 424242n }]);
    s.stop();
  });

  it('appends Date values to a timestamp column as Arrow and reads them back as epoch ms', async () => {
    const t = await conn.table('clientdb', 'timed');
    const w = t.appendWriter({ lingerMs: 0 });
    await w.append({ id: 1, at: new Date(1_700_000_000_123) });
    await w.append({ id: 2, at: '2024-05-01T10:00:00Z' });
    await w.close();
    const s = t.scanner({ from: 'earliest', waitMs: 100 });
    const got = await take(s[Symbol.asyncIterator](), 2);
    s.stop();
    expect(got.map((r) => r.row)).toEqual([{ id: 1n, at: 1_700_000_000_123 }, { id: 2n, at: Date.UTC(2024, 4, 1, 10) }]);
  });
});
