import { execFile } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, cliBackground } from '../deltajoin/cli-helpers.js';
import { waitFor } from '../deltajoin/e2e-helpers.js';
import { call, startServer, tempDir, type ServerProcess } from './helpers.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const T = '/v1/databases/manners/tables';
const TOKEN = 'a'.repeat(64);

let server: ServerProcess;
let env: Record<string, string>;

/** A port nothing listens on: one the OS just handed out and took back. */
async function closedPort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as net.AddressInfo).port;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

beforeAll(async () => {
  const dir = tempDir();
  const authFile = path.join(dir, 'auth.json');
  fs.writeFileSync(authFile, JSON.stringify({ tokens: { [TOKEN]: { principal: 'admin', super: true } } }), { mode: 0o600 });
  server = await startServer({ args: ['--auth-file', authFile] });
  const tokenFile = path.join(dir, 'token');
  fs.writeFileSync(tokenFile, `${TOKEN}\n`, { mode: 0o600 });
  env = { LAKESTREAM_SERVER: server.url, LAKESTREAM_TOKEN_FILE: tokenFile };
  const auth = { authorization: `Bearer ${TOKEN}` };
  await call(server.url, 'PUT', '/v1/databases/manners', undefined, auth);
  await call(server.url, 'PUT', `${T}/events`, { columns: [{ name: 'id', type: 'int64', nullable: false }] }, auth);
  await call(server.url, 'PUT', `${T}/users`, { columns: [{ name: 'team', type: 'int64', nullable: false }, { name: 'id', type: 'int64', nullable: false }, { name: 'name', type: 'string' }], primaryKey: ['team', 'id'], bucketKey: ['team'] }, auth);
  await call(server.url, 'POST', `${T}/users/upsert`, [{ team: 1, id: 1, name: 'ann' }], auth);
  await call(server.url, 'POST', `${T}/events/append`, [{ id: 42 }], auth);
  await call(server.url, 'PUT', '/v1/databases/lakestream_internal', undefined, auth);
  await call(server.url, 'PUT', '/v1/databases/lakestream_internal/tables/join_offsets', { columns: [{ name: 'id', type: 'int64', nullable: false }], primaryKey: ['id'] }, auth);
});
afterAll(async () => {
  await server?.stop();
});

describe('the CLI tells a newcomer what to do', () => {
  it('prints its version', async () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const r = await cli(['--version']);
    expect([r.code, r.stdout]).toEqual([0, `${pkg.version}\n`]);
  });

  it('names the server it could not reach and how to point it elsewhere', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const r = await cli(['tables'], { env: { LAKESTREAM_SERVER: url } });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`lakestream: GET /v1/databases: cannot reach the server at ${url} (ECONNREFUSED); is it running? Point the CLI at another with --server <url> or LAKESTREAM_SERVER\n`);
    const query = await cli(['query', 'SELECT 1'], { env: { LAKESTREAM_SERVER: url } });
    expect([query.code, query.stderr]).toEqual([2, `lakestream: GET /v1/databases: cannot reach the server at ${url} (ECONNREFUSED); is it running? Point the CLI at another with --server <url> or LAKESTREAM_SERVER\n`]);
  });

  it('reads the token from --token-file (LAKESTREAM_TOKEN_FILE), refuses it with --token too, and names a missing file', async () => {
    const viaFile = await cli(['tables', 'manners'], { env });
    expect([viaFile.code, viaFile.stderr, viaFile.stdout]).toEqual([0, '', 'manners.events\nmanners.users\n']);
    const both = await cli(['tables', '--token', TOKEN], { env });
    expect([both.code, both.stderr]).toEqual([2, 'lakestream: give --token (LAKESTREAM_TOKEN) or --token-file (LAKESTREAM_TOKEN_FILE), not both\n']);
    for (const command of [['tables'], ['query', 'SELECT 1']]) {
      const missing = await cli([...command, '--token-file', '/nonexistent/token'], { env: { LAKESTREAM_SERVER: server.url } });
      expect([missing.code, missing.stderr]).toEqual([2, 'lakestream: --token-file /nonexistent/token: cannot read it (ENOENT)\n']);
    }
  });

  it('hides lakestream_internal from tables unless --all', async () => {
    const plain = await cli(['tables'], { env });
    expect(plain.stdout.split('\n').filter(Boolean)).toEqual(['manners.events', 'manners.users']);
    const all = await cli(['tables', '--all'], { env });
    expect(all.stdout.split('\n').filter(Boolean)).toEqual(['lakestream_internal.join_offsets', 'manners.events', 'manners.users']);
    const named = await cli(['tables', 'lakestream_internal'], { env });
    expect(named.stdout).toBe('lakestream_internal.join_offsets\n');
  });

  it('treats a full-key miss and a prefix miss alike: a message and exit 1', async () => {
    const hit = await cli(['lookup', 'manners.users', 'team=1'], { env });
    expect([hit.code, hit.stdout]).toEqual([0, '{"team":1,"id":1,"name":"ann"}\n']);
    const key = await cli(['lookup', 'manners.users', 'team=1', 'id=9'], { env });
    expect([key.code, key.stdout, key.stderr]).toEqual([1, '', 'lakestream: no row in manners.users with team=1 id=9\n']);
    const prefix = await cli(['lookup', 'manners.users', 'team=9'], { env });
    expect([prefix.code, prefix.stdout, prefix.stderr]).toEqual([1, '', 'lakestream: no row in manners.users with team=9\n']);
  });

  it("gives advice in the CLI's terms when a write goes to the wrong kind of table", async () => {
    const upsert = await cli(['upsert', 'manners.events', '-'], { env, input: '{"id":1}\n' });
    expect([upsert.code, upsert.stderr]).toEqual([2, 'lakestream: manners.events is a log table: use lakestream append manners.events\n']);
    const append = await cli(['append', 'manners.users', '-'], { env, input: '{"team":1,"id":2}\n' });
    expect([append.code, append.stderr]).toEqual([2, "lakestream: manners.users has a primary key: use lakestream upsert manners.users (a '-D' _change_type line deletes)\n"]);
    const tail = await cli(['tail', 'manners.events', '--from', 'earliest', '--limit', '1'], { env });
    expect(tail.stdout).toMatch(/^\{"id":42,/);
  });

  it('says on a terminal that tail is connected and waiting', async () => {
    // script(1) gives the tail a terminal; its stdout and stderr both land in script's output.
    const command = [process.execPath, path.join(ROOT, 'dist/src/cli/main.js'), 'tail', 'manners.events', '--from', 'earliest', '--limit', '1'].join(' ');
    const { stdout } = await promisify(execFile)('script', ['-qec', command, '/dev/null'], { env: { ...process.env, ...env }, timeout: 30_000 });
    expect(stdout).toContain(`tailing manners.events at ${server.url} from earliest; waiting for records (Ctrl-C to stop)`);
    expect(stdout).toMatch(/\{"id":42,/);
    const piped = await cli(['tail', 'manners.events', '--from', 'earliest', '--limit', '1'], { env });
    expect(piped.stderr).toBe('');
  });
});

describe('lakestream tail across a server restart', () => {
  it('reconnects and resumes where it was: every row once, none twice', async () => {
    let own = await startServer();
    const tailEnv = { LAKESTREAM_SERVER: own.url };
    const E = '/v1/databases/r/tables/events';
    await call(own.url, 'PUT', '/v1/databases/r');
    await call(own.url, 'PUT', E, { columns: [{ name: 'id', type: 'int64', nullable: false }], buckets: 2 });
    const tail = cliBackground(['tail', 'r.events', '--from', 'earliest'], tailEnv);
    const lines = (): { id: number; _log_offset: number }[] => tail.stdout().trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
    try {
      await call(own.url, 'POST', `${E}/append`, [{ id: 1 }, { id: 2 }, { id: 3 }]);
      await waitFor('the tail to print the first rows', () => lines().length === 3);
      await own.kill9();
      await waitFor('the tail to notice the server is gone', () => tail.stderr().includes('reconnecting'));
      expect(tail.proc.exitCode).toBeNull();
      own = await startServer({ dataDir: own.dataDir, port: own.port });
      await call(own.url, 'POST', `${E}/append`, [{ id: 4 }, { id: 5 }]);
      await call(own.url, 'POST', `${E}/append`, [{ id: 6 }]);
      await waitFor('the tail to print the rows written after the restart', () => lines().length >= 6);
      expect(await tail.interrupt()).toBe(0);
      expect(lines().map((l) => l.id).sort()).toEqual([1, 2, 3, 4, 5, 6]);
      expect(tail.stderr()).toContain(`lakestream: reconnected to ${own.url}`);
    } finally {
      if (tail.proc.exitCode === null) await tail.interrupt();
      await own.stop();
    }
  }, 60_000);
});
