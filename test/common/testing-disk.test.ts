import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/common/seeded-random.js';
import { replaceFileDurably, writeAll } from '../../src/common/storage-io.js';
import { TestingDisk } from '../../src/common/testing-disk.js';

function disk(mode: 'cut' | 'torn' = 'cut', seed = 1): TestingDisk {
  return new TestingDisk(fs.mkdtempSync(path.join(os.tmpdir(), 'lakestream-disk-')), mode, seededRandom(seed));
}

/** Appends `bytes` to `file` through the disk's io; returns the open fd. */
function append(d: TestingDisk, file: string, bytes: string): number {
  const fd = d.io().openAppend(path.join(d.root, file));
  writeAll(d.io(), fd, Buffer.from(bytes));
  return fd;
}

const read = (d: TestingDisk, file: string): string | undefined => {
  const p = path.join(d.root, file);
  return fs.existsSync(p) ? fs.readFileSync(p, 'utf8') : undefined;
};

describe('TestingDisk', () => {
  it('testing disk: a power loss cuts a file back to what its last fdatasync covered', async () => {
    const d = disk();
    const fd = append(d, 'a.log', 'synced');
    await d.io().fdatasync(fd);
    await d.io().fsyncDirectory(d.root);
    writeAll(d.io(), fd, Buffer.from('-lost'));
    expect(read(d, 'a.log')).toBe('synced-lost'); // the page cache has it
    d.powerLoss();
    expect(read(d, 'a.log')).toBe('synced');
    expect(d.figures.unsyncedBytesDropped).toBe(5);
  });

  it('testing disk: the io of a machine that lost its power fails with EIO, a new one works', async () => {
    const d = disk();
    const old = d.io();
    const fd = append(d, 'a.log', 'x');
    const sync = old.fdatasync(fd);
    d.powerLoss();
    await expect(sync).rejects.toMatchObject({ code: 'EIO' });
    expect(() => old.openAppend(path.join(d.root, 'b.log'))).toThrow(/power is off/);
    expect(() => old.close(fd)).not.toThrow();
    const fresh = append(d, 'b.log', 'y');
    await d.io().fdatasync(fresh);
    await d.io().fsyncDirectory(d.root);
    d.powerLoss();
    expect(read(d, 'b.log')).toBe('y');
    expect(read(d, 'a.log')).toBeUndefined(); // its directory entry was never synced
  });

  it('testing disk: a new file survives only once its directory is fsynced, a new folder once its parent is', async () => {
    const d = disk();
    d.io().mkdir(path.join(d.root, 'x', 'y'));
    const fd = append(d, 'x/y/f', 'data');
    await d.io().fdatasync(fd);
    await d.io().fsyncDirectory(path.join(d.root, 'x', 'y'));
    d.powerLoss();
    expect(fs.existsSync(path.join(d.root, 'x'))).toBe(false); // x's entry in root was never synced
    d.io().mkdir(path.join(d.root, 'x', 'y'));
    const again = append(d, 'x/y/f', 'data');
    await d.io().fdatasync(again);
    for (const dir of ['x/y', 'x', '']) await d.io().fsyncDirectory(path.join(d.root, dir));
    d.powerLoss();
    expect(read(d, 'x/y/f')).toBe('data');
  });

  it('testing disk: unsynced renames and unlinks are undone; a durable replace is kept', async () => {
    const d = disk();
    await replaceFileDurably(d.io(), path.join(d.root, 'cat.json'), 'v1');
    d.io().rename(path.join(d.root, 'cat.json'), path.join(d.root, 'moved.json'));
    d.powerLoss();
    expect([read(d, 'cat.json'), read(d, 'moved.json')]).toEqual(['v1', undefined]);
    d.io().unlink(path.join(d.root, 'cat.json'));
    d.powerLoss();
    expect(read(d, 'cat.json')).toBe('v1');
    await replaceFileDurably(d.io(), path.join(d.root, 'cat.json'), 'v2');
    d.powerLoss();
    expect(read(d, 'cat.json')).toBe('v2');
  });

  it('testing disk: a file renamed into place without an fdatasync may come back empty', async () => {
    const d = disk();
    const fd = d.io().create(path.join(d.root, 'idx.tmp'), false);
    writeAll(d.io(), fd, Buffer.from('index'));
    d.io().close(fd);
    d.io().rename(path.join(d.root, 'idx.tmp'), path.join(d.root, 'idx'));
    await d.io().fsyncDirectory(d.root);
    d.powerLoss();
    expect(read(d, 'idx')).toBe('');
  });

  it('testing disk: files it did not write (LMDB\'s) are left alone', async () => {
    const d = disk();
    d.io().mkdir(path.join(d.root, 'kv'));
    for (const dir of ['kv', '']) await d.io().fsyncDirectory(path.join(d.root, dir));
    fs.writeFileSync(path.join(d.root, 'kv', 'data.mdb'), 'lmdb');
    d.powerLoss();
    expect(read(d, 'kv/data.mdb')).toBe('lmdb');
  });

  it('testing disk: torn mode keeps the synced bytes and some whole sectors of the unsynced writes, in any order', async () => {
    const outcomes = new Set<string>();
    for (let seed = 1; seed <= 40; seed++) {
      const d = disk('torn', seed);
      const fd = append(d, 'a.log', 'S'.repeat(512));
      await d.io().fdatasync(fd);
      await d.io().fsyncDirectory(d.root);
      writeAll(d.io(), fd, Buffer.from('A'.repeat(1024)));
      writeAll(d.io(), fd, Buffer.from('B'.repeat(512)));
      d.powerLoss();
      const got = read(d, 'a.log')!;
      expect(got.slice(0, 512)).toBe('S'.repeat(512));
      expect(got.length % 512).toBe(0);
      outcomes.add(got.slice(512).replace(/(.)\1*/g, '$1').replace(/\0/g, '0'));
    }
    // Nothing kept, a prefix of A, B alone after a hole of zeros, both...
    expect(outcomes.has('')).toBe(true);
    expect(outcomes.has('A')).toBe(true);
    expect(outcomes.has('0B')).toBe(true);
    expect(outcomes.has('AB')).toBe(true);
  });
});
