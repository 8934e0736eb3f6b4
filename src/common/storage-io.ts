/**
 * Every call that changes what the server keeps on disk (file data, and directory entries: creates,
 * renames, links, unlinks), behind one interface, so a test can count fsyncs, inject faults (ENOSPC,
 * short writes, failing fsyncs) or model a power loss (src/common/testing-disk.ts) without patching
 * `fs`. Reads go to `fs` directly: they change nothing a crash could lose.
 *
 * The segments, their indexes, writer snapshots, the catalog and the local lake go through it. LMDB's
 * files cannot (lmdb-js writes them from C); LMDB's durability is its own, and the log is the truth:
 * the index is rebuilt by replaying the changelog from LMDB's applied offset.
 *
 * The durability rules, which the helpers below follow: written bytes are durable after an fdatasync
 * of their file; a new, renamed or removed directory entry is durable after an fsync of its directory.
 */
import fs from 'node:fs';
import path from 'node:path';

export interface StorageIo {
  /** Opens a file for appending, creating it when absent. */
  openAppend(file: string): number;
  /** Creates a file for writing, truncating it; with `exclusive`, fails with EEXIST when it exists. */
  create(file: string, exclusive: boolean): number;
  /** Synchronous write at the end of the file; may write fewer bytes than asked. */
  write(fd: number, bytes: Uint8Array, offset: number, length: number): number;
  truncate(fd: number, length: number): void;
  /** Asynchronous fdatasync in libuv's pool, so the event loop keeps accepting appends meanwhile. */
  fdatasync(fd: number): Promise<void>;
  close(fd: number): void;
  /** Creates the directory and any missing parent (nothing when it exists). */
  mkdir(dir: string): void;
  rename(from: string, to: string): void;
  /** A second name for `existing`; fails with EEXIST when `newPath` exists (a create-exclusive). */
  link(existing: string, newPath: string): void;
  /** Removes a file; a missing one is fine. */
  unlink(file: string): void;
  /** Removes a directory and everything in it; a missing one is fine. */
  removeTree(dir: string): void;
  /** Makes a directory's entries durable. */
  fsyncDirectory(dir: string): Promise<void>;
}

export const nodeIo: StorageIo = {
  openAppend: (file) => fs.openSync(file, 'a+'),
  create: (file, exclusive) => fs.openSync(file, exclusive ? 'wx' : 'w'),
  write: (fd, bytes, offset, length) => fs.writeSync(fd, bytes, offset, length),
  truncate: (fd, length) => fs.ftruncateSync(fd, length),
  fdatasync: (fd) => new Promise((resolve, reject) => fs.fdatasync(fd, (err) => (err ? reject(err) : resolve()))),
  close: (fd) => fs.closeSync(fd),
  mkdir: (dir) => void fs.mkdirSync(dir, { recursive: true }),
  rename: (from, to) => fs.renameSync(from, to),
  link: (existing, newPath) => fs.linkSync(existing, newPath),
  unlink: (file) => fs.rmSync(file, { force: true }),
  removeTree: (dir) => fs.rmSync(dir, { recursive: true, force: true }),
  fsyncDirectory: async (dir) => {
    const handle = await fs.promises.open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  },
};

/** Writes all of `bytes` at the end of `fd`, looping over short writes. */
export function writeAll(io: StorageIo, fd: number, bytes: Uint8Array): void {
  for (let done = 0; done < bytes.length; ) {
    const n = io.write(fd, bytes, done, bytes.length - done);
    if (n <= 0) throw new Error(`write returned ${n}`);
    done += n;
  }
}

/** Writes a whole file, not fsynced: for files that can be rebuilt or are only a hint. */
export function writeFileUnsynced(io: StorageIo, file: string, bytes: Uint8Array): void {
  const fd = io.create(file, false);
  try {
    writeAll(io, fd, bytes);
  } finally {
    io.close(fd);
  }
}

/**
 * Write-then-rename, not fsynced, so a reader sees the old file or the new one, never half of one;
 * after a power loss either may be gone or hold garbage, so only for files that can be rebuilt.
 */
export function replaceFileUnsynced(io: StorageIo, file: string, bytes: Uint8Array): void {
  const tmp = `${file}.tmp`;
  writeFileUnsynced(io, tmp, bytes);
  io.rename(tmp, file);
}

export interface DurableReplaceOptions {
  /** Where the content is written first (same file system as `file`); default `<file>.tmp`. */
  readonly tmp?: string;
  /** Create only: when `file` exists it is left as it is and the result is false. */
  readonly exclusive?: boolean;
}

/**
 * Replaces (or, with `exclusive`, creates) a file so that a crash or a power loss at any moment leaves
 * the old content or the new, and once it resolves the new content survives both: write a temp file,
 * fdatasync it, rename (link, for exclusive) it into place, fsync the directory. Returns whether the
 * file now holds `content`. A failed write removes its temp file.
 */
export async function replaceFileDurably(io: StorageIo, file: string, content: string | Uint8Array, opts: DurableReplaceOptions = {}): Promise<boolean> {
  const tmp = opts.tmp ?? `${file}.tmp`;
  const fd = io.create(tmp, false);
  try {
    writeAll(io, fd, typeof content === 'string' ? Buffer.from(content) : content);
    await io.fdatasync(fd);
  } catch (err) {
    io.close(fd);
    io.unlink(tmp); // a failed write (a full disk) neither holds the space nor is left behind
    throw err;
  }
  io.close(fd);
  let placed = true;
  if (opts.exclusive) {
    try {
      io.link(tmp, file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      placed = false;
    }
    io.unlink(tmp);
  } else {
    io.rename(tmp, file);
  }
  if (placed) await io.fsyncDirectory(path.dirname(file));
  return placed;
}

/**
 * Creates a directory and its missing parents so that they survive a power loss: each new entry is
 * made durable by an fsync of the directory holding it (mkdir alone leaves it in the page cache).
 */
export async function mkdirDurably(io: StorageIo, dir: string): Promise<void> {
  const missing: string[] = [];
  for (let d = path.resolve(dir); !fs.existsSync(d); d = path.dirname(d)) missing.push(d);
  if (missing.length === 0) return;
  io.mkdir(dir);
  for (const d of missing) await io.fsyncDirectory(path.dirname(d));
}
