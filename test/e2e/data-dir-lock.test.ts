import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { call, startServer, tempDir, type ServerProcess } from './helpers.js';

const T = '/v1/databases/d/tables';
const running: ServerProcess[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.kill9()));
});

async function start(opts: Parameters<typeof startServer>[0] = {}): Promise<ServerProcess> {
  const s = await startServer(opts);
  running.push(s);
  return s;
}

/** A start that must be refused: resolves with what the server printed; one that serves fails the test. */
async function refusedStart(opts: Parameters<typeof startServer>[0]): Promise<string> {
  const outcome = await startServer(opts).then((s) => s, (err: Error) => err.message);
  if (typeof outcome === 'string') return outcome;
  running.push(outcome);
  throw new Error(`the server started although it should have been refused:\n${outcome.output()}`);
}

async function createTable(url: string): Promise<void> {
  expect((await call(url, 'PUT', '/v1/databases/d')).status).toBe(201);
  expect((await call(url, 'PUT', `${T}/events`, { columns: [{ name: 'id', type: 'int64' }] })).status).toBe(201);
}

async function append(url: string, ids: number[]): Promise<void> {
  expect((await call(url, 'POST', `${T}/events/append`, ids.map((id) => ({ id })))).status).toBe(200);
}

async function ids(url: string): Promise<number[]> {
  const r = await call(url, 'GET', `${T}/events/buckets/0/records?offset=0`);
  expect(r.status).toBe(200);
  return r.body.records.map((row: { id: number }) => row.id);
}

describe('one server per data dir', () => {
  it('refuses a second server on the same data dir, naming the first one, and the data stays intact', async () => {
    const first = await start();
    await createTable(first.url);
    await append(first.url, [1, 2, 3]);
    const refused = await refusedStart({ dataDir: first.dataDir });
    expect(refused).toMatch(/server exited with [1-9]\d* before serving/);
    expect(refused).toContain(`--data-dir ${first.dataDir} is in use by lakestream pid ${first.proc.pid} on 127.0.0.1 port ${first.port}`);
    await append(first.url, [4]);
    expect(await ids(first.url)).toEqual([1, 2, 3, 4]);
    expect(await first.stop()).toBe(0);
    running.splice(running.indexOf(first), 1);
    const again = await start({ dataDir: first.dataDir });
    expect(await ids(again.url)).toEqual([1, 2, 3, 4]);
  });

  it('takes the lock at once after the holder was killed with kill -9', async () => {
    const first = await start();
    await createTable(first.url);
    await append(first.url, [7, 8]);
    await first.kill9();
    const after = await start({ dataDir: first.dataDir });
    expect(await ids(after.url)).toEqual([7, 8]);
    expect(JSON.parse(fs.readFileSync(path.join(first.dataDir, 'lock'), 'utf8'))).toMatchObject({ pid: after.proc.pid, port: after.port });
  });

  it('refuses a port in use with a message naming --port, and creates no data dir', async () => {
    const busy = net.createServer();
    await new Promise<void>((resolve) => busy.listen({ host: '127.0.0.1', port: 0 }, resolve));
    const { port } = busy.address() as net.AddressInfo;
    const dataDir = path.join(tempDir(), 'fresh');
    try {
      const refused = await refusedStart({ dataDir, port });
      expect(refused).toMatch(/server exited with [1-9]\d* before serving/);
      expect(refused).toContain(`lakestream: --port ${port}: 127.0.0.1:${port} is already in use`);
      expect(fs.existsSync(dataDir)).toBe(false);
    } finally {
      await new Promise((resolve) => busy.close(resolve));
    }
  });

  it('says what to install when flock(1) cannot be found', async () => {
    const refused = await refusedStart({ env: { PATH: '/nonexistent' } });
    expect(refused).toMatch(/server exited with [1-9]\d* before serving/);
    expect(refused).toContain('flock(1) is not on the PATH; install util-linux');
  });
});
