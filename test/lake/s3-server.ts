/**
 * A real S3-compatible server for tests: s3rver 3.7.1 in a child process on a free loopback port.
 *
 * It runs with `--openssl-legacy-provider` because its ListObjectsV2 continuation tokens use a
 * cipher OpenSSL 3 disables by default. Objects live on disk in `directory`, so `restart()` (same
 * port, same directory) keeps them, and `stop()` + `start()` simulates an outage.
 *
 *   const s3 = await startS3Server({ bucket: 'lake' });
 *   const store = createObjectStore(`s3://${s3.bucket}/warehouse`, s3.storeOptions());
 *   ...
 *   await s3.close(); // stops the process and removes the directory (unless you passed one)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ObjectStoreOptions } from '../../src/lake/object-store.js';

/** s3rver's fixed credentials. */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

export interface S3TestServer {
  readonly endpoint: string;
  readonly port: number;
  readonly directory: string;
  /** The bucket created at start (and on every restart, which keeps its objects). */
  readonly bucket: string;
  /** Options for `createObjectStore` that point at this server. */
  storeOptions(extra?: Partial<ObjectStoreOptions>): ObjectStoreOptions;
  /** Stops the process; objects stay in `directory`. */
  stop(): Promise<void>;
  /** Starts it again on the same port with the same directory. */
  start(): Promise<void>;
  restart(): Promise<void>;
  /** Stops it and removes the directory if the helper created it. */
  close(): Promise<void>;
  readonly running: boolean;
}

export interface StartS3ServerOptions {
  bucket?: string;
  /** Data directory; default a fresh temporary one, removed by close(). */
  directory?: string;
  /** Startup timeout, ms. Default 20 s. */
  startTimeoutMs?: number;
}

const require = createRequire(import.meta.url);

function s3rverBin(): string {
  return path.join(path.dirname(require.resolve('s3rver/package.json')), 'bin', 's3rver.js');
}

function waitForListening(child: ChildProcess, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => done(new Error(`s3rver did not start within ${timeoutMs} ms: ${out.slice(-500)}`)), timeoutMs);
    const onData = (chunk: Buffer): void => {
      out += chunk.toString();
      const m = /S3rver listening on [^\s:]+:(\d+)/.exec(out);
      if (m) done(undefined, Number(m[1]));
    };
    const onExit = (code: number | null): void => done(new Error(`s3rver exited with ${code} before listening: ${out.slice(-500)}`));
    function done(err?: Error, port?: number): void {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onData);
      child.off('exit', onExit);
      if (err) reject(err);
      else resolve(port!);
    }
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('exit', onExit);
  });
}

/** A loopback port nothing listens on (for "unreachable endpoint" tests). */
export async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

export async function startS3Server(opts: StartS3ServerOptions = {}): Promise<S3TestServer> {
  const bucket = opts.bucket ?? 'lake';
  const ownDir = opts.directory === undefined;
  const directory = opts.directory ?? fs.mkdtempSync(path.join(os.tmpdir(), 'lakestream-s3rver-'));
  const timeoutMs = opts.startTimeoutMs ?? 20_000;
  let child: ChildProcess | undefined;
  let port = 0;

  const start = async (): Promise<void> => {
    if (child) return;
    const proc = spawn(process.execPath, [
      '--openssl-legacy-provider', s3rverBin(),
      '--directory', directory, '--address', '127.0.0.1', '--port', String(port),
      '--configure-bucket', bucket,
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    try {
      port = await waitForListening(proc, timeoutMs);
    } catch (e) {
      proc.kill('SIGKILL');
      child = undefined;
      throw e;
    }
    proc.on('exit', () => { if (child === proc) child = undefined; });
  };

  const stop = async (): Promise<void> => {
    const proc = child;
    if (!proc) return;
    child = undefined;
    const exited = new Promise<void>((r) => proc.once('exit', () => r()));
    proc.kill('SIGTERM');
    const killer = setTimeout(() => proc.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(killer);
  };

  await start();
  return {
    get endpoint() { return `http://127.0.0.1:${port}`; },
    get port() { return port; },
    directory,
    bucket,
    get running() { return child !== undefined; },
    storeOptions(extra = {}) {
      return { s3Endpoint: `http://127.0.0.1:${port}`, credentials: { ...S3RVER_CREDENTIALS }, checksums: 'when_required', region: 'us-east-1', ...extra };
    },
    stop,
    start,
    async restart() { await stop(); await start(); },
    async close() {
      await stop();
      if (ownDir) fs.rmSync(directory, { recursive: true, force: true });
    },
  };
}
