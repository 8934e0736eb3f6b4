import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createObjectStore, type ObjectStore, type PutOptions } from '../../src/lake/object-store.js';
import {
  commitSnapshot, dataFileKey, decodeSnapshot, encodeSnapshot, findOrphans, latestSnapshot, lakeTablePrefix,
  listSnapshots, mergeTieredOffsets, newWriterToken, nextSnapshot, parseDataFileKey, parseSnapshotKey,
  readLakeHead, snapshotKey, type LakeFile, type LakeSnapshot,
} from '../../src/lake/snapshot.js';
import { TestingObjectStore } from '../../src/lake/testing-store.js';

const T = 'db/events';
let dir: string;
let store: ObjectStore;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lake-snap-'));
  store = createObjectStore(`file://${dir}`);
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function file(bucket: number, first: bigint, last: bigint, kind: LakeFile['kind'] = 'log'): LakeFile {
  return { key: dataFileKey(T, bucket, first, last), bucket, firstOffset: String(first), lastOffset: String(last), rows: Number(last - first + 1n), bytes: 100, kind };
}

function first(writer: string, files: LakeFile[] = [file(0, 0n, 9n)]): LakeSnapshot {
  return nextSnapshot(null, { id: 1, writer, createdAt: 1000, addFiles: files, tieredOffsets: [{ bucket: 0, tieredOffset: '10' }] });
}

describe('snapshot helpers (pure)', () => {
  it('snapshot: names keys as the layout says and parses them back', () => {
    expect(lakeTablePrefix('db', 'events')).toBe('db/events');
    expect(() => lakeTablePrefix('db', '../x')).toThrow(/cannot name/);
    expect(snapshotKey(T, 42)).toBe('db/events/_snapshots/00000000000000000042.json');
    expect(parseSnapshotKey(T, snapshotKey(T, 42))).toBe(42);
    expect(parseSnapshotKey(T, 'db/events/_snapshots/42.json')).toBeNull();
    expect(parseSnapshotKey('db/other', snapshotKey(T, 42))).toBeNull();
    const key = dataFileKey(T, 3, 100n, 199n, '0f8fad5b-d9cb-469f-a165-70867728950e');
    expect(key).toBe('db/events/bucket=3/100-199-0f8fad5b-d9cb-469f-a165-70867728950e.parquet');
    expect(parseDataFileKey(T, key)).toEqual({ bucket: 3, firstOffset: 100n, lastOffset: 199n, uuid: '0f8fad5b-d9cb-469f-a165-70867728950e' });
    expect(parseDataFileKey(T, 'db/events/bucket=3/notes.txt')).toBeNull();
    expect(() => dataFileKey(T, 0, 5n, 4n)).toThrow(/offset range/);
  });

  it('snapshot: merges tiered offsets per bucket and never moves one back', () => {
    const prev = [{ bucket: 0, tieredOffset: '10' }, { bucket: 2, tieredOffset: '5' }];
    expect(mergeTieredOffsets(prev, [{ bucket: 1, tieredOffset: '7' }, { bucket: 2, tieredOffset: '9223372036854775807' }])).toEqual([
      { bucket: 0, tieredOffset: '10' }, { bucket: 1, tieredOffset: '7' }, { bucket: 2, tieredOffset: '9223372036854775807' },
    ]);
    expect(() => mergeTieredOffsets(prev, [{ bucket: 0, tieredOffset: '9' }])).toThrow(/cannot move back/);
    expect(() => mergeTieredOffsets(prev, [{ bucket: 0, tieredOffset: '11' }, { bucket: 0, tieredOffset: '12' }])).toThrow(/twice/);
    expect(() => mergeTieredOffsets(prev, [{ bucket: 0, tieredOffset: '-1' }])).toThrow();
  });

  it('snapshot: next snapshot adds files, removes replaced ones and chains ids', () => {
    const s1 = first('w1', [file(0, 0n, 9n), file(0, 10n, 19n)]);
    expect(s1).toMatchObject({ id: 1, parentId: null, writer: 'w1' });
    const compacted = file(0, 0n, 19n, 'compacted');
    const s2 = nextSnapshot(s1, { id: 2, writer: 'w2', createdAt: 2000, addFiles: [compacted, file(0, 20n, 29n)], removeKeys: [s1.files[0]!.key], tieredOffsets: [{ bucket: 0, tieredOffset: '30' }] });
    expect(s2.parentId).toBe(1);
    expect(s2.files.map((f) => f.key)).toEqual([s1.files[1]!.key, compacted.key, s2.files[2]!.key]);
    expect(s2.buckets).toEqual([{ bucket: 0, tieredOffset: '30' }]);
    expect(() => nextSnapshot(s1, { id: 1, writer: 'w', createdAt: 0, addFiles: [], tieredOffsets: [] })).toThrow(/above the previous/);
    expect(() => nextSnapshot(s1, { id: 2, writer: 'w', createdAt: 0, addFiles: [s1.files[0]!], tieredOffsets: [] })).toThrow(/already/);
    expect(() => nextSnapshot(s1, { id: 2, writer: 'w', createdAt: 0, addFiles: [], removeKeys: ['nope'], tieredOffsets: [] })).toThrow(/does not list/);
  });

  it('snapshot: encodes to JSON and validates what it decodes', () => {
    const s = first('w1');
    expect(decodeSnapshot(encodeSnapshot(s))).toEqual(s);
    expect(() => decodeSnapshot(new TextEncoder().encode('{"id":1'))).toThrow(/not valid JSON/);
    const bad = { ...s, files: [{ ...s.files[0]!, lastOffset: 'x' }] };
    expect(() => decodeSnapshot(new TextEncoder().encode(JSON.stringify(bad)))).toThrow(/lastOffset/);
    expect(newWriterToken('t')).not.toBe(newWriterToken('t'));
  });
});

/** Lets both committers pass `head` before either puts, so the race is real. */
class BarrierStore extends TestingObjectStore {
  private waiting: (() => void)[] = [];
  constructor(inner: ObjectStore, private readonly parties: number, private readonly op: 'put' | 'get') {
    super(inner);
  }
  private async barrier(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.waiting.push(resolve);
      if (this.waiting.length === this.parties) for (const r of this.waiting.splice(0)) r();
    });
  }
  override async put(key: string, body: Uint8Array, opts?: PutOptions): Promise<{ created: boolean }> {
    if (this.op === 'put') await this.barrier();
    return super.put(key, body, opts);
  }
  override async get(key: string): Promise<Uint8Array | undefined> {
    if (this.op === 'get') await this.barrier();
    return super.get(key);
  }
}

describe('snapshot commit', () => {
  it('snapshot: two committers race for the same id on the local store; exactly one wins', async () => {
    const racing = new BarrierStore(store, 2, 'put');
    const a = first(newWriterToken('a'));
    const b = first(newWriterToken('b'), [file(0, 0n, 9n)]);
    const [ra, rb] = await Promise.all([commitSnapshot(racing, T, a), commitSnapshot(racing, T, b)]);
    expect([ra.committed, rb.committed].sort()).toEqual([false, true]);
    const loser = ra.committed ? rb : ra;
    expect(loser.reason).toBe('conditional-put-refused');
    const winner = ra.committed ? a : b;
    expect(await latestSnapshot(store, T)).toEqual(winner);
  });

  it('snapshot: a committer whose slot is already taken loses before writing', async () => {
    expect((await commitSnapshot(store, T, first('a'))).committed).toBe(true);
    const t = new TestingObjectStore(store);
    expect(await commitSnapshot(t, T, first('b'))).toMatchObject({ committed: false, reason: 'slot-taken' });
    expect(t.callsOf('put')).toHaveLength(0);
    expect((await latestSnapshot(store, T))!.writer).toBe('a');
  });

  it('snapshot: the read-back fence catches a racer on a store that ignores conditional puts', async () => {
    // Both pass head, both "create" (If-None-Match ignored, last put wins), both read back.
    const racing = new BarrierStore(store, 2, 'get');
    racing.ignoreIfNoneMatch = true;
    const a = first('writer-a');
    const b = first('writer-b');
    const [ra, rb] = await Promise.all([commitSnapshot(racing, T, a), commitSnapshot(racing, T, b)]);
    expect([ra.committed, rb.committed].sort()).toEqual([false, true]);
    const stored = await latestSnapshot(store, T);
    expect(stored!.writer).toBe(ra.committed ? 'writer-a' : 'writer-b');
    expect((ra.committed ? rb : ra).reason).toBe('fenced-by-read-back');
  });

  it('snapshot: the head is the newest readable snapshot; a torn one keeps its id taken', async () => {
    expect(await readLakeHead(store, T)).toEqual({ snapshot: null, nextId: 1, unreadableIds: [] });
    const s1 = first('w1');
    await commitSnapshot(store, T, s1);
    const s2 = nextSnapshot(s1, { id: 2, writer: 'w2', createdAt: 2, addFiles: [file(0, 10n, 19n)], tieredOffsets: [{ bucket: 0, tieredOffset: '20' }] });
    const torn = new TestingObjectStore(store).partialWriteNext(1, 0.5);
    await expect(commitSnapshot(torn, T, s2)).rejects.toThrow(/partial/);
    const head = await readLakeHead(store, T);
    expect(head.snapshot).toEqual(s1);
    expect(head.nextId).toBe(3);
    expect(head.unreadableIds).toEqual([2]);
    const s3 = nextSnapshot(head.snapshot, { id: head.nextId, writer: 'w3', createdAt: 3, addFiles: [file(0, 10n, 19n)], tieredOffsets: [{ bucket: 0, tieredOffset: '20' }] });
    expect((await commitSnapshot(store, T, s3)).committed).toBe(true);
    expect((await latestSnapshot(store, T))!.id).toBe(3);
    expect(await listSnapshots(store, T)).toEqual([1, 2, 3]);
  });

  it('snapshot: storage faults during commit surface as retriable errors', async () => {
    const t = new TestingObjectStore(store).failNext(1, ['put']);
    await expect(commitSnapshot(t, T, first('w'))).rejects.toMatchObject({ code: 'LAKE_UNAVAILABLE', retriable: true });
    expect(await latestSnapshot(store, T)).toBeNull();
    expect((await commitSnapshot(t, T, first('w'))).committed).toBe(true);
  });
});

describe('orphans', () => {
  it('orphans: lists data objects no snapshot references, past the grace period only', async () => {
    const listed = file(0, 0n, 9n);
    const s = first('w', [listed]);
    const orphan = dataFileKey(T, 0, 10n, 19n);
    const inFlight = dataFileKey(T, 1, 0n, 4n);
    for (const k of [listed.key, orphan, inFlight]) await store.put(k, new Uint8Array(5));
    await store.put(snapshotKey(T, 1), encodeSnapshot(s));
    await store.put(`${T}/bucket=0/readme.txt`, new Uint8Array(1));
    const old = new Date(Date.now() - 3_600_000);
    fs.utimesSync(path.join(dir, ...orphan.split('/')), old, old);
    fs.utimesSync(path.join(dir, ...listed.key.split('/')), old, old);
    const found = await findOrphans(store, T, s, 60_000);
    expect(found.map((o) => o.key)).toEqual([orphan]);
    expect(found[0]!.size).toBe(5);
    // With no grace everything unreferenced is an orphan; alsoReferenced protects keys.
    expect((await findOrphans(store, T, s, 0, { now: Date.now() + 1000 })).map((o) => o.key).sort()).toEqual([orphan, inFlight].sort());
    expect((await findOrphans(store, T, s, 0, { now: Date.now() + 1000, alsoReferenced: [orphan] })).map((o) => o.key)).toEqual([inFlight]);
    expect((await findOrphans(store, T, null, 60_000)).map((o) => o.key).sort()).toEqual([listed.key, orphan].sort());
  });
});
