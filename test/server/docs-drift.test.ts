import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeProperties } from '../../src/common/properties.js';
import { createServer, type Server } from '../../src/server/app.js';
import { describeSettings, resolveConfig } from '../../src/server/config.js';

const readme = fs.readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const api = fs.readFileSync(new URL('../../docs/API.md', import.meta.url), 'utf8');

describe('README is generated from the schemas', () => {
  it('lists every server flag as config.ts declares it', () => {
    expect(readme).toContain(describeSettings());
  });
  it('lists every table property as properties.ts declares it', () => {
    expect(readme).toContain(describeProperties());
  });
  it('shows the Node snippet that examples/quickstart.mjs runs (test/e2e/package.test.ts runs it)', () => {
    const example = fs.readFileSync(new URL('../../examples/quickstart.mjs', import.meta.url), 'utf8');
    const body = example.replace(/^(\/\/.*\n)+/, '');
    expect(readme).toContain(`\`\`\`js\n${body}\`\`\``);
  });
});

/**
 * The field names of a reply shape as docs/API.md writes it (`{"rows":N,"buckets":[{"bucket",..}]}`):
 * every quoted name that is not a value (after `:` or `|`); `"error"?` marks an optional one.
 */
function documentedFields(shape: string): { all: Set<string>; required: Set<string> } {
  const all = new Set<string>();
  const required = new Set<string>();
  for (const m of shape.matchAll(/(?<![:|])"([A-Za-z_]\w*)"(\??)/g)) {
    all.add(m[1]!);
    if (m[2] !== '?') required.add(m[1]!);
  }
  return { all, required };
}

/** Every object key in a reply, nested ones too, except inside `opaque` (row data). */
function replyFields(value: unknown, opaque: readonly string[], out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const v of value) replyFields(v, opaque, out);
  else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      out.add(k);
      if (!opaque.includes(k)) replyFields(v, opaque, out);
    }
  }
  return out;
}

describe('docs/API.md names the fields real replies carry', () => {
  let server: Server;
  let dataDir: string;
  const T = '/v1/databases/docs/tables';
  const send = async (method: 'GET' | 'PUT' | 'POST', url: string, payload?: unknown) => {
    const r = await server.app.inject({ method, url, ...(payload !== undefined ? { payload: payload as object } : {}) });
    return { status: r.statusCode, body: r.json() as unknown };
  };

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lakestream-docs-'));
    server = await createServer(resolveConfig({ dataDir, port: '0', logLevel: 'silent' }, {}));
    await send('PUT', '/v1/databases/docs');
    // 1 KiB segments and a 1 s TTL: retention below lets the union read refuse an offset it deleted.
    await send('PUT', `${T}/events`, { columns: [{ name: 'id', type: 'int64', nullable: false }, { name: 'pad', type: 'string' }], properties: { 'table.log.segment.file-size': '1kb', 'table.log.ttl': '1s' } });
    for (let i = 0; i < 6; i++) await send('POST', `${T}/events/append`, Array.from({ length: 20 }, (_, j) => ({ id: i * 20 + j, pad: 'x'.repeat(40) })));
    await send('PUT', `${T}/users`, { columns: [{ name: 'team', type: 'int64', nullable: false }, { name: 'id', type: 'int64', nullable: false }], primaryKey: ['team', 'id'], bucketKey: ['team'] });
  });
  afterAll(async () => {
    await server?.close();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  /** `absent`: documented fields this reply may lack (those of an empty list's items). */
  async function expectDocumented(shape: string, reply: unknown, opaque: readonly string[] = [], absent: readonly string[] = []): Promise<void> {
    expect(api, 'docs/API.md no longer shows this reply').toContain(shape);
    const { all, required } = documentedFields(shape);
    const actual = replyFields(reply, opaque);
    expect([...actual].filter((f) => !all.has(f)), `fields the reply has but ${shape} does not name`).toEqual([]);
    expect([...required].filter((f) => !actual.has(f) && !absent.includes(f)), `fields ${shape} names but the reply lacks`).toEqual([]);
  }

  it('health, lists, appends, fetches, offsets and buckets', async () => {
    await expectDocumented('{"status":"ok"|"degraded","lake":{"ok","uri","error"?},"storage":{"diskFull","failedTables":[{"table","buckets":[{"bucket","message"}]}]}}', (await send('GET', '/v1/health')).body, [], ['table', 'buckets', 'bucket', 'message']);
    await expectDocumented('{"databases":[...]}', (await send('GET', '/v1/databases')).body);
    await expectDocumented('{"tables":[...]}', (await send('GET', '/v1/databases/docs/tables')).body);
    await expectDocumented('201 `{"name","created"}`', (await send('PUT', '/v1/databases/other')).body);
    await expectDocumented('{"rows":N,"buckets":[{"bucket":0,"baseOffset":"120","rows":N}]}', (await send('POST', `${T}/events/append`, [{ id: 1000 }])).body);
    await expectDocumented('{"records":[...],"nextOffset":"..","highWatermark":".."}', (await send('GET', `${T}/events/buckets/0/records?offset=100`)).body, ['records']);
    await expectDocumented('{"offset":".."}', (await send('GET', `${T}/events/buckets/0/offsets?at=earliest`)).body);
    await expectDocumented('`{"localLogStartOffset","highWatermark","segments","bytes"}`', (await send('GET', `${T}/events/buckets/0`)).body);
  });

  it('whoami and the recent metrics ring', async () => {
    await expectDocumented('`{"authentication","principal","super","grants":[{"resource","operations"}]}`', (await send('GET', '/v1/whoami')).body, [], ['resource', 'operations']);
    server.context.metrics.recent.sample(Date.now());
    const recent = (await send('GET', '/v1/metrics/recent')).body;
    await expectDocumented('`{"intervalMs","samples":{"time","appendedRows","upsertedRows","deletedRows","lookupKeys","fetchedBytes","errors","fsyncMs","fsyncMsMax"},"errorsByCode":[{"code","count","lastAt"}],"tables":[{"table","kind","buckets","records","bytes","segments","highWatermarks","tiering":{"pendingRecords","lagMs"}|null}]}`', recent, ['highWatermarks'], ['code', 'count', 'lastAt', 'pendingRecords', 'lagMs']);
  });

  it('primary-key writes, lookups and the rows snapshot', async () => {
    await expectDocumented('`{"rows":N,"buckets":[{"bucket":0,"baseOffset":"12","rows":3}]}`', (await send('POST', `${T}/users/upsert`, [{ team: 1, id: 1 }])).body);
    await expectDocumented('`{"rows":[row|null, ...]}`', (await send('POST', `${T}/users/lookup`, { keys: [{ team: 1, id: 1 }, { team: 1, id: 2 }] })).body, ['rows']);
    await expectDocumented('`{"rows":[[rows...], ...]}`', (await send('POST', `${T}/users/prefix-lookup`, { prefixes: [{ team: 1 }] })).body, ['rows']);
    await expectDocumented('`{"rows":[...],"cursor":string|null,"logOffset":".."}`', (await send('GET', `${T}/users/buckets/0/rows?limit=10`)).body, ['rows']);
  });

  it('the lake snapshot and its history', async () => {
    await send('PUT', `${T}/tiered`, { columns: [{ name: 'id', type: 'int64', nullable: false }], properties: { 'table.datalake.enabled': 'true', 'table.datalake.freshness': '1s' } });
    await send('POST', `${T}/tiered/append`, [{ id: 1 }, { id: 2 }]);
    let lake: { status: number; body: unknown } | undefined;
    const until = Date.now() + 30_000;
    while (Date.now() < until) {
      lake = await send('GET', `${T}/tiered/lake`);
      if ((lake.body as { files?: unknown[] }).files?.length) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect((lake!.body as { files: unknown[] }).files).toHaveLength(1);
    await expectDocumented('{"snapshotId","createdAt","buckets":[{"bucket","tieredOffset"}],"files":[{"uri","bucket","firstOffset","lastOffset","rows","bytes","kind"}],"status":{...},"lag":[{"bucket","pendingRecords","lagMs"}]}', lake!.body, ['status']);
    await expectDocumented('{"snapshots":[{"snapshotId","parentId","createdAt","files","rows","buckets":[{"bucket","tieredOffset"}]}]}', (await send('GET', `${T}/tiered/lake/snapshots`)).body);
  });

  it('416 carries the same fields from the local log and from the union read', async () => {
    const shape = '`{"error":{"code","message","earliest","latest"}}`';
    const ahead = await send('GET', `${T}/events/buckets/0/records?offset=999999`);
    expect(ahead.status).toBe(416);
    await expectDocumented(shape, ahead.body);
    expect(ahead.body).toMatchObject({ error: { earliest: '0', latest: '121' } });
    expect(await server.context.tables.enforceRetention(Date.now() + 60_000)).toBeGreaterThan(0);
    const start = ((await send('GET', `${T}/events/buckets/0`)).body as { localLogStartOffset: string }).localLogStartOffset;
    expect(BigInt(start)).toBeGreaterThan(0n);
    const deleted = await send('GET', `${T}/events/buckets/0/records?offset=0`);
    expect(deleted.status).toBe(416);
    await expectDocumented(shape, deleted.body);
    expect(deleted.body).toMatchObject({ error: { earliest: start, latest: '121' } });
  });
});
