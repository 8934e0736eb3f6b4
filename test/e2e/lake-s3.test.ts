import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeParquet } from '../../src/lake/parquet.js';
import { createObjectStore, type ObjectStore } from '../../src/lake/object-store.js';
import { S3RVER_CREDENTIALS, startS3Server, type S3TestServer } from '../lake/s3-server.js';
import { call, startServer, type ServerProcess } from './helpers.js';

const T = '/v1/databases/s3/tables';
const columns = [{ name: 'id', type: 'int64', nullable: false }, { name: 'msg', type: 'string', nullable: true }] as const;
let s3: S3TestServer;
let store: ObjectStore;

const env = () => ({ AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey, AWS_REGION: 'us-east-1' });
const lakeArgs = () => ['--lake', `s3://${s3.bucket}/warehouse`, '--s3-endpoint', s3.endpoint, '--lake-orphan-grace', '1s'];

async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 40_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function append(server: ServerProcess, table: string, from: number, n: number): Promise<void> {
  const rows = Array.from({ length: n }, (_, i) => ({ id: from + i, msg: `m${from + i}` }));
  expect((await call(server.url, 'POST', `${T}/${table}/append`, rows)).status).toBe(200);
}

/** Every offset of the snapshot's files, read back from S3: no gap, no duplicate, no unlisted object. */
async function checkLake(table: string, expectedRows: number): Promise<void> {
  const prefix = `s3/${table}`;
  const head = (await store.list(`${prefix}/_snapshots/`)).map((o) => o.key).sort().at(-1)!;
  const snapshot = JSON.parse(Buffer.from((await store.get(head))!).toString());
  const offsets: bigint[] = [];
  for (const f of snapshot.files) {
    const decoded = await decodeParquet((await store.get(f.key))!, [...columns]);
    offsets.push(...decoded.offsets);
  }
  offsets.sort((a, b) => (a < b ? -1 : 1));
  expect(offsets.length).toBe(expectedRows);
  offsets.forEach((o, i) => expect(o).toBe(BigInt(i)));
  const listed = new Set(snapshot.files.map((f: any) => f.key));
  const objects = (await store.list(`${prefix}/bucket=`)).map((o) => o.key);
  expect(objects.filter((k) => !listed.has(k))).toEqual([]);
}

beforeAll(async () => {
  s3 = await startS3Server({ bucket: 'lake' });
  store = createObjectStore(`s3://${s3.bucket}/warehouse`, s3.storeOptions());
});
afterAll(async () => {
  await s3.close();
});

describe('tiering into S3 (s3rver on loopback)', () => {
  it('survives the S3 server going away mid-stream: lag is reported, nothing is lost, tiering resumes', async () => {
    const server = await startServer({ args: lakeArgs(), env: env() });
    try {
      expect((await call(server.url, 'GET', '/v1/health')).body.lake.ok).toBe(true);
      await call(server.url, 'PUT', '/v1/databases/s3');
      await call(server.url, 'PUT', `${T}/outage`, { columns, properties: { 'table.datalake.enabled': 'true', 'table.datalake.freshness': '1s' } });
      await append(server, 'outage', 0, 100);
      await until('first tiering', async () => (await call(server.url, 'GET', `${T}/outage/lake`)).body.buckets[0].tieredOffset === '100');
      await s3.stop();
      await append(server, 'outage', 100, 100);
      const failing = await until('failures reported', async () => {
        const body = (await call(server.url, 'GET', `${T}/outage/lake`)).body;
        return body.status.consecutiveFailures > 0 && body;
      });
      expect(failing.status.lastError).toBeTruthy();
      expect(Number(failing.lag[0].pendingRecords)).toBe(100);
      await s3.start();
      await until('tiering resumed', async () => (await call(server.url, 'GET', `${T}/outage/lake`)).body.buckets[0].tieredOffset === '200');
      await checkLake('outage', 200);
    } finally {
      await server.stop();
    }
  });

  it('recovers from a kill -9 between upload and commit: no gap, no duplicate, the orphan is collected', async () => {
    let server = await startServer({ args: lakeArgs(), env: { ...env(), LAKESTREAM_FAILPOINTS: 'tiering.before-commit' } });
    await call(server.url, 'PUT', '/v1/databases/s3?ifNotExists=true');
    await call(server.url, 'PUT', `${T}/crash`, { columns, properties: { 'table.datalake.enabled': 'true', 'table.datalake.freshness': '1s' } });
    await append(server, 'crash', 0, 50);
    await new Promise<void>((resolve) => server.proc.once('exit', () => resolve()));
    expect(server.proc.signalCode).toBe('SIGKILL');
    const uploaded = await store.list('s3/crash/bucket=');
    expect(uploaded.length).toBe(1);
    expect(await store.list('s3/crash/_snapshots/')).toEqual([]);

    server = await startServer({ dataDir: server.dataDir, args: lakeArgs(), env: env() });
    try {
      await until('tiering after restart', async () => (await call(server.url, 'GET', `${T}/crash/lake`)).body.buckets[0].tieredOffset === '50');
      await new Promise((r) => setTimeout(r, 1200));
      await append(server, 'crash', 50, 10);
      await until('orphan collected and new rows tiered', async () => {
        const lake = (await call(server.url, 'GET', `${T}/crash/lake`)).body;
        const objects = await store.list('s3/crash/bucket=');
        return lake.buckets[0].tieredOffset === '60' && objects.length === lake.files.length;
      });
      await checkLake('crash', 60);
    } finally {
      await server.stop();
    }
  });

  it('starts with a clear lake error when the bucket is missing, and keeps serving', async () => {
    const server = await startServer({ args: ['--lake', 's3://no-such-bucket/x', '--s3-endpoint', s3.endpoint], env: env() });
    try {
      const health = (await call(server.url, 'GET', '/v1/health')).body;
      expect(health.status).toBe('degraded');
      expect(health.lake.ok).toBe(false);
      expect(health.lake.error).toMatch(/no-such-bucket/);
      expect(server.output()).toMatch(/lake is not usable/);
      // Node 20 is supported: the SDK's "node >= 22" warning stays out of the server's output.
      expect(server.output()).not.toContain('NodeVersionSupportWarning');
      await call(server.url, 'PUT', '/v1/databases/s3?ifNotExists=true');
      expect((await call(server.url, 'GET', '/v1/databases')).status).toBe(200);
    } finally {
      await server.stop();
    }
  });
});
