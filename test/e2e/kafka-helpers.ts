/**
 * Real Kafka clients for the e2e tests: kcat (librdkafka) and kafka-python scripts
 * (test/e2e/kafka-python/*.py, run with /usr/bin/python3, where Debian installs kafka-python and its
 * codecs). Every process started here is remembered until it exits, and `stopClients()` (each
 * file's afterAll) SIGKILLs what is left, so a failed test never leaves a client behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { ROOT } from './helpers.js';

const KCAT = '/usr/bin/kcat';
const PYTHON = '/usr/bin/python3';
const SCRIPTS = path.join(ROOT, 'test/e2e/kafka-python');
/** A one-shot client that has not finished by then is killed and its test fails. */
const RUN_MS_MAX = 30_000;
const POLL_MS = 25;

const running = new Set<ChildProcess>();

interface Finished {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function track(proc: ChildProcess): ChildProcess {
  running.add(proc);
  proc.once('exit', () => running.delete(proc));
  return proc;
}

function start(cmd: string, args: readonly string[]): ChildProcess {
  // PYTHONDONTWRITEBYTECODE: no __pycache__ in the source tree; unbuffered so lines arrive as printed.
  const env = { ...process.env, PYTHONDONTWRITEBYTECODE: '1', PYTHONUNBUFFERED: '1' };
  return track(spawn(cmd, args, { cwd: ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] }));
}

/** Runs a client to its end, feeding it `input`; rejects (after killing it) when it outlives `timeoutMs`. */
function run(cmd: string, args: readonly string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<Finished> {
  const proc = start(cmd, args);
  let stdout = '';
  let stderr = '';
  proc.stdout!.on('data', (c: Buffer) => { stdout += c.toString(); });
  proc.stderr!.on('data', (c: Buffer) => { stderr += c.toString(); });
  proc.stdin!.on('error', () => undefined);
  proc.stdin!.end(opts.input ?? '');
  const timeoutMs = opts.timeoutMs ?? RUN_MS_MAX;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`${path.basename(cmd)} ${args.join(' ')} did not finish in ${timeoutMs} ms\nstdout:\n${stdout}\nstderr:\n${stderr}`));
    }, timeoutMs);
    proc.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    proc.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** kcat against a broker; `input` is what `-P` produces, one message a line. */
export function kcat(bootstrap: string, args: readonly string[], input?: string): Promise<Finished> {
  return run(KCAT, ['-b', bootstrap, ...args], input === undefined ? {} : { input });
}

/** One JSON object a line (kcat -J, the python scripts' events). */
export function jsonLines<T = any>(text: string): T[] {
  return text.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as T);
}

/**
 * Runs test/e2e/kafka-python/<script>.py with `job` (JSON) as its argument; resolves with the JSON it
 * prints, which is `{ error: { type, message } }` when kafka-python raised.
 */
export async function python<T = any>(script: string, job: object): Promise<T> {
  const done = await run(PYTHON, [path.join(SCRIPTS, `${script}.py`), JSON.stringify(job)]);
  const lines = jsonLines<T>(done.stdout);
  if (lines.length !== 1) throw new Error(`${script}.py exited with ${done.code} and printed ${lines.length} JSON lines\nstdout:\n${done.stdout}\nstderr:\n${done.stderr}`);
  return lines[0]!;
}

/** A long-running client (a consumer group member): its output as it comes, and a way to kill it. */
export class Client {
  private stdoutText = '';
  private stderrText = '';
  private readonly exited: Promise<void>;

  constructor(readonly name: string, private readonly proc: ChildProcess) {
    proc.stdout!.on('data', (c: Buffer) => { this.stdoutText += c.toString(); });
    proc.stderr!.on('data', (c: Buffer) => { this.stderrText += c.toString(); });
    proc.stdin!.end();
    this.exited = new Promise((resolve) => proc.once('close', () => resolve()));
  }

  static kcat(name: string, bootstrap: string, args: readonly string[]): Client {
    return new Client(name, start(KCAT, ['-b', bootstrap, ...args]));
  }

  static python(name: string, script: string, job: object): Client {
    return new Client(name, start(PYTHON, [path.join(SCRIPTS, `${script}.py`), JSON.stringify(job)]));
  }

  get stdout(): string {
    return this.stdoutText;
  }

  get stderr(): string {
    return this.stderrText;
  }

  get alive(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** What it printed, for a failed test's message. */
  describe(): string {
    return `${this.name} (${this.alive ? 'running' : `exited ${this.proc.exitCode ?? this.proc.signalCode}`})\nstdout:\n${this.stdoutText.slice(-4000)}\nstderr:\n${this.stderrText.slice(-4000)}`;
  }

  /** SIGKILL: the client gets no chance to commit, leave its group or flush anything. */
  async kill9(): Promise<void> {
    if (this.alive) this.proc.kill('SIGKILL');
    await this.exited;
  }
}

/** Polls `cond` until it holds; the error says what never happened and, through `detail`, what was seen. */
export async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 20_000, detail: () => string = () => ''): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${detail()}`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** SIGKILLs every client still running (each file's afterAll). */
export async function stopClients(): Promise<void> {
  const left = [...running];
  await Promise.all(left.map((p) => new Promise<void>((resolve) => {
    if (p.exitCode !== null || p.signalCode !== null) return resolve();
    p.once('exit', () => resolve());
    p.kill('SIGKILL');
  })));
}

/** The server's log lines (pino JSON) whose message starts with `msg`. */
export function logLines(output: string, msg: string): Record<string, unknown>[] {
  return jsonLines<Record<string, unknown>>(output).filter((l) => typeof l.msg === 'string' && l.msg.startsWith(msg));
}

/** What kcat -J prints of a record; header names and values alternate in `headers`. */
export interface KcatRecord {
  topic: string;
  partition: number;
  offset: number;
  tstype: string;
  ts: number;
  key: string | null;
  payload: string | null;
  headers?: (string | null)[];
}
