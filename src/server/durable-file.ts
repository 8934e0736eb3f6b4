import fs from 'node:fs';
import path from 'node:path';

/**
 * Replaces a small file so that a crash at any moment leaves either the old or the new content:
 * write a temp file, fsync it, rename over the target, fsync the directory. A failed write (a full
 * disk) removes its temp file, so it neither holds space nor is left behind.
 */
export function writeFileDurably(file: string, content: string | Uint8Array): void {
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeFileSync(fd, content);
    fs.fsyncSync(fd);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
  fsyncDir(path.dirname(file));
}

export function fsyncDir(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
