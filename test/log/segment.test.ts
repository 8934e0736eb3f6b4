import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { OffsetIndex } from '../../src/log/offset-index.js';
import { appendRows, openLog, readAllIds, segmentFiles, tempDir } from './helpers.js';

const range = (n: number, from = 0): number[] => Array.from({ length: n }, (_, i) => from + i);

/** A closed log of `batches` batches of 3 rows in one segment; returns the batch boundaries in bytes. */
async function closedLog(batches: number): Promise<{ dir: string; file: string; ends: number[] }> {
  const dir = tempDir();
  const log = await openLog(dir);
  const ends: number[] = [];
  for (let b = 0; b < batches; b++) {
    await appendRows(log, 1, 3, b * 3);
    ends.push(log.stats().bytes);
  }
  await log.close();
  return { dir, file: path.join(dir, '00000000000000000000.log'), ends };
}

describe('segment recovery', () => {
  test('segment: truncates a torn tail', async () => {
    const { dir, file, ends } = await closedLog(5);
    fs.truncateSync(file, ends[4]! - 7); // the last batch loses its end
    const log = await openLog(dir);
    expect(log.highWatermark).toBe(12n);
    expect(fs.statSync(file).size).toBe(ends[3]);
    expect(await readAllIds(log)).toEqual(range(12));
    await appendRows(log, 1, 3, 12);
    expect(await readAllIds(log)).toEqual(range(15));
    await log.close();
  });

  test('segment: every cut inside the last batch keeps every full batch', async () => {
    const { dir, file, ends } = await closedLog(3);
    const original = fs.readFileSync(file);
    for (let cut = ends[1]!; cut < ends[2]!; cut++) {
      fs.writeFileSync(file, original.subarray(0, cut));
      const log = await openLog(dir);
      expect({ cut, hw: log.highWatermark }).toEqual({ cut, hw: 6n });
      expect(fs.statSync(file).size).toBe(ends[1]);
      await log.close();
    }
  });

  test('segment: truncates garbage written after the last batch', async () => {
    const { dir, file, ends } = await closedLog(4);
    fs.appendFileSync(file, Buffer.from('this is not a record batch, it is what a crash left behind'));
    const log = await openLog(dir);
    expect(log.highWatermark).toBe(12n);
    expect(fs.statSync(file).size).toBe(ends[3]);
    expect(await readAllIds(log)).toEqual(range(12));
    await log.close();
  });

  test('segment: a corrupt batch truncates the log there', async () => {
    const { dir, file, ends } = await closedLog(5);
    const bytes = fs.readFileSync(file);
    bytes[ends[2]! + 60]! ^= 0x40; // inside the fourth batch
    fs.writeFileSync(file, bytes);
    const log = await openLog(dir);
    expect(log.highWatermark).toBe(9n);
    expect(await readAllIds(log)).toEqual(range(9));
    await log.close();
  });

  test('segment: rebuilds deleted, garbage or short index files', async () => {
    const dir = tempDir();
    const opts = { segmentBytes: 4000, indexIntervalBytes: 300 };
    let log = await openLog(dir, opts);
    await appendRows(log, 60, 4);
    await log.close();
    const indexes = segmentFiles(dir, '.index');
    expect(indexes.length).toBeGreaterThan(4);
    fs.rmSync(path.join(dir, indexes[0]!));
    fs.writeFileSync(path.join(dir, indexes[1]!), Buffer.from('garbage'.repeat(40)));
    const third = path.join(dir, indexes[2]!);
    fs.truncateSync(third, fs.statSync(third).size - 5);
    fs.writeFileSync(path.join(dir, segmentFiles(dir, '.timeindex')[3]!), Buffer.alloc(24));

    log = await openLog(dir, opts);
    expect(log.highWatermark).toBe(240n);
    for (let offset = 0n; offset < 240n; offset += 1n) {
      const [batch] = await log.read(offset, { maxBytes: 1 });
      expect(batch!.baseOffset <= offset && offset <= batch!.lastOffset).toBe(true);
    }
    expect(await readAllIds(log)).toEqual(range(240));
    for (const name of indexes.slice(0, 3)) {
      const bytes = fs.readFileSync(path.join(dir, name));
      const size = fs.statSync(path.join(dir, name.replace('.index', '.log'))).size;
      expect(typeof OffsetIndex.decode(bytes, size)).not.toBe('string'); // rewritten
    }
    await log.close();
  });

  test('segment: an index of another segment is not trusted', async () => {
    const dir = tempDir();
    const opts = { segmentBytes: 3000, indexIntervalBytes: 200 };
    let log = await openLog(dir, opts);
    await appendRows(log, 40, 4);
    await log.close();
    const [a, b] = segmentFiles(dir, '.index');
    fs.copyFileSync(path.join(dir, b!), path.join(dir, a!));
    log = await openLog(dir, opts);
    expect(await readAllIds(log)).toEqual(range(160));
    await log.close();
  });

  test('segment: an empty trailing segment and an empty directory are fine', async () => {
    const dir = tempDir();
    let log = await openLog(dir);
    expect(log.highWatermark).toBe(0n);
    expect(log.logStartOffset).toBe(0n);
    expect(await log.read(0n, { maxBytes: 100 })).toEqual([]);
    await appendRows(log, 2, 5);
    await log.close();
    fs.writeFileSync(path.join(dir, '00000000000000000010.log'), ''); // a roll that wrote nothing
    log = await openLog(dir);
    expect(log.highWatermark).toBe(10n);
    expect(log.stats().segments).toBe(2);
    await appendRows(log, 1, 5, 10);
    expect(await readAllIds(log)).toEqual(range(15));
    await log.close();
  });

  test('segment: segments after a damaged older segment are dropped, the log stays dense', async () => {
    const dir = tempDir();
    const opts = { segmentBytes: 2000, indexIntervalBytes: 100 };
    let log = await openLog(dir, opts);
    await appendRows(log, 30, 4);
    await log.close();
    const logs = segmentFiles(dir, '.log');
    expect(logs.length).toBeGreaterThan(3);
    const second = path.join(dir, logs[1]!);
    fs.truncateSync(second, fs.statSync(second).size - 1); // as if the OS lost its end
    log = await openLog(dir, opts);
    const secondEnd = Number(BigInt(logs[2]!.slice(0, 20))) - 4; // its last batch is gone
    expect(log.highWatermark).toBe(BigInt(secondEnd));
    expect(await readAllIds(log)).toEqual(range(secondEnd));
    expect(segmentFiles(dir, '.log').length).toBe(3); // segment 0, segment 1, a fresh active one
    await appendRows(log, 1, 4, secondEnd);
    expect(await readAllIds(log)).toEqual(range(secondEnd + 4));
    await log.close();
  });
});
