import fs from 'node:fs';
import { describe, expect, test } from 'vitest';
import { LakestreamError } from '../../src/common/errors.js';
import { BucketLog } from '../../src/log/bucket-log.js';
import { appendRows, arrowRows, gate, idsOf, logOptions, openLog, readAllIds, segmentFiles, tempDir, TestingIo } from './helpers.js';

const range = (n: number, from = 0): number[] => Array.from({ length: n }, (_, i) => from + i);

async function rejection(p: Promise<unknown>): Promise<LakestreamError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(LakestreamError);
  return err as LakestreamError;
}

describe('bucket log', () => {
  for (const compression of ['none', 'lz4', 'zstd'] as const) {
    test(`bucket log: offsets are dense from 0 and reads return what was appended (${compression})`, async () => {
      const log = await openLog(tempDir(), { compression });
      const results = [];
      for (let b = 0; b < 10; b++) results.push(await log.append({ arrowIpc: arrowRows(b * 7, 7), recordCount: 7, hasChangeType: b % 2 === 0 }));
      expect(results.map((r) => [r.baseOffset, r.lastOffset, r.duplicate])).toEqual(range(10).map((b) => [BigInt(b * 7), BigInt(b * 7 + 6), false]));
      expect(log.highWatermark).toBe(70n);
      const batches = await log.read(0n, { maxBytes: 1 << 20 });
      expect(batches.map((b) => b.hasChangeType)).toEqual(range(10).map((b) => b % 2 === 0));
      expect(batches.flatMap((b) => idsOf(b.arrowIpc))).toEqual(range(70));
      await log.close();
    });
  }

  test('bucket log: a read from the middle of a batch returns the containing batch', async () => {
    const log = await openLog(tempDir(), { indexIntervalBytes: 0 });
    await appendRows(log, 5, 10);
    for (const offset of [0n, 13n, 19n, 20n, 49n]) {
      const [first] = await log.read(offset, { maxBytes: 1 });
      expect(first!.baseOffset).toBe((offset / 10n) * 10n);
      expect(first!.recordCount).toBe(10);
    }
    await log.close();
  });

  test('bucket log: maxBytes and maxRecords bound a read, but the first batch always comes', async () => {
    const log = await openLog(tempDir());
    await appendRows(log, 10, 5);
    const one = await log.read(0n, { maxBytes: 1 });
    expect(one).toHaveLength(1);
    const size = one[0]!.storedBytes;
    expect(await log.read(0n, { maxBytes: size * 3 })).toHaveLength(3);
    expect(await log.read(0n, { maxBytes: size * 3 - 1 })).toHaveLength(2);
    expect(await log.read(12n, { maxBytes: 1 << 20, maxRecords: 10 })).toHaveLength(2);
    expect(await log.read(12n, { maxBytes: 1 << 20, maxRecords: 1 })).toHaveLength(1);
    expect((await log.read(0n, { maxBytes: 1 << 20 })).length).toBe(10);
    await expect(log.read(0n, { maxBytes: 0 })).rejects.toMatchObject({ code: 'INVALID_PARAMETER' });
    await log.close();
  });

  test('bucket log: reads outside [logStartOffset, highWatermark] are OFFSET_OUT_OF_RANGE', async () => {
    const log = await openLog(tempDir());
    await appendRows(log, 2, 5);
    expect(await log.read(10n, { maxBytes: 100 })).toEqual([]); // at the high watermark: nothing yet
    const err = await rejection(log.read(11n, { maxBytes: 100 }));
    expect(err.code).toBe('OFFSET_OUT_OF_RANGE');
    expect(err.message).toContain('[0, 10]');
    expect(err.details).toEqual({ earliest: '0', latest: '10' });
    expect((await rejection(log.read(-1n, { maxBytes: 100 }))).code).toBe('OFFSET_OUT_OF_RANGE');
    await log.close();
  });

  test('bucket log: rolls segments at segmentBytes and reads across them', async () => {
    const dir = tempDir();
    const log = await openLog(dir, { segmentBytes: 2500, indexIntervalBytes: 256 });
    await appendRows(log, 50, 6);
    const stats = log.stats();
    expect(stats.segments).toBeGreaterThan(5);
    expect(segmentFiles(dir, '.log')).toHaveLength(stats.segments);
    const bases = segmentFiles(dir, '.log').map((n) => Number(n.slice(0, 20)));
    expect(bases.every((b) => b % 6 === 0)).toBe(true); // segments start at batch boundaries
    for (const name of segmentFiles(dir, '.log').slice(0, -1)) expect(fs.statSync(`${dir}/${name}`).size).toBeLessThanOrEqual(2500);
    expect((await log.read(0n, { maxBytes: 1 << 20 })).flatMap((b) => idsOf(b.arrowIpc))).toEqual(range(300));
    expect(await readAllIds(log, 97n)).toEqual(range(300 - 97, 97));
    await log.close();
  });

  test('bucket log: concurrent appends share fsyncs', async () => {
    const io = new TestingIo();
    const held = gate();
    io.fdatasyncGate = held.opened;
    const log = await openLog(tempDir(), { io });
    const first = Array.from({ length: 50 }, (_, i) => log.append({ arrowIpc: arrowRows(i, 1), recordCount: 1 }));
    await io.fdatasyncsStarted(1); // the first group commit is now in flight
    const second = Array.from({ length: 50 }, (_, i) => log.append({ arrowIpc: arrowRows(50 + i, 1), recordCount: 1 }));
    held.open();
    const results = await Promise.all([...first, ...second]);
    expect(results.map((r) => r.baseOffset)).toEqual(range(100).map(BigInt));
    expect(io.fdatasyncs).toBe(2);
    await log.close();
  });

  test('bucket log: the high watermark advances only after the fsync', async () => {
    const io = new TestingIo();
    const held = gate();
    io.fdatasyncGate = held.opened;
    const log = await openLog(tempDir(), { io });
    const pending = log.append({ arrowIpc: arrowRows(0, 3), recordCount: 3 });
    let woke = false;
    const waiting = log.waitForData(0n, 10_000).then(() => (woke = true));
    await io.fdatasyncsStarted(1); // written, its fsync in flight
    expect(log.highWatermark).toBe(0n);
    expect(await log.read(0n, { maxBytes: 100 })).toEqual([]);
    expect(woke).toBe(false);
    held.open();
    expect(await pending).toEqual({ baseOffset: 0n, lastOffset: 2n, duplicate: false });
    expect(log.highWatermark).toBe(3n);
    await waiting;
    expect(woke).toBe(true);
    await log.close();
  });

  test('bucket log: appendMany writes every batch with one fsync', async () => {
    const io = new TestingIo();
    const log = await openLog(tempDir(), { io });
    const results = await log.appendMany([0, 1, 2].map((b) => ({ arrowIpc: arrowRows(b * 4, 4), recordCount: 4 })));
    expect(results.map((r) => r.baseOffset)).toEqual([0n, 4n, 8n]);
    expect(io.fdatasyncs).toBe(1);
    expect(await readAllIds(log)).toEqual(range(12));
    await expect(log.appendMany([{ arrowIpc: arrowRows(0, 1), recordCount: 1 }, { arrowIpc: arrowRows(0, 1), recordCount: 0 }]))
      .rejects.toMatchObject({ code: 'BAD_REQUEST' });
    expect(log.highWatermark).toBe(12n); // nothing of the refused call was written
    await log.close();
  });

  test('bucket log: a retried idempotent batch is a duplicate with the same offsets', async () => {
    const dir = tempDir();
    let log = await openLog(dir);
    const batch = (seq: number) => ({ arrowIpc: arrowRows(seq, 2), recordCount: 2, writerId: 77n, batchSequence: seq });
    expect(await log.append(batch(0))).toEqual({ baseOffset: 0n, lastOffset: 1n, duplicate: false });
    expect(await log.append(batch(4))).toEqual({ baseOffset: 2n, lastOffset: 3n, duplicate: false });
    expect(await log.append(batch(0))).toEqual({ baseOffset: 0n, lastOffset: 1n, duplicate: true });
    const inCall = await log.appendMany([batch(9), batch(9)]);
    expect(inCall).toEqual([{ baseOffset: 4n, lastOffset: 5n, duplicate: false }, { baseOffset: 4n, lastOffset: 5n, duplicate: true }]);
    expect(log.highWatermark).toBe(6n);
    await log.close();

    log = await openLog(dir); // clean reopen: from the snapshot
    expect(log.wasCleanShutdown).toBe(true);
    expect(await log.append(batch(4))).toEqual({ baseOffset: 2n, lastOffset: 3n, duplicate: true });
    expect(await log.append(batch(12))).toEqual({ baseOffset: 6n, lastOffset: 7n, duplicate: false });
    // no close: as after kill -9, the state must come back from the batch headers
    const crashed = await openLog(dir);
    expect(crashed.wasCleanShutdown).toBe(false);
    expect(await crashed.append(batch(12))).toEqual({ baseOffset: 6n, lastOffset: 7n, duplicate: true });
    expect(await crashed.append(batch(0))).toEqual({ baseOffset: 0n, lastOffset: 1n, duplicate: true });
    expect(crashed.highWatermark).toBe(8n);
    await crashed.close();
  });

  test('bucket log: writer state survives a crash across segment rolls', async () => {
    const dir = tempDir();
    const opts = { segmentBytes: 1500 };
    const log = await openLog(dir, opts);
    for (let seq = 0; seq < 40; seq++) await log.append({ arrowIpc: arrowRows(seq, 2), recordCount: 2, writerId: BigInt(seq % 3), batchSequence: seq });
    expect(log.stats().segments).toBeGreaterThan(3);
    for (const name of segmentFiles(dir, '.writers')) fs.rmSync(`${dir}/${name}`); // worst case: rebuilt from every header
    const reopened = await openLog(dir, opts);
    for (const seq of [0, 17, 39]) {
      expect(await reopened.append({ arrowIpc: arrowRows(0, 2), recordCount: 2, writerId: BigInt(seq % 3), batchSequence: seq }))
        .toEqual({ baseOffset: BigInt(seq * 2), lastOffset: BigInt(seq * 2 + 1), duplicate: true });
    }
    await reopened.close();
  });

  test('bucket log: a sequence older than a full window is OUT_OF_ORDER_SEQUENCE', async () => {
    const log = await openLog(tempDir());
    for (let seq = 100; seq < 132; seq++) await log.append({ arrowIpc: arrowRows(0, 1), recordCount: 1, writerId: 5n, batchSequence: seq });
    const err = await rejection(log.append({ arrowIpc: arrowRows(0, 1), recordCount: 1, writerId: 5n, batchSequence: 99 }));
    expect(err.code).toBe('OUT_OF_ORDER_SEQUENCE');
    expect(err.status).toBe(409);
    expect(log.highWatermark).toBe(32n);
    await log.close();
  });

  test('bucket log: retention deletes only closed old segments and respects limitOffset', async () => {
    let clock = 1_000_000;
    const dir = tempDir();
    const log = await openLog(dir, { segmentBytes: 1500, ttlMs: 10_000, now: () => clock });
    for (let b = 0; b < 30; b++) {
      await appendRows(log, 1, 3, b * 3);
      clock += 1000;
    }
    const before = log.stats();
    expect(before.segments).toBeGreaterThan(4);
    expect(await log.enforceRetention(clock)).toBeGreaterThan(0);
    const afterTtl = log.stats();
    // every segment left has a batch younger than the ttl, or is the active one
    expect(afterTtl.localLogStartOffset).toBe(log.logStartOffset);
    expect(segmentFiles(dir, '.log')[0]).toBe(`${afterTtl.localLogStartOffset.toString().padStart(20, '0')}.log`);
    expect(await readAllIds(log)).toEqual(range(90 - Number(afterTtl.localLogStartOffset), Number(afterTtl.localLogStartOffset)));
    expect((await rejection(log.read(0n, { maxBytes: 10 }))).code).toBe('OFFSET_OUT_OF_RANGE');

    clock += 1_000_000; // everything is old now
    expect(await log.enforceRetention(clock, log.logStartOffset)).toBe(0); // nothing lies below the limit
    const secondSegmentBase = BigInt(segmentFiles(dir, '.log')[1]!.slice(0, 20));
    expect(await log.enforceRetention(clock, secondSegmentBase)).toBe(1);
    expect(log.logStartOffset).toBe(secondSegmentBase);
    await log.enforceRetention(clock);
    expect(log.stats().segments).toBe(1); // the active segment stays
    expect(log.highWatermark).toBe(90n);
    await appendRows(log, 1, 3, 90);
    expect(log.highWatermark).toBe(93n);
    await log.close();
  });

  test('bucket log: offsetForTimestamp finds the first batch committed at or after a time', async () => {
    let clock = 5000;
    const log = await openLog(tempDir(), { segmentBytes: 2000, indexIntervalBytes: 300, now: () => clock });
    for (let b = 0; b < 40; b++) {
      await appendRows(log, 1, 2, b * 2);
      clock += 10;
    }
    expect(await log.offsetForTimestamp(0)).toBe(0n);
    expect(await log.offsetForTimestamp(5000)).toBe(0n);
    expect(await log.offsetForTimestamp(5001)).toBe(2n);
    expect(await log.offsetForTimestamp(5250)).toBe(50n);
    expect(await log.offsetForTimestamp(5255)).toBe(52n);
    expect(await log.offsetForTimestamp(5390)).toBe(78n);
    expect(await log.offsetForTimestamp(5391)).toBe(80n); // none: the high watermark
    const batches = await log.read(0n, { maxBytes: 1 << 20 });
    expect(batches.map((b) => b.commitTimestamp)).toEqual(range(40).map((b) => 5000 + b * 10));
    await log.close();
  });

  test('bucket log: commit timestamps never go backwards', async () => {
    let clock = 10_000;
    const log = await openLog(tempDir(), { now: () => clock });
    await appendRows(log, 1, 1);
    clock = 9_000;
    await appendRows(log, 1, 1, 1);
    expect((await log.read(0n, { maxBytes: 1 << 20 })).map((b) => b.commitTimestamp)).toEqual([10_000, 10_000]);
    await log.close();
  });

  test('bucket log: waitForData wakes on append, times out, and aborts', async () => {
    const log = await openLog(tempDir());
    const started = Date.now();
    await log.waitForData(0n, 50);
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    const controller = new AbortController();
    const aborted = log.waitForData(0n, 60_000, controller.signal);
    controller.abort();
    await aborted;
    const woken = log.waitForData(0n, 60_000);
    await log.append({ arrowIpc: arrowRows(0, 1), recordCount: 1 });
    await woken;
    expect(log.highWatermark).toBe(1n);
    await log.waitForData(0n, 60_000); // already past: resolves at once
    await log.close();
  });

  test('bucket log: a write on a full disk rejects with INSUFFICIENT_STORAGE, leaves no half batch, and works once space is freed', async () => {
    const dir = tempDir();
    const io = new TestingIo();
    const log = await openLog(dir, { io });
    await appendRows(log, 2, 3);
    const sizeBefore = log.stats().bytes;
    io.partialWriteBytes = 20; // 20 bytes land, then the disk is full
    const err = await rejection(log.append({ arrowIpc: arrowRows(6, 3), recordCount: 3 }));
    expect([err.code, err.status]).toEqual(['INSUFFICIENT_STORAGE', 507]);
    expect(err.message).toContain('ENOSPC');
    expect(err.message).toMatch(/free space/);
    expect(log.poisonedBy).toBeUndefined(); // cut back cleanly: the log is not poisoned
    expect(log.stats().bytes).toBe(sizeBefore);
    expect(fs.statSync(`${dir}/00000000000000000000.log`).size).toBe(sizeBefore);
    io.failWrites = false; // space freed
    expect(await log.append({ arrowIpc: arrowRows(6, 3), recordCount: 3 })).toMatchObject({ baseOffset: 6n });
    await log.close();
    const reopened = await openLog(dir);
    expect(await readAllIds(reopened)).toEqual(range(9));
    await reopened.close();
  });

  test('bucket log: a failed fdatasync fails the appends it covers and stops the log', async () => {
    const dir = tempDir();
    const io = new TestingIo();
    const log = await openLog(dir, { io });
    await appendRows(log, 1, 3);
    io.failFdatasync = true;
    const results = await Promise.allSettled([0, 1].map((i) => log.append({ arrowIpc: arrowRows(3 + i, 1), recordCount: 1 })));
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(((results[0] as PromiseRejectedResult).reason as LakestreamError).code).toBe('STORAGE_ERROR');
    expect(log.highWatermark).toBe(3n);
    expect(log.poisonedBy?.message).toMatch(/until a restart/);
    expect((await rejection(log.append({ arrowIpc: arrowRows(9, 1), recordCount: 1 }))).code).toBe('STORAGE_ERROR');
    expect(await readAllIds(log)).toEqual(range(3)); // reads below the high watermark still work
    await expect(log.close()).rejects.toMatchObject({ code: 'STORAGE_ERROR' });
    const reopened = await openLog(dir);
    expect(reopened.wasCleanShutdown).toBe(false);
    expect((await readAllIds(reopened)).slice(0, 3)).toEqual(range(3));
    await reopened.close();
  });

  test('bucket log: close waits for appends, then refuses new ones', async () => {
    const io = new TestingIo();
    const held = gate();
    io.fdatasyncGate = held.opened;
    const log = await openLog(tempDir(), { io });
    const pending = log.append({ arrowIpc: arrowRows(0, 2), recordCount: 2 });
    await io.fdatasyncsStarted(1);
    let closed = false;
    const closing = log.close().then(() => (closed = true));
    await new Promise(setImmediate);
    expect(closed).toBe(false); // the append's fsync is still held, so close cannot have finished
    held.open();
    await closing;
    expect(await pending).toMatchObject({ baseOffset: 0n });
    expect((await rejection(log.append({ arrowIpc: arrowRows(2, 1), recordCount: 1 }))).code).toBe('SHUTTING_DOWN');
    expect((await rejection(log.read(0n, { maxBytes: 10 }))).code).toBe('SHUTTING_DOWN');
  });

  test('bucket log: refuses bad options and inputs', async () => {
    await expect(BucketLog.open(logOptions(tempDir(), { segmentBytes: 0 }))).rejects.toMatchObject({ code: 'INVALID_PROPERTY' });
    await expect(BucketLog.open(logOptions(tempDir(), { ttlMs: 0 }))).rejects.toMatchObject({ code: 'INVALID_PROPERTY' });
    const log = await openLog(tempDir());
    await expect(log.append({ arrowIpc: new Uint8Array(0), recordCount: 1 })).rejects.toMatchObject({ code: 'INVALID_ARROW' });
    await expect(log.append({ arrowIpc: arrowRows(0, 1), recordCount: 1, writerId: 1n })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await log.close();
  });
});
