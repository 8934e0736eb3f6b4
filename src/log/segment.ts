/**
 * One segment: `<dir>/<20-digit baseOffset>.log` holding consecutive batches, plus its sparse
 * `.index` / `.timeindex`, which can always be thrown away and rebuilt by a scan. Appends are
 * synchronous writes to an append-mode fd (so batches land in call order); reads are positioned
 * (pread) and never go past `syncedBytes`, the prefix that an fdatasync has made durable.
 */
import fs from 'node:fs';
import path from 'node:path';
import { LakestreamError } from '../common/errors.js';
import { checkBatch, decodeBatchHeader, HEADER_BYTES, LOG_OVERHEAD_BYTES, MAGIC, MAGIC_OFFSET, BATCH_BYTES_MAX, type BatchHeader } from './batch-format.js';
import { readSmallFile } from './index-file.js';
import { replaceFileUnsynced, type StorageIo, writeAll } from '../common/storage-io.js';
import { OffsetIndex } from './offset-index.js';
import { NO_TIMESTAMP, TimeIndex } from './time-index.js';

const OFFSET_DIGITS = 20;
export const LOG_SUFFIX = '.log';
const SCAN_CHUNK_BYTES = 1024 * 1024;
/** Segment positions and relative offsets are uint32 in the indexes. */
export const SEGMENT_RELATIVE_OFFSET_MAX = 0xffffffff;

export function offsetFileName(offset: bigint, suffix: string): string {
  return `${offset.toString().padStart(OFFSET_DIGITS, '0')}${suffix}`;
}

/** The base offset named by a `<20 digits><suffix>` file, or undefined for any other name. */
export function parseOffsetFileName(name: string, suffix: string): bigint | undefined {
  if (!name.endsWith(suffix)) return undefined;
  const digits = name.slice(0, -suffix.length);
  return digits.length === OFFSET_DIGITS && /^\d+$/.test(digits) ? BigInt(digits) : undefined;
}

/** A validated batch met by a walk: its header, its bytes in `buf` at `pos`, and its file position. */
export type BatchVisitor = (buf: Buffer, pos: number, header: BatchHeader, filePosition: number) => boolean;

export interface ScanResult {
  validBytes: number;
  problem: string | undefined; // why the scan stopped before the end of the file
}

export class Segment {
  readonly logPath: string;
  readonly indexPath: string;
  readonly timeIndexPath: string;
  private fd: number | null = null;
  private refs = 0;
  private retired = false;
  private offsetIndex = new OffsetIndex();
  private timeIndex = new TimeIndex();
  private bytesSinceIndexEntry = 0;
  /** Bytes written; `syncedBytes` of them are durable and visible to readers. */
  size = 0;
  syncedBytes = 0;
  nextOffset: bigint;
  maxTimestamp = NO_TIMESTAMP;
  /** Commit timestamp of the first batch, what a time-based roll counts from; known once scanned or appended to. */
  firstTimestamp = NO_TIMESTAMP;
  /** Set when a failed append could not be cut back; recovery at the next open will clean up. */
  damaged = false;

  private constructor(
    readonly dir: string,
    readonly baseOffset: bigint,
    private readonly indexIntervalBytes: number,
    private readonly io: StorageIo,
  ) {
    this.logPath = path.join(dir, offsetFileName(baseOffset, LOG_SUFFIX));
    this.indexPath = path.join(dir, offsetFileName(baseOffset, '.index'));
    this.timeIndexPath = path.join(dir, offsetFileName(baseOffset, '.timeindex'));
    this.nextOffset = baseOffset;
  }

  /** A new, empty segment; stale index files of an earlier segment at the same base are removed. */
  static create(dir: string, baseOffset: bigint, indexIntervalBytes: number, io: StorageIo): Segment {
    const seg = new Segment(dir, baseOffset, indexIntervalBytes, io);
    seg.fd = io.openAppend(seg.logPath);
    io.truncate(seg.fd, 0);
    io.unlink(seg.indexPath);
    io.unlink(seg.timeIndexPath);
    return seg;
  }

  /** An existing segment whose state is yet to be established by `loadIndexes` or `recoverByScan`. */
  static existing(dir: string, baseOffset: bigint, indexIntervalBytes: number, io: StorageIo): Segment {
    const seg = new Segment(dir, baseOffset, indexIntervalBytes, io);
    seg.size = fs.statSync(seg.logPath).size;
    return seg;
  }

  get isEmpty(): boolean {
    return this.size === 0;
  }

  /**
   * Trusts the persisted indexes if they are current and consistent with the log file; the caller
   * checks the end offset against the next segment's base. Returns a reason when they are not usable.
   */
  loadIndexes(): string | undefined {
    const offsetBytes = readSmallFile(this.indexPath);
    const timeBytes = readSmallFile(this.timeIndexPath);
    if (!offsetBytes || !timeBytes) return 'index files missing';
    const offsets = OffsetIndex.decode(offsetBytes, this.size);
    if (typeof offsets === 'string') return offsets;
    const times = TimeIndex.decode(timeBytes, this.size, offsets.endRelOffset);
    if (typeof times === 'string') return times;
    const last = offsets.index.last();
    if (last) {
      const problem = this.spotCheck(last.position, this.baseOffset + BigInt(last.relOffset));
      if (problem) return problem;
    }
    this.offsetIndex = offsets.index;
    this.timeIndex = times.index;
    this.maxTimestamp = times.maxTimestamp;
    this.nextOffset = this.baseOffset + BigInt(offsets.endRelOffset);
    this.syncedBytes = this.size;
    return undefined;
  }

  /** Reads the header an index entry points at: it must be a plausible batch at the expected offset. */
  private spotCheck(position: number, expectedOffset: bigint): string | undefined {
    const buf = Buffer.alloc(HEADER_BYTES);
    if (fs.readSync(this.openFd(), buf, 0, HEADER_BYTES, position) !== HEADER_BYTES) return 'index points past the log';
    const h = decodeBatchHeader(buf, 0);
    if (buf[MAGIC_OFFSET] !== MAGIC || h.baseOffset !== expectedOffset || h.sizeBytes < HEADER_BYTES || position + h.sizeBytes > this.size) {
      return `index entry at ${position} does not point at offset ${expectedOffset}`;
    }
    return undefined;
  }

  /**
   * Walks every batch from the start checking lengths, CRCs and offset continuity, rebuilds the
   * indexes, and truncates the file after the last valid batch (a torn or corrupt tail).
   */
  recoverByScan(visit?: (header: BatchHeader) => void): ScanResult {
    this.offsetIndex = new OffsetIndex();
    this.timeIndex = new TimeIndex();
    this.bytesSinceIndexEntry = 0;
    this.maxTimestamp = NO_TIMESTAMP;
    this.firstTimestamp = NO_TIMESTAMP;
    this.nextOffset = this.baseOffset;
    const result = this.scanSync((h, filePosition) => {
      if (h.baseOffset !== this.nextOffset) return `batch at ${filePosition} has offset ${h.baseOffset}, expected ${this.nextOffset}`;
      if (h.lastOffset - this.baseOffset > BigInt(SEGMENT_RELATIVE_OFFSET_MAX)) return `batch at ${filePosition} overflows the segment`;
      this.indexBatch(h, filePosition);
      visit?.(h);
      return undefined;
    });
    if (result.validBytes < this.size) this.truncate(result.validBytes);
    this.syncedBytes = this.size;
    return result;
  }

  private scanSync(accept: (h: BatchHeader, filePosition: number) => string | undefined): ScanResult {
    const fd = this.openFd();
    let chunk = Buffer.allocUnsafe(SCAN_CHUNK_BYTES);
    let filePos = 0;
    while (filePos < this.size) {
      const want = Math.min(chunk.length, this.size - filePos);
      const got = fs.readSync(fd, chunk, 0, want, filePos);
      let p = 0;
      while (p < got) {
        const check = checkBatch(chunk, p, got);
        if (check.kind === 'corrupt') return { validBytes: filePos + p, problem: check.reason };
        if (check.kind === 'torn') {
          if (got < want || filePos + got >= this.size || p > 0) break; // next chunk starts at p
          const need = chunk.readInt32LE(LOG_OVERHEAD_BYTES - 4) + LOG_OVERHEAD_BYTES;
          if (filePos + need > this.size) return { validBytes: filePos, problem: check.reason };
          chunk = Buffer.allocUnsafe(Math.min(need, BATCH_BYTES_MAX));
          break;
        }
        const problem = accept(check.header, filePos + p);
        if (problem) return { validBytes: filePos + p, problem };
        p += check.header.sizeBytes;
      }
      if (p === 0 && (got < want || filePos + got >= this.size)) {
        return { validBytes: filePos, problem: 'torn batch at the end of the file' };
      }
      filePos += p;
    }
    return { validBytes: filePos, problem: undefined };
  }

  /** Walks batch headers only (no CRC) of a segment already trusted, from its first batch. */
  walkHeadersSync(visit: (header: BatchHeader) => void): void {
    const fd = this.openFd();
    const buf = Buffer.allocUnsafe(HEADER_BYTES);
    for (let pos = 0; pos < this.syncedBytes; ) {
      if (fs.readSync(fd, buf, 0, HEADER_BYTES, pos) !== HEADER_BYTES) break;
      const h = decodeBatchHeader(buf, 0);
      if (h.sizeBytes < HEADER_BYTES || pos + h.sizeBytes > this.syncedBytes) {
        throw new LakestreamError('STORAGE_ERROR', `${this.logPath}: bad batch length at ${pos}`);
      }
      visit(h);
      pos += h.sizeBytes;
    }
  }

  /** Keeps the sparse indexes and segment metadata current for a batch written at `position`. */
  indexBatch(h: BatchHeader, position: number): void {
    const rel = Number(h.baseOffset - this.baseOffset);
    if (this.bytesSinceIndexEntry > this.indexIntervalBytes) {
      this.offsetIndex.append(rel, position);
      if (this.maxTimestamp !== NO_TIMESTAMP) this.timeIndex.maybeAppend(this.maxTimestamp, rel);
      this.bytesSinceIndexEntry = 0;
    }
    this.bytesSinceIndexEntry += h.sizeBytes;
    if (this.firstTimestamp === NO_TIMESTAMP) this.firstTimestamp = h.commitTimestamp;
    this.maxTimestamp = Math.max(this.maxTimestamp, h.commitTimestamp);
    this.nextOffset = h.lastOffset + 1n;
  }

  /**
   * Appends `bytes` at the end of the file (looping over short writes). On failure the file is cut
   * back to its previous size so no half batch remains; if even that fails, the error says so.
   */
  append(bytes: Uint8Array): number {
    const position = this.size;
    const fd = this.openFd();
    try {
      writeAll(this.io, fd, bytes);
    } catch (err) {
      try {
        this.truncate(position);
      } catch {
        this.damaged = true; // a partial batch may remain: the owner must stop appending
      }
      throw err;
    }
    this.size += bytes.length;
    return position;
  }

  private truncate(bytes: number): void {
    this.io.truncate(this.openFd(), bytes);
    this.size = bytes;
  }

  async fdatasync(): Promise<void> {
    await this.io.fdatasync(this.openFd());
  }

  /** File position of the batch containing `offset`, or at least a batch start at or before it. */
  positionFloor(offset: bigint): number {
    const rel = offset - this.baseOffset;
    return this.offsetIndex.lookup(rel > BigInt(SEGMENT_RELATIVE_OFFSET_MAX) ? SEGMENT_RELATIVE_OFFSET_MAX : Number(rel)).position;
  }

  /** Position from which to scan for the first batch with commit timestamp >= `timestamp`. */
  timestampFloor(timestamp: number): number {
    return this.positionFloor(this.baseOffset + BigInt(this.timeIndex.scanStart(timestamp)));
  }

  /**
   * Reads validated batches from `start` up to `syncedBytes`, calling `visit` until it returns false.
   * Chunks are `chunkBytes` (grown for a larger batch). Corruption in durable bytes is a STORAGE_ERROR.
   */
  async readBatches(start: number, chunkBytes: number, visit: BatchVisitor): Promise<void> {
    const end = this.syncedBytes;
    let size = chunkBytes;
    for (let filePos = start; filePos < end; ) {
      const want = Math.min(size, end - filePos);
      const buf = await this.pread(filePos, want);
      if (buf.length < want) throw new LakestreamError('STORAGE_ERROR', `${this.logPath} is shorter than its ${end} durable bytes`);
      let p = 0;
      while (p < buf.length) {
        const check = checkBatch(buf, p);
        if (check.kind === 'ok') {
          if (!visit(buf, p, check.header, filePos + p)) return;
          p += check.header.sizeBytes;
          continue;
        }
        if (check.kind === 'corrupt' || filePos + buf.length >= end) {
          throw new LakestreamError('STORAGE_ERROR', `${this.logPath}: bad batch at ${filePos + p}: ${check.reason}`);
        }
        if (p === 0) size = buf.readInt32LE(LOG_OVERHEAD_BYTES - 4) + LOG_OVERHEAD_BYTES; // one batch > chunk
        break;
      }
      filePos += p;
    }
  }

  /** Up to `length` bytes at `position` (fewer at the end of the file). */
  async pread(position: number, length: number): Promise<Buffer> {
    const buf = Buffer.allocUnsafe(length);
    let done = 0;
    while (done < length) {
      const { bytesRead } = await new Promise<{ bytesRead: number }>((resolve, reject) =>
        fs.read(this.openFd(), buf, done, length - done, position + done, (err, bytesRead) => (err ? reject(err) : resolve({ bytesRead }))),
      );
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return buf.subarray(0, done);
  }

  /** Persists both indexes (write + rename); a failure only means a rebuild at the next open. */
  persistIndexes(): void {
    const endRel = Number(this.nextOffset - this.baseOffset);
    replaceFileUnsynced(this.io, this.indexPath, this.offsetIndex.encode(this.size, endRel));
    replaceFileUnsynced(this.io, this.timeIndexPath, this.timeIndex.encode(this.size, this.maxTimestamp));
  }

  /** Pins the fd for an async read; the segment may be deleted meanwhile but its fd stays open. */
  acquire(): boolean {
    if (this.retired) return false;
    this.refs++;
    return true;
  }

  release(): void {
    this.refs--;
    if (this.retired && this.refs === 0) this.closeFd();
  }

  /** Closes the fd now or, if reads are in flight, when the last one ends. */
  retire(): void {
    this.retired = true;
    if (this.refs === 0) this.closeFd();
  }

  /** Removes the files (POSIX keeps them readable through open fds) and retires the segment. */
  deleteFiles(): void {
    for (const p of [this.logPath, this.indexPath, this.timeIndexPath]) this.io.unlink(p);
    this.retire();
  }

  private openFd(): number {
    if (this.fd === null) {
      if (this.retired) throw new LakestreamError('STORAGE_ERROR', `${this.logPath} is closed`);
      this.fd = this.io.openAppend(this.logPath);
    }
    return this.fd;
  }

  private closeFd(): void {
    if (this.fd !== null) this.io.close(this.fd);
    this.fd = null;
  }
}
