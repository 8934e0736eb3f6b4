/**
 * One server per data dir. Two servers on one directory would both hand out table ids and share
 * segments and LMDB files, so acknowledged data would be lost; the second is refused at start.
 *
 * Node 20 has no flock, so util-linux `flock(1)` takes the lock for us on an fd it inherits: it
 * locks the open file description it shares with this process, and the lock stays with our fd after
 * flock exits. The kernel drops it when the process dies, however it dies, so a restart after a
 * kill -9 is never blocked; no stale-lock cleanup exists because none is needed. The file's content
 * (pid, port, start time) is only for the refusal message: the lock is the flock, not the file.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fail } from '../common/errors.js';

export const LOCK_FILE = 'lock';
/** flock(1) exits with 1 when --nonblock finds the lock taken; its own errors use 64 and up. */
const FLOCK_CONFLICT_STATUS = 1;

export interface LockHolder {
  readonly pid: number;
  readonly port: number;
  readonly host: string;
  readonly startedAt: string;
}

/** The refusal for a second server: whom to stop, or where else to go. */
export function describeHolder(dataDir: string, content: string): string {
  const holder = parseHolder(content);
  const who = holder ? `lakestream pid ${holder.pid} on ${holder.host} port ${holder.port} (started ${holder.startedAt})` : 'another process (its lock file names no holder yet)';
  return `--data-dir ${dataDir} is in use by ${who}; stop that server first or pick another --data-dir`;
}

function parseHolder(content: string): LockHolder | undefined {
  try {
    const h = JSON.parse(content) as Partial<LockHolder>;
    if (Number.isSafeInteger(h.pid) && Number.isSafeInteger(h.port) && typeof h.host === 'string' && typeof h.startedAt === 'string') return h as LockHolder;
  } catch {
    // empty or half-written: the holder has not recorded itself yet
  }
  return undefined;
}

export class DataDirLock {
  private constructor(private readonly fd: number, private holder: LockHolder) {}

  /** Takes `<dataDir>/lock` or refuses (INVALID_PARAMETER naming the holder); creates dataDir if need be. */
  static acquire(dataDir: string, holder: Omit<LockHolder, 'pid' | 'startedAt'>): DataDirLock {
    fs.mkdirSync(dataDir, { recursive: true });
    const file = path.join(dataDir, LOCK_FILE);
    // No O_TRUNC: until the lock is ours, the content is the holder's.
    const fd = fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o644);
    let taken: boolean;
    try {
      taken = takeFlock(fd, file);
    } catch (err) {
      fs.closeSync(fd);
      throw err;
    }
    if (!taken) {
      const content = fs.readFileSync(fd, 'utf8');
      fs.closeSync(fd);
      fail('INVALID_PARAMETER', describeHolder(dataDir, content));
    }
    const lock = new DataDirLock(fd, { ...holder, pid: process.pid, startedAt: new Date().toISOString() });
    lock.write();
    return lock;
  }

  /** Records the port actually listened on (with --port 0 it is known only after listen). */
  listening(port: number): void {
    this.holder = { ...this.holder, port };
    this.write();
  }

  /** Closes the fd, which drops the lock; exit does the same. */
  release(): void {
    fs.closeSync(this.fd);
  }

  private write(): void {
    const text = `${JSON.stringify(this.holder)}\n`;
    fs.ftruncateSync(this.fd, 0);
    fs.writeSync(this.fd, text, 0);
  }
}

/** True when the lock is now ours, false when another open file description holds it. */
function takeFlock(fd: number, file: string): boolean {
  const r = spawnSync('flock', ['--exclusive', '--nonblock', '3'], { stdio: ['ignore', 'ignore', 'pipe', fd] });
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'flock(1) is not on the PATH; install util-linux (Debian/Ubuntu: apt-get install util-linux)' : `flock(1) did not run: ${r.error.message}`;
    fail('STORAGE_ERROR', `cannot lock ${file}: ${why}`);
  }
  if (r.status === FLOCK_CONFLICT_STATUS) return false;
  if (r.status !== 0) fail('STORAGE_ERROR', `cannot lock ${file}: flock(1) exited with ${String(r.status ?? r.signal)}: ${String(r.stderr).trim()}`);
  return true;
}
