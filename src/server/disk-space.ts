import fs from 'node:fs';
import path from 'node:path';
import { fail, isDiskFull, LakestreamError } from '../common/errors.js';

/** Bytes kept in a reserve file so that a drop and its catalog write commit on a full disk. */
export const DISK_RESERVE_BYTES = 8 * 1024 * 1024;
const RESERVE_FILE = 'disk-reserve';
const WRITE_CHUNK_BYTES = 1024 * 1024;

export interface DiskLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/**
 * A full disk, handled so that the server keeps serving and an operator can make room through it.
 *
 * The data dir holds a reserve file (8 MB of written zeros, so the blocks are taken). At the first
 * sign that the disk is full (a request failed with ENOSPC, or a storage fault while less than
 * the reserve is free) the reserve is deleted and the server is "full": writes of rows and new
 * tables are refused up front with 507 INSUFFICIENT_STORAGE, so the space the reserve gave back is
 * left to what frees space (a drop and the catalog write it needs). While full, each refused write
 * and each health check looks at the free space again; once the reserve fits twice over, it is
 * written again and writes are admitted, with no restart.
 *
 * Invariant: full exactly when the reserve is not held.
 */
export class DiskSpace {
  private full = true;
  private readonly reservePath: string;

  constructor(private readonly dataDir: string, private readonly log: DiskLogger, private readonly reserveBytes = DISK_RESERVE_BYTES) {
    this.reservePath = path.join(dataDir, RESERVE_FILE);
  }

  /** Takes the reserve at start, after recovery (which may need the space); without room the server starts full. */
  start(): void {
    if (this.tryReserve()) this.full = false;
    else this.log.warn({ dataDir: this.dataDir, reserveBytes: this.reserveBytes }, 'the disk is full: writes are refused until space is freed');
  }

  /** Whether the disk is full now (a look at the free space may end that). */
  isFull(): boolean {
    if (this.full && (this.availableBytes() ?? 0) >= 2 * this.reserveBytes && this.tryReserve()) {
      this.full = false;
      this.log.info({ dataDir: this.dataDir }, 'the disk has room again: writes are admitted');
    }
    return this.full;
  }

  /** Refuses a write of rows (or a new table) while the disk is full. */
  admitWrite(): void {
    if (this.isFull()) {
      fail('INSUFFICIENT_STORAGE', `the disk holding ${this.dataDir} is full: writes are refused until space is freed (drop a table, delete other files or grow the volume); reads and drops still work`);
    }
  }

  /** Sees every error a request ends in: a full disk makes the server full. */
  observe(err: unknown): void {
    if (this.full) return;
    const code = err instanceof LakestreamError ? err.code : undefined;
    const full = code === 'INSUFFICIENT_STORAGE' || isDiskFull(err) || (code === 'STORAGE_ERROR' && (this.availableBytes() ?? Infinity) < this.reserveBytes);
    if (full) this.releaseReserve();
  }

  /** Deletes the reserve (the disk is full); true when it was held, so the caller may try again in the space it freed. */
  releaseReserve(): boolean {
    if (this.full) return false;
    this.full = true;
    fs.rmSync(this.reservePath, { force: true });
    this.log.warn({ dataDir: this.dataDir, reserveBytes: this.reserveBytes }, 'the disk is full: the reserve is released for drops; writes are refused until space is freed');
    return true;
  }

  /** Free bytes for us on the data dir's file system; undefined when even that cannot be asked (it decides nothing then). */
  private availableBytes(): number | undefined {
    try {
      const s = fs.statfsSync(this.dataDir);
      return s.bavail * s.bsize;
    } catch {
      return undefined;
    }
  }

  /** Writes the reserve file whole; false, with nothing left behind, when the disk has no room for it. */
  private tryReserve(): boolean {
    // Written sequentially, so a whole-sized file left by the previous run is a whole reserve.
    if (fs.statSync(this.reservePath, { throwIfNoEntry: false })?.size === this.reserveBytes) return true;
    try {
      writeZeros(this.reservePath, this.reserveBytes);
      return true;
    } catch (err) {
      fs.rmSync(this.reservePath, { force: true });
      if (!isDiskFull(err)) throw err;
      return false;
    }
  }
}

/** Zeros written, not a sparse file or a truncate: the blocks must really be taken. */
function writeZeros(file: string, bytes: number): void {
  const chunk = Buffer.alloc(WRITE_CHUNK_BYTES);
  const fd = fs.openSync(file, 'w');
  try {
    for (let done = 0; done < bytes; ) done += fs.writeSync(fd, chunk, 0, Math.min(chunk.length, bytes - done));
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
