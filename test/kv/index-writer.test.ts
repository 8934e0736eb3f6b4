import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LakestreamError } from '../../src/common/errors.js';
import { encodeIndexBatch } from '../../src/kv/index-batch.js';
import { IndexEnv, IndexWriter } from '../../src/kv/index-writer.js';
import { KeyFilter } from '../../src/kv/key-filter.js';
import { tempDir } from '../log/helpers.js';

const writer = new IndexWriter();
afterAll(() => writer.close());
const bytes = (...b: number[]) => new Uint8Array(b);

describe('IndexWriter', () => {
  it('writes a batch and the applied offset in one transaction the main thread then reads, and fills key filters from it', async () => {
    const env = IndexEnv.open(path.join(tempDir('lakestream-iw-'), 'kv'), 3, writer);
    const db = env.root.openDB<Buffer, Buffer>({ name: 'bucket-0', keyEncoding: 'binary', encoding: 'binary' });
    const meta = env.root.openDB<string, string>({ name: 'meta', encoding: 'string' });
    expect(db.get(Buffer.from([2]))).toBeUndefined(); // a read snapshot taken before the write
    await env.write('bucket-0', 'applied-0', encodeIndexBatch([{ key: bytes(2), value: bytes(20) }, { key: bytes(1), value: bytes(10) }]), 5n);
    expect([...db.getRange()].map(({ key, value }) => [[...key], [...value]])).toEqual([[[1], [10]], [[2], [20]]]);
    expect(meta.get('applied-0')).toBe('5');
    await env.write('bucket-0', 'applied-0', encodeIndexBatch([{ key: bytes(1), value: undefined }, { key: bytes(3), value: bytes() }]), 7n);
    expect([...db.getRange()].map(({ key, value }) => [[...key], [...value]])).toEqual([[[2], [20]], [[3], []]]);
    expect(meta.get('applied-0')).toBe('7');
    const { bits, keys } = await env.filterKeys('bucket-0', 100);
    const filter = new KeyFilter(100);
    filter.absorb(bits, keys);
    expect(keys).toBe(2);
    expect([filter.mightContain(bytes(2)), filter.mightContain(bytes(3))]).toEqual([true, true]);
    await env.close();
  });

  it('refuses a write it cannot do with STORAGE_ERROR, and serves the next one', async () => {
    const notADirectory = path.join(tempDir('lakestream-iw-'), 'file');
    fs.writeFileSync(notADirectory, 'x');
    const refused = writer.write(path.join(notADirectory, 'kv'), 3, 'bucket-0', 'applied-0', encodeIndexBatch([{ key: bytes(1), value: bytes(1) }]), 1n);
    await expect(refused).rejects.toBeInstanceOf(LakestreamError);
    await expect(refused).rejects.toMatchObject({ code: 'STORAGE_ERROR' });
    const env = IndexEnv.open(path.join(tempDir('lakestream-iw-'), 'kv'), 3, writer);
    await env.write('bucket-0', 'applied-0', encodeIndexBatch([{ key: bytes(9), value: bytes(9) }]), 1n);
    expect(env.root.openDB<Buffer, Buffer>({ name: 'bucket-0', keyEncoding: 'binary', encoding: 'binary' }).get(Buffer.from([9]))).toEqual(Buffer.from([9]));
    await env.close();
  });

  it('fails what was sent when its thread dies, and starts a new thread for what comes next', async () => {
    const own = new IndexWriter();
    const env = IndexEnv.open(path.join(tempDir('lakestream-iw-'), 'kv'), 3, own);
    // The first request starts the thread; it is stopped while still loading, before it takes the request.
    const pending = env.write('bucket-0', 'applied-0', encodeIndexBatch([{ key: bytes(2), value: bytes(2) }]), 2n);
    await own.close();
    await expect(pending).rejects.toMatchObject({ code: 'STORAGE_ERROR', message: expect.stringContaining('index writer thread stopped') });
    await env.write('bucket-0', 'applied-0', encodeIndexBatch([{ key: bytes(3), value: bytes(3) }]), 3n);
    expect(env.root.openDB<string, string>({ name: 'meta', encoding: 'string' }).get('applied-0')).toBe('3');
    await env.close();
    await own.close();
  });
});
