import { Command, Option } from 'commander';
import type { Column, Connection, Row, Table } from '../client/index.js';
import { connect } from '../client/index.js';
import { LakestreamError } from '../common/errors.js';
import { rowToJson } from '../common/json-values.js';
import { resolveToken } from './token.js';

/** What every client command shares: where the server is and how to authenticate. */
export const DEFAULT_SERVER = 'http://127.0.0.1:9123';

export interface ClientOptions {
  readonly server: string;
  readonly token?: string;
  readonly tokenFile?: string;
}

/** A subcommand with `--server`, `--token` and `--token-file` (see withConnectionOptions). */
export function clientCommand(program: Command, nameAndArgs: string, description: string): Command {
  return withConnectionOptions(program.command(nameAndArgs).description(description));
}

/** `--server`, `--token` and `--token-file`, each with its environment variable. */
export function withConnectionOptions(command: Command): Command {
  return command
    .addOption(new Option('--server <url>', 'server URL').env('LAKESTREAM_SERVER').default(DEFAULT_SERVER))
    .addOption(new Option('--token <token>', 'sent as Authorization: Bearer <token> (shows in ps: prefer --token-file or the env var)').env('LAKESTREAM_TOKEN'))
    .addOption(new Option('--token-file <path>', 'read the token from the first line of this file').env('LAKESTREAM_TOKEN_FILE'));
}

export function openConnection(opts: ClientOptions): Connection {
  const token = resolveToken(opts.token, opts.tokenFile);
  return connect(opts.server, token ? { token } : {});
}

/** `db.table` -> [db, table]. */
export function tableName(text: string): [string, string] {
  const dot = text.indexOf('.');
  if (dot <= 0 || dot === text.length - 1 || text.indexOf('.', dot + 1) >= 0) {
    throw new LakestreamError('INVALID_PARAMETER', `'${text}' is not 'database.table'`);
  }
  return [text.slice(0, dot), text.slice(dot + 1)];
}

export function openTable(conn: Connection, text: string): Promise<Table> {
  const [db, t] = tableName(text);
  return conn.table(db, t);
}

/** A row as one JSON line (int64 beyond 2^53 as decimal strings, as the HTTP API does). */
export function jsonLine(columns: readonly Column[], row: Row, extra?: Record<string, unknown>): string {
  return `${JSON.stringify({ ...rowToJson(columns, row), ...extra })}\n`;
}

/** Writes to stdout, waiting for 'drain' when its buffer is full (back-pressure for a slow reader). */
export function writeOut(text: string): Promise<void> | void {
  if (process.stdout.write(text)) return;
  return new Promise((resolve) => process.stdout.once('drain', resolve));
}

/** Exit quietly when stdout's reader goes away (`| head`). */
export function exitOnClosedStdout(): void {
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
}

/** A progress line on stderr (a bar on a terminal, a plain line every few seconds otherwise). */
export class ProgressBar {
  private lastMs = 0;
  private readonly tty = process.stderr.isTTY === true;

  constructor(private readonly label: string, private readonly everyMs = 2000) {}

  update(rows: number, bytes: number, totalBytes: number | undefined, force = false): void {
    const now = Date.now();
    if (!force && now - this.lastMs < (this.tty ? 100 : this.everyMs)) return;
    this.lastMs = now;
    const pct = totalBytes ? Math.min(100, Math.floor((bytes / Math.max(1, totalBytes)) * 100)) : undefined;
    const width = 30;
    const bar = pct === undefined ? '' : `[${'#'.repeat(Math.round((pct / 100) * width)).padEnd(width, '.')}] ${String(pct).padStart(3)}% `;
    const text = `${this.label} ${bar}${rows} rows`;
    if (this.tty) process.stderr.write(`\r${text}`);
    else process.stderr.write(`${text}\n`);
  }

  done(message: string): void {
    if (this.tty) process.stderr.write('\r\x1b[K');
    process.stderr.write(`${message}\n`);
  }
}

/** `--from earliest|latest|full|<epoch ms>` */
export function parseFrom(text: string, allowed: readonly string[]): 'earliest' | 'latest' | 'full' | { timestamp: number } {
  if (allowed.includes(text)) return text as 'earliest' | 'latest' | 'full';
  if (/^\d+$/.test(text) && allowed.includes('<ms>')) return { timestamp: Number(text) };
  throw new LakestreamError('INVALID_PARAMETER', `--from '${text}' is not one of ${allowed.join(', ')}`);
}

/** Resolves on the first SIGINT or SIGTERM; a second one exits at once. */
export function onStopSignal(stop: () => void): () => void {
  let count = 0;
  const handler = (): void => {
    count++;
    if (count > 1) process.exit(130);
    stop();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}
