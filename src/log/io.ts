/**
 * The storage calls the log makes on its hot path, behind an interface so tests can count fsyncs and
 * inject faults (ENOSPC, short writes, failing fsyncs) without patching `fs`. Everything else (open,
 * stat, truncate, rename) goes to `fs` directly: it is not on the path whose faults we simulate.
 */
import fs from 'node:fs';

export interface StorageIo {
  /** Synchronous write at the end of an append-mode fd; may write fewer bytes than asked. */
  write(fd: number, bytes: Uint8Array, offset: number, length: number): number;
  /** Asynchronous fdatasync in libuv's pool, so the event loop keeps accepting appends meanwhile. */
  fdatasync(fd: number): Promise<void>;
  /** Makes a directory's entries (a new segment file) durable. */
  fsyncDirectory(dir: string): Promise<void>;
}

export const nodeIo: StorageIo = {
  write: (fd, bytes, offset, length) => fs.writeSync(fd, bytes, offset, length),
  fdatasync: (fd) => new Promise((resolve, reject) => fs.fdatasync(fd, (err) => (err ? reject(err) : resolve()))),
  fsyncDirectory: async (dir) => {
    const handle = await fs.promises.open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  },
};
