/**
 * Idempotent writers. Per bucket and writerId, the most recent WRITER_WINDOW batches the writer
 * appended: (batchSequence -> baseOffset, lastOffset). A retried batch whose sequence is in the window
 * is answered with its stored offsets instead of being written twice. A writer's sequences rise but
 * skip numbers (its requests are spread over buckets), so "new" means "not in the window"; only a
 * sequence older than a full window cannot be judged and is refused as out of order.
 * At most WRITERS_MAX writers per bucket, least recently used evicted first.
 *
 * Snapshot file `<20-digit offset>.writers` = the state after every batch below `offset`:
 *   magic uint32 | offset int64 | writerCount uint32 |
 *   writerCount x ( writerId int64 | entryCount uint16 | entryCount x (seq int32 | base int64 | last int64) ) |
 *   crc uint32 (CRC-32C of all before)
 * Writers are stored least recently used first, so loading restores the LRU order.
 */
import fs from 'node:fs';
import path from 'node:path';
import { replaceFileUnsynced, type StorageIo } from '../common/storage-io.js';
import { crc32c } from '../common/crc32c.js';
import { readSmallFile } from './index-file.js';
import { offsetFileName, parseOffsetFileName } from './segment.js';

export const WRITER_WINDOW = 32;
export const WRITERS_MAX = 10_000;
export const SNAPSHOT_SUFFIX = '.writers';
const MAGIC = 0x5357534c; // "LSWS"
const HEAD_BYTES = 4 + 8 + 4;
const WRITER_HEAD_BYTES = 8 + 2;
const ENTRY_BYTES = 4 + 8 + 8;
const CRC_BYTES = 4;
/** Snapshots kept: the newest, plus one to fall back to if the newest is damaged. */
const SNAPSHOTS_KEPT = 2;

export type SequenceCheck =
  | { kind: 'new' }
  | { kind: 'duplicate'; baseOffset: bigint; lastOffset: bigint }
  | { kind: 'out-of-order'; oldestSequence: number };

interface Entry {
  seq: number;
  base: bigint;
  last: bigint;
}

export class WriterState {
  /** Map iteration order is the LRU order: least recently used first. */
  private readonly writers = new Map<bigint, Entry[]>();

  constructor(readonly writersMax = WRITERS_MAX, readonly window = WRITER_WINDOW) {}

  get size(): number {
    return this.writers.size;
  }

  check(writerId: bigint, seq: number): SequenceCheck {
    const entries = this.writers.get(writerId);
    if (!entries) return { kind: 'new' };
    const hit = entries.find((e) => e.seq === seq);
    if (hit) return { kind: 'duplicate', baseOffset: hit.base, lastOffset: hit.last };
    const oldest = entries[0]!.seq;
    if (entries.length >= this.window && seq < oldest) return { kind: 'out-of-order', oldestSequence: oldest };
    return { kind: 'new' };
  }

  /** Remembers a written batch; keeps the window sorted by sequence and bounded. */
  record(writerId: bigint, seq: number, base: bigint, last: bigint): void {
    const entries = this.writers.get(writerId) ?? [];
    this.writers.delete(writerId); // re-inserted below as most recently used
    let i = entries.length;
    while (i > 0 && entries[i - 1]!.seq > seq) i--;
    if (i > 0 && entries[i - 1]!.seq === seq) entries[i - 1] = { seq, base, last };
    else entries.splice(i, 0, { seq, base, last });
    if (entries.length > this.window) entries.shift();
    this.writers.set(writerId, entries);
    if (this.writers.size > this.writersMax) this.writers.delete(this.writers.keys().next().value!);
  }

  encode(offset: bigint): Uint8Array {
    let bytes = HEAD_BYTES + CRC_BYTES;
    for (const entries of this.writers.values()) bytes += WRITER_HEAD_BYTES + entries.length * ENTRY_BYTES;
    const out = new Uint8Array(bytes);
    const dv = new DataView(out.buffer);
    dv.setUint32(0, MAGIC, true);
    dv.setBigInt64(4, offset, true);
    dv.setUint32(12, this.writers.size, true);
    let p = HEAD_BYTES;
    for (const [writerId, entries] of this.writers) {
      dv.setBigInt64(p, writerId, true);
      dv.setUint16(p + 8, entries.length, true);
      p += WRITER_HEAD_BYTES;
      for (const e of entries) {
        dv.setInt32(p, e.seq, true);
        dv.setBigInt64(p + 4, e.base, true);
        dv.setBigInt64(p + 12, e.last, true);
        p += ENTRY_BYTES;
      }
    }
    dv.setUint32(p, crc32c(out, 0, p), true);
    return out;
  }

  /** Parses a snapshot, checking every length against the bytes present; a reason when unusable. */
  static decode(bytes: Uint8Array): { state: WriterState; offset: bigint } | string {
    if (bytes.length < HEAD_BYTES + CRC_BYTES) return 'snapshot too short';
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const crcAt = bytes.length - CRC_BYTES;
    if (dv.getUint32(0, true) !== MAGIC) return 'snapshot magic mismatch';
    if (dv.getUint32(crcAt, true) !== crc32c(bytes, 0, crcAt)) return 'snapshot crc mismatch';
    const offset = dv.getBigInt64(4, true);
    const writerCount = dv.getUint32(12, true);
    const state = new WriterState();
    let p = HEAD_BYTES;
    for (let w = 0; w < writerCount; w++) {
      if (p + WRITER_HEAD_BYTES > crcAt) return 'snapshot truncated';
      const writerId = dv.getBigInt64(p, true);
      const n = dv.getUint16(p + 8, true);
      p += WRITER_HEAD_BYTES;
      if (n === 0 || n > state.window || p + n * ENTRY_BYTES > crcAt) return `snapshot writer ${writerId} has a bad entry count`;
      for (let i = 0; i < n; i++, p += ENTRY_BYTES) {
        state.record(writerId, dv.getInt32(p, true), dv.getBigInt64(p + 4, true), dv.getBigInt64(p + 12, true));
      }
    }
    if (p !== crcAt || offset < 0n) return 'snapshot has trailing bytes or a bad offset';
    return { state, offset };
  }
}

function snapshotOffsets(dir: string): bigint[] {
  const offsets: bigint[] = [];
  for (const name of fs.readdirSync(dir)) {
    const offset = parseOffsetFileName(name, SNAPSHOT_SUFFIX);
    if (offset !== undefined) offsets.push(offset);
  }
  return offsets.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

function snapshotPath(dir: string, offset: bigint): string {
  return path.join(dir, offsetFileName(offset, SNAPSHOT_SUFFIX));
}

/** Writes the snapshot for `offset` and prunes older ones. Not fsynced: losing it means a longer scan. */
export function writeWriterSnapshot(io: StorageIo, dir: string, offset: bigint, state: WriterState): void {
  replaceFileUnsynced(io, snapshotPath(dir, offset), state.encode(offset));
  const offsets = snapshotOffsets(dir);
  for (const old of offsets.slice(0, Math.max(0, offsets.length - SNAPSHOTS_KEPT))) io.unlink(snapshotPath(dir, old));
}

/**
 * The newest valid snapshot at or below `endOffset` (the recovered end of the log). Snapshots above it
 * describe batches a crash took away, so they are deleted.
 */
export function loadWriterSnapshot(io: StorageIo, dir: string, endOffset: bigint): { state: WriterState; offset: bigint } | undefined {
  for (const offset of snapshotOffsets(dir).reverse()) {
    if (offset > endOffset) {
      io.unlink(snapshotPath(dir, offset));
      continue;
    }
    const bytes = readSmallFile(snapshotPath(dir, offset));
    const decoded = bytes && WriterState.decode(bytes);
    if (decoded && typeof decoded !== 'string' && decoded.offset === offset) return decoded;
  }
  return undefined;
}
