/** The S3 adapter against a real S3-compatible server (s3rver in a child process). */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createObjectStore } from '../../src/lake/object-store.js';
import type { S3ObjectStore } from '../../src/lake/s3-store.js';
import { closedPort, startS3Server, type S3TestServer } from './s3-server.js';

let s3: S3TestServer;
let store: S3ObjectStore;
const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array | undefined) => (b === undefined ? undefined : new TextDecoder().decode(b));

beforeAll(async () => {
  s3 = await startS3Server({ bucket: 'lake' });
  store = createObjectStore(`s3://${s3.bucket}/warehouse`, s3.storeOptions()) as S3ObjectStore;
});
afterAll(async () => {
  store?.destroy();
  await s3?.close();
});

describe('s3 object store', () => {
  it('s3 store: put, get, getRange, head, delete, uri', async () => {
    await store.check();
    expect(await store.put('db/t/a.bin', bytes('hello world'))).toEqual({ created: true });
    expect(text(await store.get('db/t/a.bin'))).toBe('hello world');
    expect(text(await store.getRange('db/t/a.bin', 6, 11))).toBe('world');
    expect(text(await store.getRange('db/t/a.bin', 0, 5))).toBe('hello');
    expect(await store.head('db/t/a.bin')).toEqual({ size: 11 });
    expect(await store.get('db/t/missing')).toBeUndefined();
    expect(await store.head('db/t/missing')).toBeUndefined();
    expect(store.uri('db/t/a.bin')).toBe('s3://lake/warehouse/db/t/a.bin');
    await store.delete(['db/t/a.bin', 'db/t/never-there']);
    expect(await store.get('db/t/a.bin')).toBeUndefined();
  });

  it('s3 store: keeps binary bodies byte-exact (no aws-chunked framing stored)', async () => {
    const body = new Uint8Array(300_000).map((_, i) => (i * 31) & 255);
    await store.put('bin/x', body);
    const back = await store.get('bin/x');
    expect(back?.length).toBe(body.length);
    expect(Buffer.from(back!).equals(Buffer.from(body))).toBe(true);
  });

  it('s3 store: lists across pages (more than 1000 keys), under the store prefix only', async () => {
    const keys = Array.from({ length: 1105 }, (_, i) => `many/k${String(i).padStart(5, '0')}`);
    for (let i = 0; i < keys.length; i += 50) await Promise.all(keys.slice(i, i + 50).map((k) => store.put(k, bytes('x'))));
    const other = createObjectStore(`s3://${s3.bucket}/elsewhere`, s3.storeOptions());
    await other.put('many/k00000', bytes('not ours'));
    const listed = await store.list('many/');
    expect(listed.map((o) => o.key)).toEqual(keys);
    expect(listed[0]).toMatchObject({ size: 1 });
    expect(Math.abs(listed[0]!.lastModified - Date.now())).toBeLessThan(120_000);
    await store.delete(keys);
    expect(await store.list('many/')).toEqual([]);
    expect(await other.list('many/')).toHaveLength(1);
  });

  it('s3 store: uploads a >16 MiB object in parts', async () => {
    const big = new Uint8Array(17 * 1024 * 1024 + 123);
    for (let i = 0; i < big.length; i += 4096) big[i] = (i / 4096) & 255;
    big[big.length - 1] = 99;
    const send = vi.spyOn(store.client, 'send');
    try {
      expect(await store.put('big/object', big)).toEqual({ created: true });
      const commands = send.mock.calls.map(([c]) => c.constructor.name);
      // 17 MiB in 8 MiB parts: create, 3 parts, complete.
      expect(commands.sort()).toEqual(['CompleteMultipartUploadCommand', 'CreateMultipartUploadCommand', 'UploadPartCommand', 'UploadPartCommand', 'UploadPartCommand']);
    } finally {
      send.mockRestore();
    }
    expect(await store.head('big/object')).toEqual({ size: big.length });
    const back = await store.get('big/object');
    expect(Buffer.from(back!).equals(Buffer.from(big))).toBe(true);
    const tail = await store.getRange('big/object', big.length - 10, big.length);
    expect(tail[9]).toBe(99);
    await store.delete(['big/object']);
  });

  it('s3 store: objects survive a server restart', async () => {
    await store.put('durable/k', bytes('still here'));
    await s3.restart();
    expect(text(await store.get('durable/k'))).toBe('still here');
  });

  it('s3 store: s3rver ignores If-None-Match, so a second create-only put "succeeds"', async () => {
    // This is why commitSnapshot reads its snapshot back: the conditional put alone is no fence here.
    expect(await store.put('cond/k', bytes('one'), { ifNoneMatch: true })).toEqual({ created: true });
    expect(await store.put('cond/k', bytes('two'), { ifNoneMatch: true })).toEqual({ created: true });
    expect(text(await store.get('cond/k'))).toBe('two');
  });

  it('s3 store: check() explains a missing bucket, bad credentials and an unreachable endpoint', async () => {
    const missing = createObjectStore('s3://no-such-bucket/x', s3.storeOptions());
    await expect(missing.check()).rejects.toMatchObject({ code: 'STORAGE_ERROR', message: expect.stringMatching(/bucket 'no-such-bucket' does not exist.*create it/) });
    const badCreds = createObjectStore(`s3://${s3.bucket}`, s3.storeOptions({ credentials: { accessKeyId: 'WRONG', secretAccessKey: 'WRONG' } }));
    await expect(badCreds.check()).rejects.toMatchObject({ code: 'STORAGE_ERROR', message: expect.stringMatching(/credentials|AWS_ACCESS_KEY_ID/) });
    const port = await closedPort();
    const down = createObjectStore(`s3://${s3.bucket}`, s3.storeOptions({ s3Endpoint: `http://127.0.0.1:${port}` }));
    await expect(down.check()).rejects.toMatchObject({ code: 'LAKE_UNAVAILABLE', retriable: true, message: expect.stringMatching(/unreachable/) });
    await expect(down.put('k', bytes('x'))).rejects.toMatchObject({ code: 'LAKE_UNAVAILABLE', message: expect.stringMatching(/cannot reach/) });
  });

  it('s3 store: operations fail with LAKE_UNAVAILABLE (retriable) while the server is down, and work after it returns', async () => {
    await s3.stop();
    try {
      await expect(store.get('durable/k')).rejects.toMatchObject({ code: 'LAKE_UNAVAILABLE', retriable: true });
    } finally {
      await s3.start();
    }
    expect(text(await store.get('durable/k'))).toBe('still here');
  });
});
