import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Column } from '../../src/common/schema.js';
import type { ChangeType, Row } from '../../src/common/values.js';
import { planLakeRead, readLakeRange } from '../../src/lake/lake-reader.js';
import { createObjectStore, type ObjectStore } from '../../src/lake/object-store.js';
import { encodeParquet } from '../../src/lake/parquet.js';
import {
  commitSnapshot, dataFileKey, latestSnapshot, newWriterToken, nextSnapshot, readLakeHead, type LakeFile, type LakeSnapshot,
} from '../../src/lake/snapshot.js';
import { TestingObjectStore } from '../../src/lake/testing-store.js';
import { startS3Server, type S3TestServer } from './s3-server.js';

const T = 'db/orders';
const COLUMNS: Column[] = [
  { name: 'id', type: 'int64', nullable: false },
  { name: 'item', type: 'string', nullable: true },
  { name: 'price', type: 'float64', nullable: true },
];

function rowAt(offset: bigint): Row {
  return { id: offset * 10n, item: `item-${offset}`, price: Number(offset) / 4 };
}

/** One tiering round for one bucket: encode [first, last], upload, commit. Returns the new snapshot. */
async function tierRound(store: ObjectStore, bucket: number, first: bigint, last: bigint, changelog = false): Promise<LakeSnapshot> {
  const offsets: bigint[] = [];
  for (let o = first; o <= last; o++) offsets.push(o);
  const rows = offsets.map(rowAt);
  const changeTypes: ChangeType[] | undefined = changelog ? offsets.map((o) => (o % 2n === 0n ? '+I' : '-D')) : undefined;
  const bytes = encodeParquet(COLUMNS, { rows, bucket, offsets, timestamps: offsets.map((o) => 1_700_000_000_000 + Number(o)), changeTypes }, { compression: 'zstd', rowGroupRows: 16 });
  const key = dataFileKey(T, bucket, first, last);
  await store.put(key, bytes);
  const file: LakeFile = { key, bucket, firstOffset: String(first), lastOffset: String(last), rows: rows.length, bytes: bytes.length, kind: changelog ? 'changelog' : 'log' };
  const head = await readLakeHead(store, T);
  const next = nextSnapshot(head.snapshot, { id: head.nextId, writer: newWriterToken('test'), createdAt: Date.now(), addFiles: [file], tieredOffsets: [{ bucket, tieredOffset: String(last + 1n) }] });
  const result = await commitSnapshot(store, T, next);
  expect(result.committed).toBe(true);
  return next;
}

describe('lake reader (local store)', () => {
  let dir: string;
  let store: ObjectStore;
  let snapshot: LakeSnapshot;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lake-reader-'));
    store = createObjectStore(`file://${dir}`);
    // bucket 0: [0, 49] [50, 99] [100, 149]; bucket 1: [0, 29]
    await tierRound(store, 0, 0n, 49n);
    await tierRound(store, 1, 0n, 29n);
    await tierRound(store, 0, 50n, 99n);
    snapshot = await tierRound(store, 0, 100n, 149n);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('lake reader: plans only the files that cover the range, in offset order', () => {
    expect(planLakeRead(snapshot, 0, 0n).map((f) => f.firstOffset)).toEqual(['0', '50', '100']);
    expect(planLakeRead(snapshot, 0, 75n).map((f) => f.firstOffset)).toEqual(['50', '100']);
    expect(planLakeRead(snapshot, 0, 150n)).toEqual([]);
    expect(planLakeRead(snapshot, 1, 0n).map((f) => f.bucket)).toEqual([1]);
  });

  it('lake reader: reads [from, tiered) in offset order across files, reading only what it needs', async () => {
    const t = new TestingObjectStore(store);
    const r = await readLakeRange(t, snapshot, 0, 45n, 20);
    expect(r.offsets).toEqual(Array.from({ length: 20 }, (_, i) => 45n + BigInt(i)));
    expect(r.rows[0]).toEqual(rowAt(45n));
    expect(r.rows[19]).toEqual(rowAt(64n));
    expect(r.timestamps[0]).toBe(1_700_000_000_045);
    expect(r.changeTypes).toBeNull();
    expect(r.nextOffset).toBe(65n);
    expect(r.tieredOffset).toBe(150n);
    // Two files hold offsets 45..64; the third is never fetched.
    expect(t.callsOf('get').map((c) => c.key)).toEqual(r.filesRead);
    expect(r.filesRead).toHaveLength(2);

    const rest = await readLakeRange(store, snapshot, 0, r.nextOffset, 1000);
    expect(rest.offsets[0]).toBe(65n);
    expect(rest.offsets.at(-1)).toBe(149n);
    expect(rest.rows).toHaveLength(85);
    expect(rest.nextOffset).toBe(150n);
  });

  it('lake reader: from the tiered offset on there is nothing in the lake', async () => {
    const r = await readLakeRange(store, snapshot, 1, 30n, 10);
    expect(r.rows).toEqual([]);
    expect(r.nextOffset).toBe(30n);
    expect(r.filesRead).toEqual([]);
  });

  it('lake reader: projects columns and uses the table columns it is given', async () => {
    const r = await readLakeRange(store, snapshot, 1, 0n, 5, { columns: [...COLUMNS, { name: 'added_later', type: 'int32', nullable: true }], projection: ['item', 'added_later'] });
    expect(r.rows[0]).toEqual({ item: 'item-0', added_later: null });
  });

  it('lake reader: a file the snapshot lists but the store lost is a STORAGE_ERROR', async () => {
    const broken: LakeSnapshot = { ...snapshot, files: snapshot.files.map((f, i) => (i === 0 ? { ...f, key: dataFileKey(T, 0, 0n, 49n) } : f)) };
    await expect(readLakeRange(store, broken, 0, 0n, 10)).rejects.toMatchObject({ code: 'STORAGE_ERROR', message: expect.stringMatching(/missing/) });
    await expect(readLakeRange(store, snapshot, 0, 0n, 0)).rejects.toMatchObject({ code: 'INVALID_PARAMETER' });
  });
});

describe('lake on S3 (s3rver)', () => {
  let s3: S3TestServer;
  let store: ObjectStore;
  beforeAll(async () => {
    s3 = await startS3Server({ bucket: 'warehouse' });
    store = createObjectStore(`s3://${s3.bucket}/lake`, s3.storeOptions());
  });
  afterAll(async () => s3?.close());

  it('lake on S3: tier two changelog rounds, restart the server, read them back', async () => {
    await tierRound(store, 2, 0n, 39n, true);
    await tierRound(store, 2, 40n, 59n, true);
    await s3.restart();
    const snapshot = await latestSnapshot(store, T);
    expect(snapshot!.id).toBe(2);
    expect(snapshot!.buckets).toEqual([{ bucket: 2, tieredOffset: '60' }]);
    const r = await readLakeRange(store, snapshot!, 2, 30n, 100);
    expect(r.offsets).toEqual(Array.from({ length: 30 }, (_, i) => 30n + BigInt(i)));
    expect(r.changeTypes!.slice(0, 2)).toEqual(['+I', '-D']);
    expect(r.rows[29]).toEqual(rowAt(59n));
    // A second committer for id 2 loses: the slot is taken.
    const stale = nextSnapshot(null, { id: 2, writer: newWriterToken('stale'), createdAt: 0, addFiles: [], tieredOffsets: [{ bucket: 2, tieredOffset: '1' }] });
    expect(await commitSnapshot(store, T, stale)).toMatchObject({ committed: false });
    expect((await latestSnapshot(store, T))!.buckets).toEqual([{ bucket: 2, tieredOffset: '60' }]);
  });
});
