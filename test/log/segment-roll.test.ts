import { describe, expect, test } from 'vitest';
import { parseTableDefinition } from '../../src/common/schema.js';
import { property } from '../../src/common/properties.js';
import { appendRows, openLog, readAllIds, segmentFiles, tempDir } from './helpers.js';

const INTERVAL_MS = 10_000;
const TTL_MS = 20_000;

describe('time-based segment roll', () => {
  test('segment roll: an append once the first batch is rollIntervalMs old starts a new segment', async () => {
    let clock = 1_000;
    const dir = tempDir();
    const log = await openLog(dir, { rollIntervalMs: INTERVAL_MS, now: () => clock });
    await appendRows(log, 1, 3);
    clock += INTERVAL_MS - 1;
    await appendRows(log, 1, 3, 3);
    expect(log.stats().segments).toBe(1); // not yet: the interval counts from the first batch
    clock += 1;
    await appendRows(log, 1, 3, 6);
    expect(segmentFiles(dir, '.log')).toEqual([`${'0'.padStart(20, '0')}.log`, `${'6'.padStart(20, '0')}.log`]);
    expect(await readAllIds(log)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    await log.close();
  });

  test('segment roll: a retention check rolls an idle segment so the ttl can delete it, and never rolls an empty one', async () => {
    const clock = 1_000;
    const dir = tempDir();
    const log = await openLog(dir, { rollIntervalMs: INTERVAL_MS, ttlMs: TTL_MS, now: () => clock });
    await appendRows(log, 2, 5);
    expect(await log.enforceRetention(clock + INTERVAL_MS - 1)).toBe(0);
    expect(log.stats().segments).toBe(1);
    expect(await log.enforceRetention(clock + INTERVAL_MS)).toBe(0); // rolled, but younger than the ttl
    expect(log.stats().segments).toBe(2);
    expect(await log.enforceRetention(clock + TTL_MS + 1, 9n)).toBe(0); // not wholly below the limit
    expect(await log.enforceRetention(clock + TTL_MS + 1, 10n)).toBe(1);
    expect(log.logStartOffset).toBe(10n);
    for (let i = 2; i < 5; i++) expect(await log.enforceRetention(clock + i * TTL_MS)).toBe(0);
    expect(segmentFiles(dir, '.log')).toEqual([`${'10'.padStart(20, '0')}.log`]);
    expect(log.highWatermark).toBe(10n);
    await log.close();
  });

  test('segment roll: after a restart the interval still counts from the first batch of the active segment', async () => {
    let clock = 1_000;
    const dir = tempDir();
    const first = await openLog(dir, { rollIntervalMs: INTERVAL_MS, now: () => clock });
    await appendRows(first, 1, 2);
    await first.close();
    clock += INTERVAL_MS / 2;
    const log = await openLog(dir, { rollIntervalMs: INTERVAL_MS, now: () => clock });
    await appendRows(log, 1, 2, 2);
    expect(log.stats().segments).toBe(1);
    clock = 1_000 + INTERVAL_MS;
    await log.enforceRetention(clock);
    expect(log.stats().segments).toBe(2);
    expect(await readAllIds(log)).toEqual([0, 1, 2, 3]);
    await log.close();
  });

  test('segment roll: without rollIntervalMs a segment rolls by size only', async () => {
    const dir = tempDir();
    const log = await openLog(dir, { now: () => 0 });
    await appendRows(log, 1, 2);
    await log.enforceRetention(Number.MAX_SAFE_INTEGER);
    expect(log.stats().segments).toBe(1);
    await log.close();
  });
});

describe('table.log.segment.roll-interval', () => {
  const table = (properties: Record<string, string>) => parseTableDefinition({ columns: [{ name: 'a', type: 'int32' }], properties });

  test('properties: defaults to 7d, 1h for a lake-enabled table, and a table\'s own value wins', () => {
    expect(property(table({}), 'table.log.segment.roll-interval')).toBe('7d');
    expect(property(table({ 'table.datalake.enabled': 'false' }), 'table.log.segment.roll-interval')).toBe('7d');
    expect(property(table({ 'table.datalake.enabled': 'true' }), 'table.log.segment.roll-interval')).toBe('1h');
    expect(property(table({ 'table.datalake.enabled': 'true', 'table.log.segment.roll-interval': '5min' }), 'table.log.segment.roll-interval')).toBe('5min');
  });

  test('properties: an interval under a second is refused at CREATE TABLE', () => {
    expect(() => table({ 'table.log.segment.roll-interval': '500ms' })).toThrow(/table.log.segment.roll-interval must be at least 1000 ms/);
  });
});
