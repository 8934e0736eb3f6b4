/**
 * A disk that can lose power, for tests (as TigerBeetle's testing storage, but over real files).
 * `kill -9` keeps the page cache, so a crash test cannot catch a missing fsync; this can.
 *
 * The real files under `root` play the page cache: every call of `io()` is applied to them at once,
 * so the code under test reads what it wrote. Beside them the disk keeps what a power loss would
 * leave: each file's content as of its last fdatasync (taken when the fdatasync is called, so a write
 * racing it is not covered), and each directory's entries as of its last fsync. `powerLoss()` turns
 * the current `io()` dead (every further change through it fails with EIO, as to a process that
 * died), then rewrites the tree to what survives:
 *
 *   - mode 'cut': every file back to its last synced content (empty if never synced), every directory
 *     back to its last synced entries: creates, renames, links and unlinks since then are undone;
 *   - mode 'torn': as 'cut', then each file takes a random part of its unsynced writes and truncates,
 *     in a random order, each write cut to a random number of 512-byte sectors (holes read as zeros),
 *     and each directory keeps its unsynced entries or loses them, by a coin toss per directory.
 *
 * Only entries made through `io()` (or present at construction) are the disk's: others, like LMDB's
 * files, which lmdb-js writes from C, are left as they are. Everything that survives is synced from
 * then on, and a new `io()` works on it.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { StorageIo } from './storage-io.js';

export type PowerLossMode = 'cut' | 'torn';

type Change = { kind: 'write'; position: number; bytes: Buffer } | { kind: 'truncate'; length: number };

interface FileState {
  /** Content as of the last fdatasync; undefined when never synced. */
  synced: Buffer | undefined;
  /** Writes and truncates since then, in order. */
  unsynced: Change[];
}

interface Entry {
  readonly kind: 'file' | 'dir';
  readonly id: number;
}

export interface PowerLossFigures {
  powerLosses: number;
  fdatasyncs: number;
  directoryFsyncs: number;
  /** Bytes written but not synced when the power went (before 'torn' applies part of them). */
  unsyncedBytesDropped: number;
  /** Directories whose unsynced entries were undone. */
  directoriesReverted: number;
}

/** The disk as the power went: its entries, each directory's synced entries, each file's surviving content. */
interface Before {
  readonly live: Tree;
  readonly syncedDirs: Map<number, Map<string, Entry>>;
  readonly survivors: Map<number, Buffer>;
}

const SECTOR_BYTES = 512;

function eio(): Error {
  return Object.assign(new Error('input/output error (the power is off)'), { code: 'EIO' });
}

export class TestingDisk {
  readonly root: string;
  readonly figures: PowerLossFigures = { powerLosses: 0, fdatasyncs: 0, directoryFsyncs: 0, unsyncedBytesDropped: 0, directoriesReverted: 0 };
  private nextId = 1;
  private readonly files = new Map<number, FileState>();
  /** Each directory's entries as of its last fsync, by directory id. */
  private readonly syncedDirs = new Map<number, Map<string, Entry>>();
  /** The disk's entries as they are now, by absolute path. */
  private live = new Tree();
  /** File ids of the fds the current session opened inside root. */
  private readonly fds = new Map<number, number>();
  private current: StorageIo;
  /** Closes what the current session left open. */
  private closeSessionFds: () => void = () => undefined;
  private rootId: number;

  constructor(root: string, readonly mode: PowerLossMode, private readonly random: () => number) {
    this.root = path.resolve(root);
    fs.mkdirSync(this.root, { recursive: true });
    this.rootId = this.adopt(this.root);
    this.current = this.session();
  }

  /**
   * Whether an fsync is to be answered without making anything durable, as a file system that lies
   * would: a subclass that forgets one kind shows that the suite catching it means something.
   */
  protected forgets(_kind: 'fdatasync' | 'directory', _target: string): boolean {
    return false;
  }

  /** The storage calls of the machine as it runs now; dead after the next power loss. */
  io(): StorageIo {
    return this.current;
  }

  /** Cuts the power: the current io() dies and the files become what a real disk would have kept. */
  powerLoss(): void {
    this.figures.powerLosses++;
    this.closeSessionFds();
    this.fds.clear();
    this.current = this.session();
    const survivors = new Map<number, Buffer>();
    for (const [id, state] of this.files) {
      this.figures.unsyncedBytesDropped += state.unsynced.reduce((n, c) => n + (c.kind === 'write' ? c.bytes.length : 0), 0);
      survivors.set(id, this.survivingContent(state));
    }
    const before = { live: this.live, syncedDirs: new Map(this.syncedDirs), survivors };
    this.files.clear();
    this.syncedDirs.clear();
    this.live = new Tree();
    this.rootId = this.restoreDir(this.root, this.rootId, before);
  }

  // ----------------------------------------------------------------------------------------------
  // What survives.

  private survivingContent(state: FileState): Buffer {
    let content = state.synced ?? Buffer.alloc(0);
    if (this.mode === 'cut') return content;
    const kept = state.unsynced.filter(() => this.random() < 0.5);
    for (let i = kept.length - 1; i > 0; i--) {
      const j = Math.floor(this.random() * (i + 1));
      [kept[i], kept[j]] = [kept[j]!, kept[i]!];
    }
    for (const change of kept) {
      if (change.kind === 'truncate') {
        content = resize(content, change.length);
        continue;
      }
      const sectors = Math.ceil(change.bytes.length / SECTOR_BYTES);
      const bytes = change.bytes.subarray(0, Math.floor(this.random() * (sectors + 1)) * SECTOR_BYTES);
      if (bytes.length === 0) continue;
      content = resize(content, Math.max(content.length, change.position + bytes.length));
      bytes.copy(content, change.position);
    }
    return content;
  }

  /** The entries a directory keeps: the synced ones, or in 'torn' mode perhaps the current ones. */
  private survivingEntries(dir: string, id: number, before: Before): Map<string, Entry> {
    const synced = before.syncedDirs.get(id) ?? new Map<string, Entry>();
    const now = before.live.children(dir);
    if (sameEntries(synced, now)) return synced;
    if (this.mode === 'torn' && this.random() < 0.5) return now;
    this.figures.directoriesReverted++;
    return synced;
  }

  /** Rewrites `dir` to its surviving entries and contents, adopting them as synced; returns its new id. */
  private restoreDir(dir: string, id: number, before: Before): number {
    const keep = this.survivingEntries(dir, id, before);
    for (const [name, entry] of before.live.children(dir)) {
      if (keep.get(name)?.kind !== entry.kind) fs.rmSync(path.join(dir, name), { recursive: true, force: true });
    }
    const entries = new Map<string, Entry>();
    for (const [name, entry] of keep) {
      const p = path.join(dir, name);
      if (entry.kind === 'dir') {
        fs.mkdirSync(p, { recursive: true });
        entries.set(name, { kind: 'dir', id: this.restoreDir(p, entry.id, before) });
      } else {
        const content = before.survivors.get(entry.id) ?? Buffer.alloc(0);
        fs.rmSync(p, { recursive: true, force: true });
        fs.writeFileSync(p, content);
        const fresh = this.newEntry(p, 'file');
        this.files.get(fresh.id)!.synced = content;
        entries.set(name, fresh);
      }
    }
    const self = this.newEntry(dir, 'dir');
    this.syncedDirs.set(self.id, entries);
    return self.id;
  }

  // ----------------------------------------------------------------------------------------------
  // Bookkeeping.

  private newEntry(p: string, kind: Entry['kind']): Entry {
    const entry = { kind, id: this.nextId++ };
    if (kind === 'file') this.files.set(entry.id, { synced: undefined, unsynced: [] });
    this.live.set(p, entry);
    return entry;
  }

  /** Takes what is under `dir` as synced, as a disk that was there before the test; returns its id. */
  private adopt(dir: string): number {
    const entries = new Map<string, Entry>();
    for (const ent of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, ent.name);
      if (ent.isDirectory()) entries.set(ent.name, { kind: 'dir', id: this.adopt(p) });
      else if (ent.isFile()) {
        const entry = this.newEntry(p, 'file');
        this.files.get(entry.id)!.synced = fs.readFileSync(p);
        entries.set(ent.name, entry);
      }
    }
    const self = this.newEntry(dir, 'dir');
    this.syncedDirs.set(self.id, entries);
    return self.id;
  }

  private tracked(p: string): boolean {
    return p === this.root || p.startsWith(this.root + path.sep);
  }

  private fileOf(fd: number): FileState | undefined {
    const id = this.fds.get(fd);
    return id === undefined ? undefined : this.files.get(id);
  }

  private opened(file: string, fd: number, truncated: boolean): number {
    const p = path.resolve(file);
    if (!this.tracked(p)) return fd;
    let entry = this.live.get(p);
    if (entry?.kind !== 'file') entry = this.newEntry(p, 'file');
    else if (truncated) this.files.get(entry.id)!.unsynced.push({ kind: 'truncate', length: 0 });
    this.fds.set(fd, entry.id);
    return fd;
  }

  private moved(from: string, to: string, keepSource: boolean): void {
    const src = path.resolve(from);
    const dst = path.resolve(to);
    for (const [p, entry] of this.live.subtree(src)) {
      if (!keepSource) this.live.delete(p);
      this.live.set(dst + p.slice(src.length), entry);
    }
  }

  private removed(target: string): void {
    const p = path.resolve(target);
    for (const [key] of this.live.subtree(p)) this.live.delete(key);
  }

  private session(): StorageIo {
    const disk = this;
    const open = new Map<number, string>();
    this.closeSessionFds = () => {
      for (const fd of open.keys()) fs.closeSync(fd);
      open.clear();
    };
    const check = (): void => {
      if (disk.current !== io) throw eio();
    };
    const opened = (file: string, fd: number, truncated: boolean): number => {
      open.set(fd, path.resolve(file));
      return disk.opened(file, fd, truncated);
    };
    const later = async (): Promise<void> => {
      await new Promise((resolve) => setImmediate(resolve));
      check();
    };
    const io: StorageIo = {
      openAppend(file) {
        check();
        return opened(file, fs.openSync(file, 'a+'), false);
      },
      create(file, exclusive) {
        check();
        return opened(file, fs.openSync(file, exclusive ? 'wx+' : 'w+'), true); // readable, for fdatasync's snapshot
      },
      write(fd, bytes, offset, length) {
        check();
        const position = fs.fstatSync(fd).size;
        const n = fs.writeSync(fd, bytes, offset, length);
        disk.fileOf(fd)?.unsynced.push({ kind: 'write', position, bytes: Buffer.from(bytes.subarray(offset, offset + n)) });
        return n;
      },
      truncate(fd, length) {
        check();
        fs.ftruncateSync(fd, length);
        disk.fileOf(fd)?.unsynced.push({ kind: 'truncate', length });
      },
      async fdatasync(fd) {
        check();
        const state = disk.forgets('fdatasync', open.get(fd) ?? '') ? undefined : disk.fileOf(fd);
        const content = state && readWhole(fd);
        const covered = state?.unsynced.length ?? 0;
        await later();
        disk.figures.fdatasyncs++;
        if (state) {
          state.synced = content;
          state.unsynced.splice(0, covered);
        }
      },
      close(fd) {
        // After a power loss the fd was closed already (its number may belong to someone else now).
        if (!open.delete(fd)) return;
        disk.fds.delete(fd);
        fs.closeSync(fd);
      },
      mkdir(dir) {
        check();
        const missing: string[] = [];
        for (let d = path.resolve(dir); !fs.existsSync(d); d = path.dirname(d)) missing.unshift(d);
        fs.mkdirSync(dir, { recursive: true });
        for (const d of missing) if (disk.tracked(d)) disk.newEntry(d, 'dir');
      },
      rename(from, to) {
        check();
        fs.renameSync(from, to);
        disk.removed(to);
        disk.moved(from, to, false);
      },
      link(existing, newPath) {
        check();
        fs.linkSync(existing, newPath);
        disk.moved(existing, newPath, true);
      },
      unlink(file) {
        check();
        fs.rmSync(file, { force: true });
        disk.removed(file);
      },
      removeTree(dir) {
        check();
        fs.rmSync(dir, { recursive: true, force: true });
        disk.removed(dir);
      },
      async fsyncDirectory(dir) {
        check();
        const p = path.resolve(dir);
        const self = disk.live.get(p);
        const entries = disk.live.children(p);
        await later();
        disk.figures.directoryFsyncs++;
        if (self?.kind === 'dir' && !disk.forgets('directory', p)) disk.syncedDirs.set(self.id, entries);
      },
    };
    return io;
  }
}

function readWhole(fd: number): Buffer {
  const size = fs.fstatSync(fd).size;
  const buf = Buffer.alloc(size);
  for (let at = 0; at < size; ) {
    const n = fs.readSync(fd, buf, at, size - at, at);
    if (n === 0) break;
    at += n;
  }
  return buf;
}

function resize(content: Buffer, length: number): Buffer {
  if (length <= content.length) return content.subarray(0, length);
  const out = Buffer.alloc(length);
  content.copy(out);
  return out;
}

/** The disk's entries by absolute path, with each directory's children at hand. */
class Tree {
  private readonly entries = new Map<string, Entry>();
  private readonly byDir = new Map<string, Map<string, Entry>>();

  get(p: string): Entry | undefined {
    return this.entries.get(p);
  }

  set(p: string, entry: Entry): void {
    this.entries.set(p, entry);
    const dir = path.dirname(p);
    if (dir === p) return;
    let names = this.byDir.get(dir);
    if (!names) this.byDir.set(dir, (names = new Map()));
    names.set(path.basename(p), entry);
  }

  delete(p: string): void {
    this.entries.delete(p);
    this.byDir.get(path.dirname(p))?.delete(path.basename(p));
  }

  /** A copy of the direct children of `dir`, by name. */
  children(dir: string): Map<string, Entry> {
    return new Map(this.byDir.get(dir));
  }

  /** `p` and everything under it, parents first. */
  subtree(p: string): [string, Entry][] {
    const entry = this.entries.get(p);
    if (!entry) return [];
    const out: [string, Entry][] = [[p, entry]];
    for (const name of this.children(p).keys()) out.push(...this.subtree(path.join(p, name)));
    return out;
  }
}

function sameEntries(a: Map<string, Entry>, b: Map<string, Entry>): boolean {
  if (a.size !== b.size) return false;
  for (const [name, entry] of a) if (b.get(name)?.id !== entry.id) return false;
  return true;
}
