/**
 * Shared pieces of the benchmarks: starting and stopping a lakestream server and a redis-server (each
 * in its own process group, on a free loopback port, in a temp dir), a keep-alive HTTP client, a
 * minimal pipelining RESP client, Arrow bodies built straight from typed arrays, and figures.
 *
 * Benchmarks are not tests: they print one JSON object and never import from test/.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as A from 'apache-arrow';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SERVER_ENTRY = path.join(ROOT, 'dist/src/cli/main.js');
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 30_000;

// ---------------------------------------------------------------------------------------------
// Processes

/** Everything a bench started; `cleanup()` stops it all, also on error (called from run.ts). */
const cleanups: (() => Promise<void>)[] = [];

export function onCleanup(fn: () => Promise<void>): void {
  cleanups.push(fn);
}

export async function cleanupAll(): Promise<void> {
  while (cleanups.length > 0) {
    const fn = cleanups.pop()!;
    try {
      await fn();
    } catch {
      // best effort: the next one still runs
    }
  }
}

export function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  onCleanup(async () => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function waitExit(proc: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    proc.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

function killGroup(proc: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-proc.pid!, signal);
  } catch {
    // already gone
  }
}

/** SIGTERM the group, wait for a clean exit (a CPU profile is written then), SIGKILL if it hangs. */
async function stopProcess(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  killGroup(proc, 'SIGTERM');
  if (!(await waitExit(proc, STOP_TIMEOUT_MS))) {
    killGroup(proc, 'SIGKILL');
    await waitExit(proc, 5_000);
  }
}

/** Stops `proc` once, however often it is called; also at the bench's exit. */
function stopperOf(proc: ChildProcess): () => Promise<void> {
  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= stopProcess(proc));
  onCleanup(stop);
  return stop;
}

export interface Lakestream {
  readonly url: string;
  readonly port: number;
  /** The Kafka listener's port (a free one unless `args` choose). */
  readonly kafkaPort: number;
  readonly pid: number;
  readonly dataDir: string;
  stop(): Promise<void>;
}

/**
 * Starts `node dist/src/cli/main.js serve` on a free port. BENCH_CPU_PROF=<dir> runs the server under
 * `--cpu-prof` so a profile lands in <dir> when it stops.
 */
export async function startLakestream(args: string[] = []): Promise<Lakestream> {
  const dataDir = tempDir('lakestream-bench-');
  const nodeArgs: string[] = [];
  const profDir = process.env.BENCH_CPU_PROF;
  if (profDir) nodeArgs.push('--cpu-prof', '--cpu-prof-dir', profDir);
  const argv = [...nodeArgs, SERVER_ENTRY, 'serve', '--data-dir', dataDir, '--port', '0', '--log-level', 'info', ...(args.includes('--kafka-listener') ? [] : ['--kafka-listener', '127.0.0.1:0']), ...args];
  const proc = spawn(process.execPath, argv, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const stop = stopperOf(proc);
  let out = '';
  const port = await new Promise<number>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      if (out.length < 100_000) out += chunk.toString();
      const m = /"address":"http:\/\/[^"]*:(\d+)"/.exec(out);
      if (m) resolve(Number(m[1]));
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', (c: Buffer) => { if (out.length < 100_000) out += c.toString(); });
    proc.once('exit', (code) => reject(new Error(`lakestream exited with ${code} before serving:\n${out}`)));
    setTimeout(() => reject(new Error(`lakestream did not start in ${START_TIMEOUT_MS} ms:\n${out}`)), START_TIMEOUT_MS).unref();
  });
  const kafkaPort = Number(/"kafka":"[^"]*:(\d+)"/.exec(out)?.[1] ?? 0);
  return { url: `http://127.0.0.1:${port}`, port, kafkaPort, pid: proc.pid!, dataDir, stop };
}

function onPath(binary: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const p = path.join(dir, binary);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      // next
    }
  }
  return undefined;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

export interface RedisServer {
  readonly port: number;
  readonly version: string;
  stop(): Promise<void>;
}

export class MissingPeerError extends Error {}

/** Starts redis-server with AOF on (`appendfsync` as given), no RDB snapshots, in a temp dir. */
export async function startRedis(appendfsync: 'everysec' | 'always'): Promise<RedisServer> {
  const bin = onPath('redis-server');
  if (!bin) throw new MissingPeerError('redis-server not found on PATH; install it with: sudo apt-get install -y redis-server');
  const dir = tempDir('lakestream-bench-redis-');
  const port = await freePort();
  const proc = spawn(bin, [
    '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--appendfsync', appendfsync,
    '--save', '', '--daemonize', 'no', '--protected-mode', 'yes', '--logfile', path.join(dir, 'redis.log'),
  ], { stdio: 'ignore', detached: true });
  const stop = stopperOf(proc);
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    try {
      const c = await RespClient.connect(port);
      const info = String(await c.command(['INFO', 'server']));
      c.close();
      const version = /redis_version:([^\r\n]+)/.exec(info)?.[1] ?? 'unknown';
      return { port, version, stop };
    } catch (e) {
      if (proc.exitCode !== null || Date.now() > deadline) throw new Error(`redis-server did not start: ${(e as Error).message}`);
      await sleep(50);
    }
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

// ---------------------------------------------------------------------------------------------
// RESP: just enough of the protocol to pipeline commands and read their replies.

type Reply = string | number | Buffer | null | Reply[] | Error;

export function encodeCommand(args: readonly (string | Buffer)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = typeof a === 'string' ? Buffer.from(a) : a;
    parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

/** Parses one reply at `pos`; returns undefined when the buffer holds only part of it. */
function parseReply(buf: Buffer, pos: number): { value: Reply; next: number } | undefined {
  if (pos >= buf.length) return undefined;
  const eol = buf.indexOf('\r\n', pos);
  if (eol < 0) return undefined;
  const type = buf[pos];
  const line = buf.toString('latin1', pos + 1, eol);
  switch (type) {
    case 0x2b: return { value: line, next: eol + 2 }; // +
    case 0x2d: return { value: new Error(line), next: eol + 2 }; // -
    case 0x3a: return { value: Number(line), next: eol + 2 }; // :
    case 0x24: { // $
      const n = Number(line);
      if (n < 0) return { value: null, next: eol + 2 };
      if (eol + 2 + n + 2 > buf.length) return undefined;
      return { value: buf.subarray(eol + 2, eol + 2 + n), next: eol + 2 + n + 2 };
    }
    case 0x2a: { // *
      const n = Number(line);
      if (n < 0) return { value: null, next: eol + 2 };
      const items: Reply[] = [];
      let p = eol + 2;
      for (let i = 0; i < n; i++) {
        const r = parseReply(buf, p);
        if (!r) return undefined;
        items.push(r.value);
        p = r.next;
      }
      return { value: items, next: p };
    }
    default: throw new Error(`unexpected RESP byte ${type}`);
  }
}

/** One connection; replies come back in order, so each waiter takes the next `count` replies. */
export class RespClient {
  private pending: Buffer = Buffer.alloc(0);
  private readonly waiters: { count: number; got: Reply[]; resolve(v: Reply[]): void; reject(e: Error): void }[] = [];

  private constructor(private readonly socket: net.Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (e) => this.failAll(e));
    socket.on('close', () => this.failAll(new Error('redis connection closed')));
  }

  static connect(port: number): Promise<RespClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => resolve(new RespClient(s)));
      s.once('error', reject);
    });
  }

  private failAll(e: Error): void {
    for (const w of this.waiters.splice(0)) w.reject(e);
  }

  private onData(chunk: Buffer): void {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    let pos = 0;
    while (this.waiters.length > 0) {
      const r = parseReply(this.pending, pos);
      if (!r) break;
      pos = r.next;
      const w = this.waiters[0]!;
      w.got.push(r.value);
      if (w.got.length === w.count) {
        this.waiters.shift();
        w.resolve(w.got);
      }
    }
    this.pending = pos >= this.pending.length ? Buffer.alloc(0) : this.pending.subarray(pos);
  }

  /** Writes pre-encoded commands in one go and resolves with their `count` replies. */
  pipeline(encoded: Buffer, count: number): Promise<Reply[]> {
    return new Promise((resolve, reject) => {
      this.waiters.push({ count, got: [], resolve, reject });
      this.socket.write(encoded);
    });
  }

  async command(args: readonly (string | Buffer)[]): Promise<Reply> {
    const [r] = await this.pipeline(encodeCommand(args), 1);
    if (r instanceof Error) throw r;
    return r!;
  }

  close(): void {
    this.socket.destroy();
  }
}

export function checkReplies(replies: Reply[]): void {
  for (const r of replies) if (r instanceof Error) throw new Error(`redis refused a command: ${r.message}`);
}

// ---------------------------------------------------------------------------------------------
// HTTP

export const ARROW = 'application/vnd.apache.arrow.stream';
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

export interface HttpReply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export function request(url: string, method: string, body?: Uint8Array | string, headers: Record<string, string> = {}): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent, headers: { ...headers, ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (body !== undefined) req.end(body);
    else req.end();
  });
}

export async function ok(reply: Promise<HttpReply>, what: string): Promise<HttpReply> {
  const r = await reply;
  if (r.status >= 300) throw new Error(`${what}: HTTP ${r.status} ${r.body.toString().slice(0, 300)}`);
  return r;
}

export async function createTable(base: string, db: string, table: string, definition: unknown): Promise<void> {
  await ok(request(`${base}/v1/databases/${db}?ifNotExists=true`, 'PUT'), 'create database');
  await ok(request(`${base}/v1/databases/${db}/tables/${table}`, 'PUT', JSON.stringify(definition), { 'content-type': 'application/json' }), 'create table');
}

// ---------------------------------------------------------------------------------------------
// Data: ~100-byte rows (int64 id, two strings, a double) as Arrow batches and as raw row bytes.

export const ROW_COLUMNS = [
  { name: 'id', type: 'int64', nullable: false },
  { name: 'name', type: 'string', nullable: false },
  { name: 'note', type: 'string', nullable: false },
  { name: 'score', type: 'float64', nullable: false },
];

const NAME_CHARS = 36;
const NOTE_CHARS = 40;
const ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** Deterministic text of exactly `len` ASCII characters for row `id`. */
function text(id: number, salt: number, len: number): string {
  let s = '';
  let x = (id * 2654435761 + salt * 40503) >>> 0;
  for (let i = 0; i < len; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    s += ALPHABET[x % ALPHABET.length];
  }
  return s;
}

export interface RowData {
  ids: number[];
  names: string[];
  notes: string[];
  scores: number[];
}

/**
 * Rows for `ids`. `distinctNames`: the name takes only that many values (`id mod distinctNames`), a
 * key of a keyed table (the append bench keys its tables on 1,000 names); else one per id.
 */
export function makeRows(ids: number[], salt = 0, distinctNames?: number): RowData {
  return {
    ids,
    names: ids.map((id) => text(distinctNames ? id % distinctNames : id, 1 + salt, NAME_CHARS)),
    notes: ids.map((id) => text(id, 2 + salt, NOTE_CHARS)),
    scores: ids.map((id) => id * 0.5 + salt),
  };
}

/** The payload bytes of one row (8 + 4 + 36 + 4 + 40 + 8 = 100), as Arrow carries them. */
export const ROW_BYTES = 8 + 4 + NAME_CHARS + 4 + NOTE_CHARS + 8;

export function utf8Data(values: readonly string[]): A.Data {
  const offsets = new Int32Array(values.length + 1);
  const bytes: Buffer[] = [];
  let at = 0;
  values.forEach((v, i) => {
    const b = Buffer.from(v, 'utf8');
    bytes.push(b);
    at += b.length;
    offsets[i + 1] = at;
  });
  const data = new Uint8Array(Buffer.concat(bytes));
  return A.makeData({ type: new A.Utf8(), length: values.length, nullCount: 0, valueOffsets: offsets, data });
}

export function int64Data(values: readonly number[]): A.Data {
  return A.makeData({ type: new A.Int64(), length: values.length, nullCount: 0, data: BigInt64Array.from(values, (v) => BigInt(v)) });
}

export function float64Data(values: readonly number[]): A.Data {
  return A.makeData({ type: new A.Float64(), length: values.length, nullCount: 0, data: Float64Array.from(values) });
}

export function ipcOf(fields: A.Field[], children: A.Data[]): Uint8Array {
  const schema = new A.Schema(fields);
  const length = children[0]!.length;
  const struct = A.makeData({ type: new A.Struct(schema.fields), length, nullCount: 0, children });
  const writer = new A.RecordBatchStreamWriter();
  writer.reset(undefined, schema);
  writer.write(new A.RecordBatch(schema, struct));
  writer.finish();
  return writer.toUint8Array(true);
}

/** One Arrow IPC stream (one record batch) of the 4-column rows. */
export function rowsIpc(rows: RowData): Uint8Array {
  return ipcOf(
    [new A.Field('id', new A.Int64(), false), new A.Field('name', new A.Utf8(), false), new A.Field('note', new A.Utf8(), false), new A.Field('score', new A.Float64(), false)],
    [int64Data(rows.ids), utf8Data(rows.names), utf8Data(rows.notes), float64Data(rows.scores)],
  );
}

/** The same row as raw bytes for the peer: id, name, note, score (100 bytes). */
export function rowBytes(rows: RowData, i: number): Buffer {
  const b = Buffer.alloc(ROW_BYTES);
  b.writeBigInt64LE(BigInt(rows.ids[i]!), 0);
  b.writeInt32LE(NAME_CHARS, 8);
  b.write(rows.names[i]!, 12, 'latin1');
  b.writeInt32LE(NOTE_CHARS, 12 + NAME_CHARS);
  b.write(rows.notes[i]!, 16 + NAME_CHARS, 'latin1');
  b.writeDoubleLE(rows.scores[i]!, 16 + NAME_CHARS + NOTE_CHARS);
  return b;
}

/** The rows as the JSON body of an append: int64 ids as numbers (all below 2^53). */
export function rowsJson(rows: RowData): string {
  return JSON.stringify(rows.ids.map((id, i) => ({ id, name: rows.names[i], note: rows.notes[i], score: rows.scores[i] })));
}

// ---------------------------------------------------------------------------------------------
// Figures

/**
 * BENCH_SHORT=1: a tenth of the work (at least `min`), to check that a bench runs on a busy machine.
 * Its figures are not the bench's figures; the JSON says `short: true`.
 */
export const SHORT = process.env.BENCH_SHORT === '1';

export function scaled(n: number, min = 1): number {
  return SHORT ? Math.max(min, Math.round(n / 10)) : n;
}

/** Elapsed seconds of `fn`. */
export async function timed(fn: () => Promise<void>): Promise<number> {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

const CLOCK_TICKS_PER_SEC = 100; // USER_HZ, what /proc reports times in on Linux

/** The fields of /proc/<pid>/stat after the command name (which may hold spaces), from field 3 on. */
function procStat(pid: number | 'self'): string[] {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** User + system CPU seconds a process has used so far (fields 14 and 15 of /proc/<pid>/stat). */
export function cpuSecondsOf(pid: number): number {
  const f = procStat(pid);
  return (Number(f[11]) + Number(f[12])) / CLOCK_TICKS_PER_SEC;
}

/**
 * User + system CPU seconds of this process's children that have exited and been waited for
 * (fields 16 and 17: cutime, cstime), so a child's whole CPU is the growth across its run.
 */
export function childCpuSeconds(): number {
  const f = procStat('self');
  return (Number(f[13]) + Number(f[14])) / CLOCK_TICKS_PER_SEC;
}

export function round(x: number, digits = 0): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

export interface Target {
  readonly figure: string;
  readonly measured: number;
  readonly op: '>=' | '<=';
  readonly target: number;
  readonly unit: string;
}

export function target(figure: string, measured: number, op: '>=' | '<=', targetValue: number, unit: string): Target & { met: boolean } {
  const met = op === '>=' ? measured >= targetValue : measured <= targetValue;
  return { figure, measured, op, target: targetValue, unit, met };
}

export function machine(): Record<string, unknown> {
  return {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model,
    memoryGiB: round(os.totalmem() / 2 ** 30, 1),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    date: new Date().toISOString(),
  };
}

/** Runs `n` tasks with at most `concurrency` at once; `task(i)` gets the task index. */
export async function pool(n: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      await task(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, worker));
}

/** Fisher–Yates with a seeded LCG, so runs are comparable. */
export function shuffled(n: number, seed = 42): number[] {
  const a = Array.from({ length: n }, (_, i) => i);
  let x = seed >>> 0;
  for (let i = n - 1; i > 0; i--) {
    x = (x * 1664525 + 1013904223) >>> 0;
    const j = x % (i + 1);
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}
