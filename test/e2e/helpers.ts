import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, whether this module runs from test/ (vitest) or from dist/test/ (a script run by hand). */
export const ROOT = ((): string => {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!fs.existsSync(path.join(dir, 'package.json'))) dir = path.dirname(dir);
  return dir;
})();
const ENTRY = path.join(ROOT, 'dist/src/cli/main.js');

export interface ServerProcess {
  readonly url: string;
  readonly port: number;
  /** The Kafka listener's port (0 when started with --kafka-listener none). */
  readonly kafkaPort: number;
  readonly dataDir: string;
  readonly proc: ChildProcess;
  /** Everything the server printed, for assertions and for debugging a failed test. */
  output(): string;
  /** SIGKILL the server itself (node runs directly, in its own process group) and wait for it to die. */
  kill9(): Promise<void>;
  /** SIGTERM and wait for a clean exit; returns the exit code. */
  stop(): Promise<number | null>;
}

export function tempDir(prefix = 'lakestream-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** A self-signed certificate for 127.0.0.1 and localhost, made with openssl at test time. */
export function makeCert(dir: string, name: string): { cert: string; key: string } {
  const cert = path.join(dir, `${name}.crt`);
  const key = path.join(dir, `${name}.key`);
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', key, '-out', cert,
  ], { stdio: 'ignore' });
  return { cert, key };
}

function waitExit(proc: ChildProcess): Promise<number | null> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve(proc.exitCode);
  return new Promise((resolve) => proc.once('exit', (code) => resolve(code)));
}

/**
 * Starts the real server process (`node dist/src/cli/main.js serve`) on a free port and waits until
 * it logs that it is serving. Pass `port` to restart on the same address after a kill.
 */
/**
 * The Kafka listener every test server gets unless its args choose one: a free port, so that servers
 * started side by side (and a developer's own broker on 9092) never collide.
 */
export function kafkaArgs(args: readonly string[], kafkaPort = 0): string[] {
  return args.includes('--kafka-listener') ? [] : ['--kafka-listener', `127.0.0.1:${kafkaPort}`];
}

export async function startServer(opts: { dataDir?: string; port?: number; kafkaPort?: number; args?: string[]; env?: Record<string, string> } = {}): Promise<ServerProcess> {
  const dataDir = opts.dataDir ?? tempDir();
  const extra = opts.args ?? [];
  const args = [ENTRY, 'serve', '--data-dir', dataDir, '--port', String(opts.port ?? 0), '--log-level', 'info', ...kafkaArgs(extra, opts.kafkaPort), ...extra];
  const proc = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  const { scheme, port } = await new Promise<{ scheme: string; port: number }>((resolve, reject) => {
    // Only a server that has not started is killed: one serving longer than 30 s is the test's.
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const m = /"address":"(https?):\/\/[^"]*:(\d+)"[^\n]*"msg":"lakestream is serving"/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      resolve({ scheme: m[1]!, port: Number(m[2]) });
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', (c: Buffer) => { out += c.toString(); });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before serving:\n${out}`));
    });
    const timer = setTimeout(() => {
      // Never leave a half-started server behind (it runs detached, in its own process group).
      try {
        process.kill(-proc.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
      reject(new Error(`server did not start in 30 s:\n${out}`));
    }, 30_000);
  });
  return {
    url: `${scheme}://127.0.0.1:${port}`,
    port,
    kafkaPort: Number(/"kafka":"[^"]*:(\d+)"/.exec(out)?.[1] ?? 0),
    dataDir,
    proc,
    output: () => out,
    async kill9() {
      try {
        process.kill(-proc.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
      await waitExit(proc);
    },
    async stop() {
      proc.kill('SIGTERM');
      return waitExit(proc);
    },
  };
}

export interface Reply<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

/** One HTTP call; a JSON body is sent as JSON, a Uint8Array as an Arrow stream. */
export async function call<T = any>(base: string, method: string, urlPath: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply<T>> {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body instanceof Uint8Array) {
    init.body = body;
    (init.headers as Record<string, string>)['content-type'] ??= 'application/vnd.apache.arrow.stream';
  } else if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
  }
  const res = await fetch(base + urlPath, init);
  const type = res.headers.get('content-type') ?? '';
  const parsed = type.includes('json') ? await res.json() : new Uint8Array(await res.arrayBuffer());
  return { status: res.status, body: parsed as T, headers: res.headers };
}
