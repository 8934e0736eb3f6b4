import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LakestreamError } from '../../src/common/errors.js';
import { DiskSpace } from '../../src/server/disk-space.js';

const MB = 1024 * 1024;
const RESERVE = MB;
const quiet = { info: () => undefined, warn: () => undefined };
let dir: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lakestream-disk-space-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', dir]);
});

afterAll(() => {
  execFileSync('umount', [dir]);
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Writes a file of zeros until the disk has fewer than `leftBytes` free (or is full). */
function fillUntil(file: string, leftBytes: number): void {
  const fd = fs.openSync(file, 'w');
  const chunk = Buffer.alloc(64 * 1024);
  try {
    for (;;) {
      const s = fs.statfsSync(dir);
      if (s.bavail * s.bsize < leftBytes) return;
      fs.writeSync(fd, chunk);
    }
  } catch (err) {
    expect((err as NodeJS.ErrnoException).code).toBe('ENOSPC');
  } finally {
    fs.closeSync(fd);
  }
}

describe('disk space', () => {
  it('disk space: the reserve is taken at start, released at the first ENOSPC, and taken again once it fits twice over', () => {
    const data = path.join(dir, 'a');
    fs.mkdirSync(data);
    const disk = new DiskSpace(data, quiet, RESERVE);
    disk.start();
    expect(fs.statSync(path.join(data, 'disk-reserve')).size).toBe(RESERVE);
    expect(disk.isFull()).toBe(false);
    disk.observe(new LakestreamError('STORAGE_ERROR', 'an index fault with plenty of room')); // not a full disk
    expect(disk.isFull()).toBe(false);

    const filler = path.join(dir, 'filler');
    fillUntil(filler, 64 * 1024);
    disk.observe(Object.assign(new Error('no space left on device'), { code: 'ENOSPC' }));
    expect(fs.existsSync(path.join(data, 'disk-reserve'))).toBe(false);
    expect(disk.releaseReserve()).toBe(false); // released once
    expect(disk.isFull()).toBe(true); // the reserve's megabyte is free, but not twice over
    expect(() => disk.admitWrite()).toThrow(expect.objectContaining({ code: 'INSUFFICIENT_STORAGE', status: 507 }));

    fs.rmSync(filler);
    expect(disk.isFull()).toBe(false);
    expect(() => disk.admitWrite()).not.toThrow();
    expect(fs.statSync(path.join(data, 'disk-reserve')).size).toBe(RESERVE);
    fs.rmSync(data, { recursive: true });
  });

  it('disk space: a server started on a disk without room for the reserve starts full, leaving no partial reserve', () => {
    const data = path.join(dir, 'b');
    fs.mkdirSync(data);
    const filler = path.join(dir, 'filler');
    fillUntil(filler, RESERVE / 2);
    const disk = new DiskSpace(data, quiet, RESERVE);
    disk.start();
    expect(disk.isFull()).toBe(true);
    expect(fs.existsSync(path.join(data, 'disk-reserve'))).toBe(false);
    fs.rmSync(filler);
    expect(disk.isFull()).toBe(false);
    fs.rmSync(data, { recursive: true });
  });
});
