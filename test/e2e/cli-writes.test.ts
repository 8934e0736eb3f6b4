import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../deltajoin/cli-helpers.js';
import { call, startServer, tempDir, type ServerProcess } from './helpers.js';

let server: ServerProcess;
let env: Record<string, string>;
let dir: string;
const T = '/v1/databases/w/tables';
const ROWS = 30_000;
const BAD_LINE = 25_001;

async function logRows(table: string): Promise<number[]> {
  const ids: number[] = [];
  for (let b = 0; b < 2; b++) {
    let offset = '0';
    for (;;) {
      const page = (await call(server.url, 'GET', `${T}/${table}/buckets/${b}/records?offset=${offset}&maxRecords=100000&columns=id`)).body;
      ids.push(...page.records.map((r: { id: number }) => r.id));
      if (page.nextOffset === page.highWatermark) break;
      offset = page.nextOffset;
    }
  }
  return ids.sort((x, y) => x - y);
}

async function lookup(table: string, ids: number[]): Promise<unknown[]> {
  return (await call(server.url, 'POST', `${T}/${table}/lookup`, { keys: ids.map((id) => ({ id })) })).body.rows;
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

beforeAll(async () => {
  server = await startServer();
  env = { LAKESTREAM_SERVER: server.url };
  dir = tempDir('lakestream-cli-writes-');
  await call(server.url, 'PUT', '/v1/databases/w');
  const columns = [{ name: 'id', type: 'int64', nullable: false }, { name: 'n', type: 'int32' }];
  for (const t of ['stop', 'skip', 'dry']) await call(server.url, 'PUT', `${T}/${t}`, { columns, buckets: 2 });
  await call(server.url, 'PUT', `${T}/users`, { columns, primaryKey: ['id'] });
  await call(server.url, 'PUT', `${T}/nodeletes`, { columns, primaryKey: ['id'], properties: { 'table.delete.behavior': 'disable' } });
  const lines = range(1, ROWS).map((id) => JSON.stringify({ id, n: id === BAD_LINE ? 'many' : id % 100 }));
  fs.writeFileSync(path.join(dir, 'rows.jsonl'), `${lines.join('\n')}\n`);
});
afterAll(async () => {
  await server?.stop();
});

describe('lakestream append|upsert: a bad line is safe and obvious', () => {
  it('stops at a bad line (file:line and column), writes every row before it, nothing after, and says where to resume', async () => {
    const file = path.join(dir, 'rows.jsonl');
    const r = await cli(['append', 'w.stop', file], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`lakestream: ${file}:${BAD_LINE}: column 'n' (int32) got "many"`);
    expect(r.stderr).toContain(`lakestream: stopped at ${file}:${BAD_LINE}: appended ${BAD_LINE - 1} rows to w.stop from lines 1-${BAD_LINE - 1}; nothing from line ${BAD_LINE} on was written`);
    expect(r.stderr).toContain(`resume with --from-line ${BAD_LINE}`);
    expect(await logRows('stop')).toEqual(range(1, BAD_LINE - 1));
    // The fix, then the resume: every row once.
    const fixed = path.join(dir, 'fixed.jsonl');
    fs.writeFileSync(fixed, fs.readFileSync(file, 'utf8').replace('"n":"many"', '"n":1'));
    const resumed = await cli(['append', 'w.stop', fixed, '--from-line', String(BAD_LINE)], { env });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain(`appended ${ROWS - BAD_LINE + 1} rows to w.stop`);
    expect(await logRows('stop')).toEqual(range(1, ROWS));
  });

  it('--on-error skip writes the good rows, and reports each bad line or writes it to --rejects', async () => {
    const file = path.join(dir, 'mixed.jsonl');
    fs.writeFileSync(file, ['{"id":1,"n":1}', 'not json', '{"id":2,"n":2}', '{"id":3,"color":"red"}', '', '{"id":4,"n":4}', '{"n":5}'].join('\n'));
    const r = await cli(['append', 'w.skip', file, '--on-error', 'skip'], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`lakestream: ${file}:2: not JSON`);
    expect(r.stderr).toContain(`lakestream: ${file}:4: the row has column 'color'`);
    expect(r.stderr).toContain(`lakestream: ${file}:7: column 'id' is not nullable (skipped)`);
    expect(r.stderr).toContain('appended 3 rows to w.skip; skipped 3 bad lines');
    expect(await logRows('skip')).toEqual([1, 2, 4]);
    const rejects = path.join(dir, 'rejects.jsonl');
    const saved = await cli(['append', 'w.skip', file, '--on-error', 'skip', '--rejects', rejects], { env });
    expect(saved.stderr).toContain(`appended 3 rows to w.skip; skipped 3 bad lines (written to ${rejects})`);
    expect(fs.readFileSync(rejects, 'utf8')).toBe('not json\n{"id":3,"color":"red"}\n{"n":5}\n');
    const refused = await cli(['append', 'w.skip', file, '--rejects', rejects], { env });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe('lakestream: --rejects needs --on-error skip (a stop writes nothing after the bad line)\n');
  });

  it('--dry-run checks every line and writes nothing', async () => {
    const file = path.join(dir, 'rows.jsonl');
    const r = await cli(['append', 'w.dry', file, '--dry-run'], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`dry run: ${BAD_LINE - 1} rows valid for w.dry, 1 bad line (stopped at the first: lakestream: ${file}:${BAD_LINE}: column 'n' (int32)`);
    const all = await cli(['append', 'w.dry', file, '--dry-run', '--on-error', 'skip', '--from-line', '20000'], { env });
    expect(all.stderr).toContain(`dry run: ${ROWS - 20000} rows valid for w.dry, 1 bad line; nothing was written`);
    const clean = await cli(['append', 'w.dry', '-', '--dry-run'], { env, input: '{"id":1}\n{"id":2}\n' });
    expect(clean.code, clean.stderr).toBe(0);
    expect(clean.stderr).toBe('dry run: 2 rows valid for w.dry, no bad lines; nothing was written\n');
    expect(await logRows('dry')).toEqual([]);
  });

  it('counts what the server acknowledged: a delete of a missing key deletes 0 rows', async () => {
    const input = ['{"id":1,"n":1}', '{"id":2,"n":2}', '{"id":2,"_change_type":"-D"}', '{"id":9,"_change_type":"-D"}', '{"id":1,"n":1,"_change_type":"-U"}'].join('\n');
    const r = await cli(['upsert', 'w.users', '-'], { env, input });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('upserted 2 and deleted 1 rows in w.users (1 delete found no row, 1 -U line skipped)\n');
    const missing = await cli(['upsert', 'w.users', '-'], { env, input: '{"id":42,"_change_type":"-D"}\n' });
    expect(missing.stderr).toBe('upserted 0 and deleted 0 rows in w.users (1 delete found no row)\n');
    const badType = await cli(['upsert', 'w.users', '-'], { env, input: '{"id":3,"n":3}\n{"id":4,"_change_type":"D"}\n{"id":5,"n":5}\n' });
    expect(badType.code).toBe(2);
    expect(badType.stderr).toContain('lakestream: stdin:2: _change_type "D" is not one of +I or +U (upsert), -D (delete the key), -U (ignored)');
    expect(await lookup('users', [1, 2, 3, 5])).toEqual([{ id: 1, n: 1 }, null, { id: 3, n: 3 }, null]);
  });

  it('stops where the server refused a batch, naming the line and what was acknowledged', async () => {
    const input = ['{"id":1,"n":1}', '{"id":2,"n":2}', '{"id":1,"_change_type":"-D"}', '{"id":3,"n":3}'].join('\n');
    const r = await cli(['upsert', 'w.nodeletes', '-'], { env, input });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('lakestream: stdin:3: the server did not take the batch of this line: deletes are disabled on this table');
    expect(r.stderr).toMatch(/lakestream: stopped at stdin:3: upserted \d and deleted 0 rows in w\.nodeletes from lines 1-2; .*resume with --from-line 3/);
    expect(await lookup('nodeletes', [1, 2])).toEqual([{ id: 1, n: 1 }, { id: 2, n: 2 }]);
  });

  it('shows every option in --help', async () => {
    for (const c of ['append', 'upsert']) {
      const h = await cli([c, '--help'], { env });
      for (const o of ['--on-error <mode>', '--rejects <file>', '--from-line <n>', '--dry-run', '--batch-rows <n>']) expect(h.stdout, `${c} ${o}`).toContain(o);
    }
  });
});
