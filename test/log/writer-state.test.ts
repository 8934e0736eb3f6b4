import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadWriterSnapshot, WriterState, writeWriterSnapshot } from '../../src/log/writer-state.js';
import { nodeIo } from '../../src/common/storage-io.js';
import { tempDir } from './helpers.js';

describe('writer state', () => {
  test('writer state: a sequence in the window is a duplicate with its stored offsets', () => {
    const ws = new WriterState();
    expect(ws.check(1n, 0)).toEqual({ kind: 'new' });
    ws.record(1n, 0, 0n, 9n);
    ws.record(1n, 5, 10n, 19n); // sequences skip: other buckets took 1-4
    expect(ws.check(1n, 0)).toEqual({ kind: 'duplicate', baseOffset: 0n, lastOffset: 9n });
    expect(ws.check(1n, 5)).toEqual({ kind: 'duplicate', baseOffset: 10n, lastOffset: 19n });
    expect(ws.check(1n, 3)).toEqual({ kind: 'new' });
    expect(ws.check(2n, 0)).toEqual({ kind: 'new' });
  });

  test('writer state: older than a full window is out of order', () => {
    const ws = new WriterState(10, 4);
    for (let seq = 10; seq < 14; seq++) ws.record(7n, seq, BigInt(seq), BigInt(seq));
    expect(ws.check(7n, 9)).toEqual({ kind: 'out-of-order', oldestSequence: 10 });
    ws.record(7n, 20, 20n, 20n); // window slides: 10 falls out
    expect(ws.check(7n, 10)).toEqual({ kind: 'out-of-order', oldestSequence: 11 });
    expect(ws.check(7n, 11).kind).toBe('duplicate');
  });

  test('writer state: evicts the least recently used writer beyond the limit', () => {
    const ws = new WriterState(3);
    ws.record(1n, 0, 0n, 0n);
    ws.record(2n, 0, 1n, 1n);
    ws.record(3n, 0, 2n, 2n);
    ws.record(1n, 1, 3n, 3n); // 1 is now the most recent
    ws.record(4n, 0, 4n, 4n); // evicts 2
    expect(ws.size).toBe(3);
    expect(ws.check(2n, 0)).toEqual({ kind: 'new' });
    expect(ws.check(1n, 0).kind).toBe('duplicate');
  });

  test('writer state: snapshots round trip; damaged or future snapshots are ignored', () => {
    const dir = tempDir();
    const ws = new WriterState();
    ws.record(1n, 3, 0n, 4n);
    ws.record(9007199254740993n, 2147483647, 5n, 5n);
    writeWriterSnapshot(nodeIo, dir, 6n, ws);
    const loaded = loadWriterSnapshot(nodeIo, dir, 6n)!;
    expect(loaded.offset).toBe(6n);
    expect(loaded.state.check(9007199254740993n, 2147483647)).toEqual({ kind: 'duplicate', baseOffset: 5n, lastOffset: 5n });

    ws.record(1n, 4, 6n, 6n);
    writeWriterSnapshot(nodeIo, dir, 7n, ws);
    const newest = path.join(dir, '00000000000000000007.writers');
    const bytes = fs.readFileSync(newest);
    bytes[bytes.length - 10]! ^= 1;
    fs.writeFileSync(newest, bytes);
    expect(loadWriterSnapshot(nodeIo, dir, 100n)!.offset).toBe(6n); // falls back past the damaged one
    expect(loadWriterSnapshot(nodeIo, dir, 5n)).toBeUndefined(); // both describe offsets a crash lost
    expect(fs.readdirSync(dir).filter((n) => n.endsWith('.writers'))).toEqual([]);
  });

  test('writer state: keeps only the newest snapshots', () => {
    const dir = tempDir();
    for (let i = 1; i <= 5; i++) writeWriterSnapshot(nodeIo, dir, BigInt(i), new WriterState());
    expect(fs.readdirSync(dir).sort()).toEqual(['00000000000000000004.writers', '00000000000000000005.writers']);
  });
});
