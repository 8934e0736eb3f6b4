import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/common/seeded-random.js';
import { mkdirDurably, replaceFileDurably } from '../../src/common/storage-io.js';
import { TestingDisk } from '../../src/common/testing-disk.js';

const disk = (): TestingDisk => new TestingDisk(fs.mkdtempSync(path.join(os.tmpdir(), 'lakestream-io-')), 'cut', seededRandom(7));

describe('storage io helpers', () => {
  it('mkdirDurably: a new chain of folders survives a power loss, a plain mkdir does not', async () => {
    const d = disk();
    await mkdirDurably(d.io(), path.join(d.root, 'tables', '1', 'bucket-0'));
    d.io().mkdir(path.join(d.root, 'plain', 'bucket-0'));
    await d.io().fsyncDirectory(path.join(d.root, 'plain', 'bucket-0')); // the folder itself: not its name
    d.powerLoss();
    expect(fs.existsSync(path.join(d.root, 'plain'))).toBe(false);
    expect(fs.statSync(path.join(d.root, 'tables', '1', 'bucket-0')).isDirectory()).toBe(true);
  });

  it('replaceFileDurably: the new content survives a power loss; create-only leaves an existing file as it is', async () => {
    const d = disk();
    const file = path.join(d.root, 'catalog.json');
    expect(await replaceFileDurably(d.io(), file, 'v1')).toBe(true);
    expect(await replaceFileDurably(d.io(), file, 'v2', { tmp: path.join(d.root, 'x.tmp'), exclusive: true })).toBe(false);
    d.powerLoss();
    expect(fs.readFileSync(file, 'utf8')).toBe('v1');
    expect(fs.readdirSync(d.root)).toEqual(['catalog.json']);
  });
});
