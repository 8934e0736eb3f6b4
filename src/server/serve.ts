import type { AddressInfo } from 'node:net';
import { createServer, type Server } from './app.js';
import type { ServerConfig } from './config.js';
import { DataDirLock } from './data-dir-lock.js';
import { checkPortFree, listenFailure } from './port-check.js';

/**
 * Runs the server until SIGTERM or SIGINT: then it stops accepting, lets in-flight requests finish,
 * fsyncs and closes every log. A second signal exits at once (acknowledged data is already durable).
 * SIGHUP re-reads --auth-file.
 */
const SHUTDOWN_DEADLINE_MS = 45_000;

/** Logging must never stop a shutdown (see the EPIPE note below). */
function safely(write: () => void): void {
  try {
    write();
  } catch {
    // the log destination is gone
  }
}

/**
 * Every background promise of the server is handled where it is made (flushes, group commits,
 * tiering rounds, retention, timers). One that is not is a bug whose effect on the in-memory state
 * is unknown, so this handler does not keep the process alive (that would hide the bug and could
 * acknowledge writes on a broken state): it logs the rejection loudly, with its stack, and exits
 * as Node would; a restart recovers from the log, which holds everything acknowledged.
 */
function exitOnUnhandledRejection(log: { fatal(obj: object, msg: string): void }): void {
  process.on('unhandledRejection', (reason) => {
    safely(() => log.fatal({ err: reason }, 'unhandled promise rejection (a bug): exiting; a restart recovers from the log'));
    process.exit(70);
  });
}

/**
 * Another protocol served beside HTTP over the same tables (the Kafka listener). The server never
 * imports one: the command that starts the server passes them in.
 */
export interface ServerExtension {
  readonly name: string;
  /** Refuses a start whose listener could not bind, before anything is created (as the HTTP port's check). */
  checkPorts(): Promise<void>;
  /** Once the tables are open, before HTTP listens: builds its state and may add HTTP routes. */
  attach(server: Server): Promise<void>;
  /** Starts serving after HTTP; what it returns goes into the 'serving' log line. */
  start(): Promise<{ readonly address: string | null; close(): Promise<void> }>;
}

export async function serve(config: ServerConfig, extensions: readonly ServerExtension[] = []): Promise<void> {
  // In this order: a refused start creates nothing, and a second server never opens the catalog.
  await checkPortFree(config.host, config.port);
  for (const e of extensions) await e.checkPorts();
  const lock = DataDirLock.acquire(config.dataDir, { host: config.host, port: config.port });
  const server = await createServer(config);
  const log = server.app.log;
  exitOnUnhandledRejection(log);
  const started: { name: string; address: string | null; close(): Promise<void> }[] = [];
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      safely(() => log.warn({ signal }, 'second signal: exiting now'));
      process.exit(1);
    }
    stopping = true;
    // A safety net: whatever holds the close up, the process goes within the deadline. Nothing
    // acknowledged is lost by exiting (every acknowledgement followed its fsync).
    setTimeout(() => {
      safely(() => log.error({ deadlineMs: SHUTDOWN_DEADLINE_MS }, 'shutdown did not finish in time; exiting'));
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS).unref();
    // Other listeners stop first: their connections hold no acknowledged state the tables lack.
    const closing = Promise.allSettled(started.map((e) => e.close())).then(() => server.close());
    safely(() => log.info({ signal }, 'shutting down: finishing in-flight requests'));
    closing.then(
      () => {
        lock.release();
        safely(() => log.info('closed cleanly'));
        process.exit(0);
      },
      (err: unknown) => {
        safely(() => log.error({ err }, 'error while closing'));
        process.exit(1);
      },
    );
  };
  // When whoever read our output is gone (a supervisor or a parent shell died), writes fail with
  // EPIPE: the logs are lost, but the server must keep serving and still stop cleanly on a signal.
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  // Installing a handler also stops SIGHUP's default action (exit), with or without an auth file.
  process.on('SIGHUP', () => {
    log.info({ signal: 'SIGHUP' }, 'reloading the auth file');
    server.reloadAuth();
  });
  for (const e of extensions) await e.attach(server);
  const address = await server.app.listen({ host: config.host, port: config.port }).catch((err: unknown) => {
    throw listenFailure(err, config.host, config.port);
  });
  lock.listening((server.app.server.address() as AddressInfo).port);
  for (const e of extensions) started.push({ name: e.name, ...await e.start() });
  const others = Object.fromEntries(started.map((e) => [e.name, e.address]));
  log.info({ address, ...others, dataDir: config.dataDir }, 'lakestream is serving');
}
