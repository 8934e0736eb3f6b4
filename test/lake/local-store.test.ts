import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalObjectStore } from '../../src/lake/local-store.js';
import { createObjectStore, parseLakeUrl } from '../../src/lake/object-store.js';
import { seededRandom } from '../../src/common/seeded-random.js';
import { TestingObjectStore } from '../../src/lake/testing-store.js';

let dir: string;
let store: LocalObjectStore;
const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array | undefined) => (b === undefined ? undefined : new TextDecoder().decode(b));

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lake-local-'));
  store = createObjectStore(`file://${dir}`) as LocalObjectStore;
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('local object store', () => {
  it('local store: put, get, getRange, head, overwrite', async () => {
    expect(await store.put('db/t/a.bin', bytes('hello world'))).toEqual({ created: true });
    expect(text(await store.get('db/t/a.bin'))).toBe('hello world');
    expect(text(await store.getRange('db/t/a.bin', 6, 11))).toBe('world');
    expect(text(await store.getRange('db/t/a.bin', 6, 1000))).toBe('world');
    expect(await store.head('db/t/a.bin')).toEqual({ size: 11 });
    expect(await store.get('db/t/missing')).toBeUndefined();
    expect(await store.head('db/t/missing')).toBeUndefined();
    await expect(store.getRange('db/t/missing', 0, 1)).rejects.toMatchObject({ code: 'STORAGE_ERROR' });
    await store.put('db/t/a.bin', bytes('bye'));
    expect(text(await store.get('db/t/a.bin'))).toBe('bye');
    expect(fs.readFileSync(path.join(dir, 'db', 't', 'a.bin'), 'utf8')).toBe('bye');
    expect(store.uri('db/t/a.bin')).toBe(`file://${dir}/db/t/a.bin`);
  });

  it('local store: ifNoneMatch is a real create-exclusive, also under a race', async () => {
    expect(await store.put('s/1.json', bytes('first'), { ifNoneMatch: true })).toEqual({ created: true });
    expect(await store.put('s/1.json', bytes('second'), { ifNoneMatch: true })).toEqual({ created: false });
    expect(text(await store.get('s/1.json'))).toBe('first');
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => store.put('s/2.json', bytes(`w${i}`), { ifNoneMatch: true })));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    const winner = results.findIndex((r) => r.created);
    expect(text(await store.get('s/2.json'))).toBe(`w${winner}`);
    // No temporary files are left behind.
    expect(fs.readdirSync(path.join(dir, '.tmp'))).toEqual([]);
  });

  it('local store: lists every key under a prefix in key order, hiding temp files', async () => {
    for (const k of ['db/t/bucket=1/b', 'db/t/bucket=1/a', 'db/t/bucket=10/x', 'db/t/_snapshots/1.json', 'db/u/z', 'top']) await store.put(k, bytes(k));
    fs.writeFileSync(path.join(dir, '.tmp', 'junk.tmp'), 'x');
    expect((await store.list('db/t/bucket=1/')).map((o) => o.key)).toEqual(['db/t/bucket=1/a', 'db/t/bucket=1/b']);
    expect((await store.list('db/t/bucket=1')).map((o) => o.key)).toEqual(['db/t/bucket=1/a', 'db/t/bucket=1/b', 'db/t/bucket=10/x']);
    expect((await store.list('db/')).map((o) => o.key)).toEqual(['db/t/_snapshots/1.json', 'db/t/bucket=1/a', 'db/t/bucket=1/b', 'db/t/bucket=10/x', 'db/u/z']);
    expect((await store.list('')).length).toBe(6);
    expect(await store.list('nothing/')).toEqual([]);
    const [first] = await store.list('db/u/');
    expect(first).toMatchObject({ key: 'db/u/z', size: 6 });
    expect(Math.abs(first!.lastModified - Date.now())).toBeLessThan(60_000);
    await store.delete(['db/u/z', 'db/never']);
    expect(await store.list('db/u/')).toEqual([]);
  });

  it('local store: refuses keys that escape the root', async () => {
    for (const k of ['../x', '/abs', 'a//b', 'a/./b', 'a/../../b', '']) {
      await expect(store.put(k, bytes('x'))).rejects.toMatchObject({ code: 'INVALID_PARAMETER' });
    }
    expect(fs.existsSync(path.join(dir, '..', 'x'))).toBe(false);
  });

  it('local store: check() creates the folder and reports one it cannot write', async () => {
    const nested = createObjectStore(`file://${dir}/new/lake`);
    await nested.check();
    expect(fs.existsSync(path.join(dir, 'new', 'lake'))).toBe(true);
    fs.writeFileSync(path.join(dir, 'afile'), 'x');
    await expect(createObjectStore(`file://${dir}/afile/lake`).check()).rejects.toMatchObject({ code: 'STORAGE_ERROR', message: expect.stringMatching(/afile/) });
  });

  it('lake URL: file and s3 forms parse; others are refused', () => {
    expect(parseLakeUrl('file://./data/lake', '/srv')).toEqual({ scheme: 'file', location: '/srv/data/lake', prefix: '' });
    expect(parseLakeUrl('file:///var/lake')).toEqual({ scheme: 'file', location: '/var/lake', prefix: '' });
    expect(parseLakeUrl('s3://my-bucket/wh/prod/')).toEqual({ scheme: 's3', location: 'my-bucket', prefix: 'wh/prod' });
    expect(parseLakeUrl('s3://my-bucket')).toEqual({ scheme: 's3', location: 'my-bucket', prefix: '' });
    expect(() => parseLakeUrl('http://x')).toThrow(/file:\/\/ or s3:\/\//);
    expect(() => parseLakeUrl('s3://Bad_Bucket/x')).toThrow(/bucket name/);
  });
});

describe('testing object store', () => {
  it('testing store: fails the next N calls of the chosen ops, then heals', async () => {
    const t = new TestingObjectStore(store).failNext(2, ['put']);
    await expect(t.put('a', bytes('1'))).rejects.toMatchObject({ code: 'LAKE_UNAVAILABLE', retriable: true });
    expect(await t.get('a')).toBeUndefined(); // gets are not affected
    await expect(t.put('a', bytes('1'))).rejects.toThrow(/injected/);
    expect(await store.get('a')).toBeUndefined(); // failed calls never reached the inner store
    await t.put('a', bytes('1'));
    expect(text(await store.get('a'))).toBe('1');
    expect(t.callsOf('put').map((c) => c.outcome)).toEqual(['failed', 'failed', 'ok']);
  });

  it('testing store: a seeded failure rate fails about that fraction, reproducibly', async () => {
    const run = async (seed: number) => {
      const t = new TestingObjectStore(store, { seed, failureRate: 0.3, failureOps: ['head'] });
      const outcomes: boolean[] = [];
      for (let i = 0; i < 200; i++) outcomes.push(await t.head('x').then(() => true, () => false));
      return outcomes;
    };
    const a = await run(42);
    expect(await run(42)).toEqual(a);
    const failed = a.filter((ok) => !ok).length;
    expect(failed).toBeGreaterThan(35);
    expect(failed).toBeLessThan(85);
    expect(seededRandom(1)()).not.toBe(seededRandom(2)());
  });

  it('testing store: a partial write leaves a truncated object and throws', async () => {
    const t = new TestingObjectStore(store).partialWriteNext(1, 0.25);
    await expect(t.put('p', bytes('0123456789abcdef'))).rejects.toThrow(/partial write/);
    expect(text(await store.get('p'))).toBe('0123');
    await t.put('p', bytes('whole'));
    expect(text(await store.get('p'))).toBe('whole');
  });

  it('testing store: latency delays calls', async () => {
    const t = new TestingObjectStore(store, { latencyMs: 40 });
    const started = performance.now();
    await t.head('x');
    expect(performance.now() - started).toBeGreaterThanOrEqual(35);
  });
});
