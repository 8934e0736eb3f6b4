import path from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { batchRows, ipcToBatches } from '../../src/common/arrow.js';
import type { Column } from '../../src/common/schema.js';
import { seededRandom } from '../../src/common/seeded-random.js';
import type { StorageIo } from '../../src/common/storage-io.js';
import { TestingDisk } from '../../src/common/testing-disk.js';
import { CHANGE_TYPES } from '../../src/common/values.js';
import { IndexEnv, IndexWriter } from '../../src/kv/index-writer.js';
import { KvBucket } from '../../src/kv/kv-bucket.js';
import { createMergeEngine } from '../../src/kv/merge-engine.js';
import { RowCache } from '../../src/kv/row-cache.js';
import { decodeRow, encodeRow } from '../../src/kv/row-codec.js';
import { openLog, tempDir } from '../log/helpers.js';

const columns: Column[] = [{ name: 'id', type: 'int32', nullable: false }, { name: 'v', type: 'string', nullable: true }];
const closers: (() => Promise<unknown>)[] = [];
const writer = new IndexWriter();
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});
afterAll(() => writer.close());

async function openBucket(dir: string, rowCache = new RowCache(1 << 20), keyFilterMinKeys?: number, index = { writer, memtableBytes: 64 << 20 }, logIo?: StorageIo): Promise<KvBucket> {
  const log = await openLog(path.join(dir, 'log'), logIo ? { io: logIo } : {});
  const env = IndexEnv.open(path.join(dir, 'kv'), 3, index.writer);
  const def = { columns, primaryKey: ['id'], bucketKey: ['id'], buckets: 1, properties: {} } as never;
  const kv = await KvBucket.open(0, log, env, { columns, keyColumns: [columns[0]!], engine: createMergeEngine(def), image: 'FULL', prefixColumns: 0 }, { flushIntervalMs: 3_600_000, memtableBytes: index.memtableBytes, rowCache, keyFilterMinKeys });
  closers.push(() => env.close(), () => log.close(), () => kv.close());
  return kv;
}

async function upsert(kv: KvBucket, id: number, v: string): Promise<void> {
  const key = kv.keyOf({ id });
  await kv.commit(kv.planReplacements([key], [encodeRow(columns, { id, v })]));
}

const read = (kv: KvBucket, id: number) => {
  const bytes = kv.readBorrowed(kv.keyOf({ id }));
  return bytes === undefined ? undefined : decodeRow(columns, bytes).v;
};

/** A bucket whose index writer thread fails its `failingWrite`-th LMDB write (the thread reads the failpoint when it starts, at open). */
async function openFailingBucket(failingWrite: number, memtableBytes = 64 << 20): Promise<KvBucket> {
  const failing = new IndexWriter();
  closers.push(() => failing.close());
  vi.stubEnv('LAKESTREAM_FAILPOINTS', `index.write=throw@${failingWrite}`);
  try {
    return await openBucket(tempDir('lakestream-kv-'), undefined, undefined, { writer: failing, memtableBytes });
  } finally {
    vi.unstubAllEnvs();
  }
}

describe('KvBucket flush failures', () => {
  it('a failed flush refuses the writes after it and every later flush; reads still see every acknowledged row', async () => {
    const kv = await openFailingBucket(2);
    await upsert(kv, 1, 'a');
    await kv.flush();
    await upsert(kv, 2, 'b');
    await expect(kv.flush()).rejects.toMatchObject({ code: 'STORAGE_ERROR', status: 503, retriable: false, message: expect.stringMatching(/failpoint index\.write.*until a restart replays the changelog/) });
    expect(kv.failure?.code).toBe('STORAGE_ERROR');
    await expect(upsert(kv, 3, 'c')).rejects.toMatchObject({ code: 'STORAGE_ERROR' });
    // No later flush may record an applied offset past the rows that never reached LMDB.
    await expect(kv.flush()).rejects.toMatchObject({ code: 'STORAGE_ERROR' });
    expect(kv.appliedOffset()).toBe(1n);
    expect([read(kv, 1), read(kv, 2), read(kv, 3)]).toEqual(['a', 'b', undefined]);
  });

  it('a size-triggered flush that fails is handled, not left to reject unobserved; the next write is refused', async () => {
    const kv = await openFailingBucket(1, 256 << 10);
    // The commit that fills the memtable starts a flush it does not wait for (below twice the
    // limit); writes go on until that flush's failure refuses one. Unhandled, it would fail the run.
    let refusal: unknown;
    for (let id = 0; refusal === undefined && id < 10_000; id++) await upsert(kv, id, 'x'.repeat(1000)).catch((err: unknown) => (refusal = err));
    expect(refusal).toMatchObject({ code: 'STORAGE_ERROR' });
    await expect(upsert(kv, -1, 'refused')).rejects.toMatchObject({ code: 'STORAGE_ERROR' });
    expect(read(kv, 0)).toBe('x'.repeat(1000));
  });
});

describe('KvBucket memtables', () => {
  it('serves a frozen memtable while its flush runs, and writes made meanwhile after it', async () => {
    const kv = await openBucket(tempDir('lakestream-kv-'));
    await upsert(kv, 1, 'a');
    await upsert(kv, 2, 'b');
    const flushed = kv.flush();
    // The flush is queued on LMDB's write thread; until it commits, the frozen memtable answers.
    expect([read(kv, 1), read(kv, 2)]).toEqual(['a', 'b']);
    expect(kv.appliedOffset()).toBe(0n);
    await upsert(kv, 1, 'a2');
    expect(read(kv, 1)).toBe('a2');
    await flushed;
    expect(kv.appliedOffset()).toBe(2n);
    expect([read(kv, 1), read(kv, 2)]).toEqual(['a2', 'b']);
    await kv.flush();
    expect(kv.appliedOffset()).toBe(4n); // the update wrote -U and +U
    expect(read(kv, 1)).toBe('a2');
  });

  it('replays acknowledged writes that never reached LMDB when it opens again', async () => {
    const dir = tempDir('lakestream-kv-');
    const kv = await openBucket(dir);
    await upsert(kv, 1, 'a');
    await upsert(kv, 1, 'b');
    expect(kv.appliedOffset()).toBe(0n);
    // Close the log and the environment without the final flush, as a crash would leave them.
    for (const close of closers.splice(0, 2)) await close();
    closers.splice(0);
    const again = await openBucket(dir);
    expect(again.appliedOffset()).toBe(3n);
    expect(read(again, 1)).toBe('b');
  });

  it('acknowledges a write that changes nothing only once the write in flight it was planned against is durable', async () => {
    const dir = tempDir('lakestream-kv-');
    const disk = new TestingDisk(dir, 'cut', seededRandom(1));
    const kv = await openBucket(dir, undefined, undefined, undefined, disk.io());
    await upsert(kv, 1, 'a');
    const key = kv.keyOf({ id: 1 });
    const del = () => kv.commit(kv.plan([{ kind: 'delete', key, row: { id: 1 } }]));
    const first = del().catch(() => 'lost');
    expect(await del()).toEqual({ baseOffset: null, changes: 0 }); // nothing left to delete...
    disk.powerLoss(); // ...and the power goes the moment that is acknowledged
    expect(await first).not.toBe('lost');
    for (const close of closers.splice(0).reverse()) await close().catch(() => undefined);
    const again = await openBucket(dir, undefined, undefined, undefined, disk.io());
    expect(read(again, 1)).toBeUndefined();
  });

  it('keeps the row cache true to LMDB: flushed writes and deletes replace what it held', async () => {
    const cache = new RowCache(1 << 20);
    const kv = await openBucket(tempDir('lakestream-kv-'), cache);
    await upsert(kv, 1, 'a');
    await kv.flush();
    expect(read(kv, 1)).toBe('a');
    const hits = cache.hits;
    expect(read(kv, 1)).toBe('a');
    expect(cache.hits).toBe(hits + 1);
    await upsert(kv, 1, 'b');
    await upsert(kv, 2, 'c');
    await kv.flush();
    expect([read(kv, 1), read(kv, 2)]).toEqual(['b', 'c']);
    const key = kv.keyOf({ id: 1 });
    await kv.commit(kv.plan([{ kind: 'delete', key, row: { id: 1 } }]));
    await kv.flush();
    expect(read(kv, 1)).toBeUndefined();
    // An update plans against the cached old row: -U carries it.
    await upsert(kv, 2, 'd');
    const stored = await kv.log.read(0n, { maxBytes: 1 << 20 });
    const last = ipcToBatches(stored[stored.length - 1]!.arrowIpc).batches[0]!;
    expect(batchRows(last, ['_change_type', 'v'])).toEqual([{ _change_type: CHANGE_TYPES.indexOf('-U'), v: 'c' }, { _change_type: CHANGE_TYPES.indexOf('+U'), v: 'd' }]);
    expect(read(kv, 2)).toBe('d');
  });

  it('plans a whole-row batch that repeats a key against its own earlier row', async () => {
    const kv = await openBucket(tempDir('lakestream-kv-'));
    await upsert(kv, 1, 'a');
    const keys = [1, 2, 1, 2].map((id) => kv.keyOf({ id }));
    const plan = kv.planReplacements(keys, ['b', 'x', 'c', 'y'].map((v, i) => encodeRow(columns, { id: i % 2 === 0 ? 1 : 2, v })));
    await kv.commit(plan);
    const stored = await kv.log.read(1n, { maxBytes: 1 << 20 });
    const batch = ipcToBatches(stored[0]!.arrowIpc).batches[0]!;
    const code = (t: string) => CHANGE_TYPES.indexOf(t as never);
    expect(batchRows(batch, ['_change_type', 'v'])).toEqual([
      { _change_type: code('-U'), v: 'a' }, { _change_type: code('+U'), v: 'b' },
      { _change_type: code('+I'), v: 'x' },
      { _change_type: code('-U'), v: 'b' }, { _change_type: code('+U'), v: 'c' },
      { _change_type: code('-U'), v: 'x' }, { _change_type: code('+U'), v: 'y' },
    ]);
    expect([read(kv, 1), read(kv, 2)]).toEqual(['c', 'y']);
  });

  it('carries each key\'s own old row into -U when a batch reads several old rows from LMDB', async () => {
    // No row cache: every old row comes from lmdb-js's shared read buffer, which the next read reuses.
    const kv = await openBucket(tempDir('lakestream-kv-'), new RowCache(0));
    for (const [id, v] of [[1, 'a'], [2, 'b'], [3, 'c']] as const) await upsert(kv, id, v);
    await kv.flush();
    const ids = [1, 2, 3];
    await kv.commit(kv.planReplacements(ids.map((id) => kv.keyOf({ id })), ids.map((id) => encodeRow(columns, { id, v: `${id}!` }))));
    const stored = await kv.log.read(3n, { maxBytes: 1 << 20 });
    const batch = ipcToBatches(stored[0]!.arrowIpc).batches[0]!;
    expect(batchRows(batch, ['id', 'v']).map((r) => `${r.id}:${r.v}`)).toEqual(['1:a', '1:1!', '2:b', '2:2!', '3:c', '3:3!']);
  });

  it('never takes a key LMDB holds for a new one: key filters rebuilt as the bucket grows, and after a reopen', async () => {
    const dir = tempDir('lakestream-kv-');
    // No row cache, and filters sized for 8 keys: every old row is looked for past the filter, which is rebuilt often.
    let kv = await openBucket(dir, new RowCache(0), 8);
    const changeTypes = async (from: bigint) => {
      const stored = await kv.log.read(from, { maxBytes: 1 << 24 });
      return stored.flatMap((sb) => ipcToBatches(sb.arrowIpc).batches.flatMap((b) => batchRows(b, ['_change_type', 'v']).map((r) => `${CHANGE_TYPES[r._change_type as number]}${r.v}`)));
    };
    const write = async (ids: number[], v: string) => {
      const before = kv.log.highWatermark;
      await kv.commit(kv.planReplacements(ids.map((id) => kv.keyOf({ id })), ids.map((id) => encodeRow(columns, { id, v: `${v}${id}` }))));
      return changeTypes(before);
    };
    const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);
    for (let r = 0; r < 5; r++) {
      expect(await write(range(r * 40, 40), 'a')).toEqual(range(r * 40, 40).map((id) => `+Ia${id}`));
      if (r % 2 === 0) await kv.flush();
      await kv.keyFilterBuilt;
    }
    expect(await write(range(0, 200), 'b')).toEqual(range(0, 200).flatMap((id) => [`-Ua${id}`, `+Ub${id}`]));
    await kv.flush();
    for (const close of closers.splice(0)) await close();
    kv = await openBucket(dir, new RowCache(0), 8);
    await kv.keyFilterBuilt;
    expect(await write([...range(0, 200), ...range(1000, 20)], 'c')).toEqual([...range(0, 200).flatMap((id) => [`-Ub${id}`, `+Uc${id}`]), ...range(1000, 20).map((id) => `+Ic${id}`)]);
  });
});
