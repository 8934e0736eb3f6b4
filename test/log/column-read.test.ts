import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { batchToIpc, rowsToBatch } from '../../src/common/arrow.js';
import { readIpcBatchLayout } from '../../src/common/arrow-ipc-layout.js';
import type { Column } from '../../src/common/schema.js';
import type { BucketLog } from '../../src/log/bucket-log.js';
import { HEADER_BYTES } from '../../src/log/batch-format.js';
import type { ColumnBatch } from '../../src/log/column-read.js';
import { openLog, segmentFiles, tempDir } from './helpers.js';

const COLUMNS: Column[] = [
  { name: 'id', type: 'int32', nullable: false },
  { name: 'name', type: 'string', nullable: true },
  { name: 'score', type: 'float64', nullable: true },
];

function batchIpc(first: number, count: number, changelog = false): Uint8Array {
  const rows = Array.from({ length: count }, (_, i) => ({ id: first + i, name: i % 3 === 0 ? null : `n-${first + i}`, score: (first + i) / 2 }));
  return batchToIpc(rowsToBatch(COLUMNS, rows, changelog ? rows.map((_, i) => (i % 2 === 0 ? '+I' : '-D')) : undefined));
}

async function fill(log: BucketLog, batches: number, rows: number, changelog = false): Promise<void> {
  for (let b = 0; b < batches; b++) await log.append({ arrowIpc: batchIpc(b * rows, rows, changelog), recordCount: rows, hasChangeType: changelog });
}

function ids(batches: ColumnBatch[]): number[] {
  return batches.flatMap((b) => [...new Int32Array(Uint8Array.from(b.columns[0]!.buffers[1]!).buffer, 0, b.recordCount)]);
}

/** Every buffer as plain bytes, to compare the two read paths. */
function bytesOf(batches: ColumnBatch[]): unknown {
  return batches.map((b) => ({ ...b, columns: b.columns.map((c) => ({ nullCount: c.nullCount, buffers: c.buffers.map((x) => [...x]) })), changeTypes: b.changeTypes && [...b.changeTypes] }));
}

describe('bucket log column reads', () => {
  for (const compression of ['none', 'zstd'] as const) {
    test(`projected and whole reads return the same column buffers (${compression})`, async () => {
      const log = await openLog(tempDir(), { compression });
      await fill(log, 6, 50, true);
      for (const names of [['id'], ['score', 'id'], ['id', 'name', 'score']]) {
        for (const offset of [0n, 49n, 50n, 123n]) {
          const projected = await log.readColumns(offset, { maxBytes: 1 << 20 }, names, true);
          const whole = await log.readColumns(offset, { maxBytes: 1 << 20 }, names, false);
          expect(bytesOf(projected)).toEqual(bytesOf(whole));
          expect(projected[0]!.baseOffset).toBe((offset / 50n) * 50n);
          expect(projected[0]!.changeTypes!.slice(0, 2)).toEqual(Int8Array.of(1, 4));
        }
      }
      expect(ids(await log.readColumns(0n, { maxBytes: 1 << 20 }, ['id'], true))).toEqual(Array.from({ length: 300 }, (_, i) => i));
      await log.close();
    });
  }

  test('maxBytes counts the projected column bytes; maxRecords whole batches; the first batch always comes', async () => {
    const log = await openLog(tempDir());
    await fill(log, 10, 100);
    const [first] = await log.readColumns(0n, { maxBytes: 1 }, ['id'], true);
    const idBytes = first!.columns[0]!.buffers.reduce((n, b) => n + b.length, 0);
    expect(await log.readColumns(0n, { maxBytes: 1 }, ['id'], true)).toHaveLength(1);
    expect(await log.readColumns(0n, { maxBytes: idBytes * 4 }, ['id'], true)).toHaveLength(4);
    expect(await log.readColumns(0n, { maxBytes: idBytes * 4 - 1 }, ['id'], true)).toHaveLength(3);
    expect(await log.readColumns(150n, { maxBytes: 1 << 20, maxRecords: 150 }, ['id'], true)).toHaveLength(1);
    expect(await log.readColumns(150n, { maxBytes: 1 << 20, maxRecords: 250 }, ['id'], true)).toHaveLength(2);
    expect(await log.readColumns(1000n, { maxBytes: 1 << 20 }, ['id'], true)).toEqual([]);
    await expect(log.readColumns(1001n, { maxBytes: 1 }, ['id'], true)).rejects.toMatchObject({ code: 'OFFSET_OUT_OF_RANGE' });
    await log.close();
  });

  test('damaged Arrow metadata fails a projected read with STORAGE_ERROR; damaged column bytes fail the CRC-checked whole read', async () => {
    const dir = tempDir();
    const log = await openLog(dir);
    await fill(log, 2, 20);
    const file = path.join(dir, segmentFiles(dir, '.log')[0]!);
    const bytes = fs.readFileSync(file);
    const layout = readIpcBatchLayout(bytes.subarray(HEADER_BYTES), bytes.length - HEADER_BYTES);
    if (layout.kind !== 'layout') throw new Error('no layout');
    const idAt = HEADER_BYTES + layout.layout.bodyStart + layout.layout.buffers[1]!.offset;
    const fd = fs.openSync(file, 'r+');
    fs.writeSync(fd, Buffer.of(bytes[idAt]! ^ 0xff), 0, 1, idAt); // a data byte of `id`
    await expect(log.readColumns(0n, { maxBytes: 1 }, ['id'], false)).rejects.toMatchObject({ code: 'STORAGE_ERROR' });
    expect(await log.readColumns(0n, { maxBytes: 1 }, ['id'], true)).toHaveLength(1); // not checksummed: documented
    fs.writeSync(fd, Buffer.of(0x7f), 0, 1, HEADER_BYTES + 4); // the schema message's metadata length
    await expect(log.readColumns(0n, { maxBytes: 1 }, ['id'], true)).rejects.toMatchObject({ code: 'STORAGE_ERROR' });
    fs.closeSync(fd);
    await log.close();
  });
});
