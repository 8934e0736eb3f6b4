import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LakestreamError } from '../../src/common/errors.js';
import { DataDirLock, describeHolder, LOCK_FILE } from '../../src/server/data-dir-lock.js';
import { checkPortFree, listenFailure } from '../../src/server/port-check.js';

const dirs: string[] = [];
function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'lakestream-lock-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** Whether another process can take the lock right now (flock on its own open of the file). */
function otherProcessCanLock(file: string): boolean {
  return spawnSync('flock', ['--exclusive', '--nonblock', file, 'true']).status === 0;
}

function refusal(fn: () => unknown): LakestreamError {
  try {
    fn();
  } catch (err) {
    return err as LakestreamError;
  }
  throw new Error('expected a refusal');
}

describe('data dir lock', () => {
  it('data-dir-lock: holds the lock against other processes until released', () => {
    const dir = path.join(tempDir(), 'new');
    const lock = DataDirLock.acquire(dir, { host: '127.0.0.1', port: 0 });
    expect(otherProcessCanLock(path.join(dir, LOCK_FILE))).toBe(false);
    lock.release();
    expect(otherProcessCanLock(path.join(dir, LOCK_FILE))).toBe(true);
  });

  it('data-dir-lock: refuses a second holder, naming the first one\'s pid and listening port', () => {
    const dir = tempDir();
    const first = DataDirLock.acquire(dir, { host: '127.0.0.1', port: 0 });
    first.listening(45678);
    const err = refusal(() => DataDirLock.acquire(dir, { host: '127.0.0.1', port: 0 }));
    expect(err).toBeInstanceOf(LakestreamError);
    expect(err.message).toContain(`pid ${process.pid} on 127.0.0.1 port 45678`);
    expect(err.message).toContain(`--data-dir ${dir} is in use`);
    // The refused attempt did not disturb the holder's record.
    expect(JSON.parse(fs.readFileSync(path.join(dir, LOCK_FILE), 'utf8'))).toMatchObject({ pid: process.pid, port: 45678 });
    first.release();
    DataDirLock.acquire(dir, { host: '127.0.0.1', port: 0 }).release();
  });

  it('data-dir-lock: a lock file without a holder record still refuses, saying so', () => {
    expect(describeHolder('/d', '')).toBe('--data-dir /d is in use by another process (its lock file names no holder yet); stop that server first or pick another --data-dir');
    expect(describeHolder('/d', '{"pid":"x"}')).toContain('names no holder yet');
    expect(describeHolder('/d', '{"pid":7,"port":9,"host":"h","startedAt":"t"}')).toContain('lakestream pid 7 on h port 9 (started t)');
  });
});

describe('port check', () => {
  it('port-check: a port in use is a one-line refusal naming --port', async () => {
    const busy = net.createServer();
    await new Promise<void>((resolve) => busy.listen({ host: '127.0.0.1', port: 0 }, resolve));
    const { port } = busy.address() as net.AddressInfo;
    try {
      const err = await checkPortFree('127.0.0.1', port).then(() => undefined, (e: unknown) => e as LakestreamError);
      expect(err?.code).toBe('INVALID_PARAMETER');
      expect(err?.message).toMatch(new RegExp(`^--port ${port}: 127\\.0\\.0\\.1:${port} is already in use.*pick another --port$`));
      expect(err?.message).not.toContain('\n');
    } finally {
      await new Promise((resolve) => busy.close(resolve));
    }
    await expect(checkPortFree('127.0.0.1', port)).resolves.toBeUndefined();
  });

  it('port-check: maps listen errors to the flag to change, and passes others through', () => {
    const errno = (code: string) => Object.assign(new Error(code), { code });
    expect(listenFailure(errno('EACCES'), '0.0.0.0', 80).message).toMatch(/^--port 80: not allowed/);
    expect(listenFailure(errno('EADDRNOTAVAIL'), '10.9.9.9', 1).message).toMatch(/^--host 10\.9\.9\.9: no such local address/);
    const other = errno('EMFILE');
    expect(listenFailure(other, 'h', 1)).toBe(other);
  });
});
