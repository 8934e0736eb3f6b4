import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, cliBackground } from '../deltajoin/cli-helpers.js';
import { waitFor } from '../deltajoin/e2e-helpers.js';
import { call, startServer, tempDir, type ServerProcess } from './helpers.js';

let server: ServerProcess;
let env: Record<string, string>;
const T = '/v1/databases/cli/tables';

beforeAll(async () => {
  server = await startServer();
  env = { LAKESTREAM_SERVER: server.url };
  await call(server.url, 'PUT', '/v1/databases/cli');
  await call(server.url, 'PUT', `${T}/events`, { columns: [{ name: 'id', type: 'int64', nullable: false }, { name: 'kind', type: 'string' }], buckets: 2 });
  await call(server.url, 'PUT', `${T}/users`, { columns: [{ name: 'team', type: 'int64', nullable: false }, { name: 'id', type: 'int64', nullable: false }, { name: 'name', type: 'string' }], primaryKey: ['team', 'id'], bucketKey: ['team'] });
});
afterAll(async () => {
  await server?.stop();
});

describe('lakestream CLI', () => {
  it('appends a JSON-lines file with a progress bar and tails it back', async () => {
    const file = path.join(tempDir(), 'events.jsonl');
    fs.writeFileSync(file, Array.from({ length: 500 }, (_, i) => JSON.stringify({ id: i, kind: i % 2 ? 'view' : 'click' })).join('\n') + '\n');
    const r = await cli(['append', 'cli.events', file], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/\[#+\] 100% 500 rows/);
    expect(r.stderr).toContain('appended 500 rows to cli.events');
    const tail = await cli(['tail', 'cli.events', '--from', 'earliest', '--limit', '500', '--columns', 'id'], { env });
    expect(tail.code, tail.stderr).toBe(0);
    const lines = tail.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(500);
    expect(lines.map((l) => l.id).sort((a, b) => a - b)).toEqual(Array.from({ length: 500 }, (_, i) => i));
    expect(lines[0]).toEqual({ id: expect.any(Number), _change_type: '+A', _log_offset: expect.any(Number), _commit_timestamp: expect.any(Number) });
  });

  it('upserts from stdin, deletes `-D` lines, looks rows up by key and by bucket-key prefix', async () => {
    const input = [
      { team: 1, id: 1, name: 'ann' }, { team: 1, id: 2, name: 'bob' }, { team: 2, id: 3, name: 'cy' },
      { team: 1, id: 2, _change_type: '-D' }, { team: 2, id: 3, name: 'cyd', _change_type: '+U' },
    ].map((x) => JSON.stringify(x)).join('\n');
    const r = await cli(['upsert', 'cli.users', '-'], { env, input });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('upserted 4 and deleted 1 rows in cli.users');
    const one = await cli(['lookup', 'cli.users', 'team=2', 'id=3'], { env });
    expect(one.code, one.stderr).toBe(0);
    expect(JSON.parse(one.stdout)).toEqual({ team: 2, id: 3, name: 'cyd' });
    const team = await cli(['lookup', 'cli.users', 'team=1'], { env });
    expect(team.stdout.trim().split('\n').map((l) => JSON.parse(l))).toEqual([{ team: 1, id: 1, name: 'ann' }]);
    const missing = await cli(['lookup', 'cli.users', 'team=1', 'id=2'], { env });
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toBe('lakestream: no row in cli.users with team=1 id=2\n');
  });

  it('follows new changes with tail until interrupted', async () => {
    const tail = cliBackground(['tail', 'cli.users', '--from', 'latest'], env);
    // "latest" is where the log ends when the tail starts, which a loaded machine can delay: a new key
    // every 300 ms until the tail prints one.
    let id = 70;
    const writer = setInterval(() => void call(server.url, 'POST', `${T}/users/upsert`, [{ team: 7, id: id++, name: 'new' }]), 300);
    try {
      await waitFor('the tail to print a change', () => tail.stdout().includes('"team":7'));
    } finally {
      clearInterval(writer);
    }
    expect(await tail.interrupt()).toBe(0);
    const first = JSON.parse(tail.stdout().trim().split('\n')[0]!);
    expect(first).toMatchObject({ team: 7, name: 'new', _change_type: '+I' });
    expect(first.id).toBeGreaterThanOrEqual(70);
  });

  it('lists tables', async () => {
    const all = await cli(['tables'], { env });
    expect(all.stdout.split('\n')).toEqual(expect.arrayContaining(['cli.events', 'cli.users']));
    const long = await cli(['tables', 'cli', '--long'], { env });
    expect(long.stdout).toContain('cli.users\tprimary-key primary key (team, id) bucket key (team) buckets 1');
  });

  it('takes --server and --token, and reports errors as `lakestream: <message>` with a non-zero exit', async () => {
    const viaFlag = await cli(['tables', 'cli', '--server', server.url, '--token', 'sekrit'], { env: { LAKESTREAM_SERVER: 'http://127.0.0.1:1' } });
    expect(viaFlag.code, viaFlag.stderr).toBe(0);
    const noTable = await cli(['tail', 'cli.nope'], { env });
    expect(noTable.code).not.toBe(0);
    expect(noTable.stderr).toBe('lakestream: table cli.nope does not exist\n');
    const badName = await cli(['lookup', 'nodot', 'a=1'], { env });
    expect(badName.stderr).toBe("lakestream: 'nodot' is not 'database.table'\n");
    const badRow = await cli(['append', 'cli.events', '-'], { env, input: '{"id":1}\nnot json\n' });
    expect(badRow.code).not.toBe(0);
    expect(badRow.stderr).toMatch(/^lakestream: stdin:2: /);
    const unknown = await cli(['frobnicate'], { env });
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toMatch(/^lakestream: unknown command 'frobnicate'/);
    const down = await cli(['tables', '--server', 'http://127.0.0.1:1'], { env });
    expect(down.code).not.toBe(0);
    expect(down.stderr).toMatch(/^lakestream: /);
  });

  it('has --help on every command', async () => {
    for (const c of ['append', 'upsert', 'tail', 'lookup', 'tables', 'join']) {
      const h = await cli([c, '--help'], { env });
      expect(h.code, c).toBe(0);
      expect(h.stdout, c).toContain('--server <url>');
      expect(h.stdout, c).toContain('--token <token>');
    }
  });
});
