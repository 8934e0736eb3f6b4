/**
 * A lake in a local folder. Every write is durable and atomic (`replaceFileDurably`): the body goes
 * to a temporary file under `<root>/.tmp/`, is fsynced, then renamed (or, for create-only puts,
 * hard-linked, which fails with EEXIST when the key exists: a real create-exclusive) into place, and
 * the directory is fsynced so the new name survives a crash; new key folders are created durably too.
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { fail } from '../common/errors.js';
import { mkdirDurably, nodeIo, replaceFileDurably, type StorageIo, writeFileUnsynced } from '../common/storage-io.js';
import type { ListedObject, ObjectStore, PutOptions } from './object-store.js';
import { checkKey, checkPrefix } from './object-store.js';

/** Temporary files live here, inside the root so that rename/link stay on one file system. */
export const LOCAL_TMP_DIR = '.tmp';

function errno(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException)?.code;
}

function storageError(op: string, target: string, e: unknown): never {
  const code = errno(e);
  const hint = code === 'EACCES' || code === 'EPERM' ? ' (permission denied: check the owner and mode of the lake folder)'
    : code === 'ENOSPC' ? ' (the disk is full)' : code === 'EROFS' ? ' (the file system is read-only)' : '';
  fail('STORAGE_ERROR', `local lake: ${op} ${target} failed: ${(e as Error).message}${hint}`);
}

export class LocalObjectStore implements ObjectStore {
  readonly root: string;

  constructor(root: string, private readonly io: StorageIo = nodeIo) {
    if (!path.isAbsolute(root)) fail('INVALID_PARAMETER', `local lake root must be an absolute path, got '${root}'`);
    this.root = path.normalize(root);
  }

  private file(key: string): string {
    return path.join(this.root, ...checkKey(key).split('/'));
  }

  async put(key: string, body: Uint8Array, opts: PutOptions = {}): Promise<{ created: boolean }> {
    const final = this.file(key);
    const tmpDir = path.join(this.root, LOCAL_TMP_DIR);
    const tmp = path.join(tmpDir, `${randomUUID()}.tmp`);
    try {
      // Both durably: the first put may be what creates the lake folder itself, and a folder that
      // exists only in the page cache would let a later mkdirDurably skip the fsync it needs.
      await mkdirDurably(this.io, tmpDir);
      await mkdirDurably(this.io, path.dirname(final));
      const created = await replaceFileDurably(this.io, final, body, { tmp, exclusive: opts.ifNoneMatch === true });
      return { created };
    } catch (e) {
      try {
        this.io.unlink(tmp);
      } catch {
        /* a leftover under .tmp/ is never listed */
      }
      return storageError('put', final, e);
    }
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    const file = this.file(key);
    try {
      const buf = await fsp.readFile(file);
      return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    } catch (e) {
      if (errno(e) === 'ENOENT' || errno(e) === 'ENOTDIR') return undefined;
      return storageError('read', file, e);
    }
  }

  async getRange(key: string, start: number, end: number): Promise<Uint8Array> {
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start) {
      fail('INVALID_PARAMETER', `byte range [${start}, ${end}) is invalid`);
    }
    const file = this.file(key);
    let handle: fsp.FileHandle;
    try {
      handle = await fsp.open(file, 'r');
    } catch (e) {
      if (errno(e) === 'ENOENT') fail('STORAGE_ERROR', `local lake: object ${key} does not exist`);
      return storageError('open', file, e);
    }
    try {
      const size = (await handle.stat()).size;
      const to = Math.min(end, size);
      const out = new Uint8Array(Math.max(0, to - start));
      let at = 0;
      while (at < out.length) {
        const { bytesRead } = await handle.read(out, at, out.length - at, start + at);
        if (bytesRead === 0) break;
        at += bytesRead;
      }
      return at === out.length ? out : out.subarray(0, at);
    } catch (e) {
      return storageError('read', file, e);
    } finally {
      await handle.close();
    }
  }

  async head(key: string): Promise<{ size: number } | undefined> {
    const file = this.file(key);
    try {
      const st = await fsp.stat(file);
      return st.isFile() ? { size: st.size } : undefined;
    } catch (e) {
      if (errno(e) === 'ENOENT' || errno(e) === 'ENOTDIR') return undefined;
      return storageError('stat', file, e);
    }
  }

  async list(prefix: string): Promise<ListedObject[]> {
    checkPrefix(prefix);
    // Walk only the deepest directory the prefix names completely.
    const slash = prefix.lastIndexOf('/');
    const dirKey = slash < 0 ? '' : prefix.slice(0, slash);
    const out: ListedObject[] = [];
    const walk = async (dirRel: string): Promise<void> => {
      const dir = dirRel === '' ? this.root : path.join(this.root, ...dirRel.split('/'));
      let entries: fs.Dirent[];
      try {
        entries = await fsp.readdir(dir, { withFileTypes: true });
      } catch (e) {
        if (errno(e) === 'ENOENT' || errno(e) === 'ENOTDIR') return;
        return storageError('list', dir, e);
      }
      for (const ent of entries) {
        const rel = dirRel === '' ? ent.name : `${dirRel}/${ent.name}`;
        if (dirRel === '' && ent.name === LOCAL_TMP_DIR) continue;
        if (ent.isDirectory()) {
          // Descend only where keys can still start with the prefix.
          if (`${rel}/`.startsWith(prefix) || prefix.startsWith(`${rel}/`)) await walk(rel);
        } else if (ent.isFile() && rel.startsWith(prefix)) {
          try {
            const st = await fsp.stat(path.join(dir, ent.name));
            out.push({ key: rel, size: st.size, lastModified: st.mtimeMs });
          } catch (e) {
            if (errno(e) !== 'ENOENT') storageError('stat', rel, e);
          }
        }
      }
    };
    await walk(dirKey);
    // S3 lists in UTF-8 byte order; for our ASCII keys that is code-unit order.
    out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return out;
  }

  async delete(keys: readonly string[]): Promise<void> {
    const dirs = new Set<string>();
    for (const key of keys) {
      const file = this.file(key);
      try {
        this.io.unlink(file);
        dirs.add(path.dirname(file));
      } catch (e) {
        storageError('delete', file, e);
      }
    }
    for (const dir of dirs) await this.io.fsyncDirectory(dir).catch(() => undefined);
  }

  uri(key: string): string {
    return pathToFileURL(this.file(key)).href;
  }

  async check(): Promise<void> {
    try {
      await mkdirDurably(this.io, path.join(this.root, LOCAL_TMP_DIR));
    } catch (e) {
      storageError('create the lake folder', this.root, e);
    }
    const probe = path.join(this.root, LOCAL_TMP_DIR, `check-${randomUUID()}`);
    try {
      writeFileUnsynced(this.io, probe, Buffer.from('ok'));
      this.io.unlink(probe);
    } catch (e) {
      storageError('write a probe file in', this.root, e);
    }
  }
}
