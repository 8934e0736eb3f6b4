import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { fail, LakestreamError } from '../common/errors.js';
import { IndexWriter } from '../kv/index-writer.js';
import { MemtableBudget } from '../kv/memtable-budget.js';
import { RowCache } from '../kv/row-cache.js';
import { Gate } from './admission.js';
import { AuthFile, installAuth, WWW_AUTHENTICATE } from './auth.js';
import { Catalog } from './catalog.js';
import type { ServerConfig } from './config.js';
import type { ServerContext } from './context.js';
import { DiskSpace } from './disk-space.js';
import { clientErrorHandler, errorHandler, toLakestreamError } from './http-errors.js';
import { ARROW_STREAM } from './http-params.js';
import { catalogRoutes } from './routes/catalog.js';
import { consoleRoutes } from './routes/console.js';
import { kvRoutes } from './routes/kv.js';
import { lakeRoutes } from './routes/lake.js';
import { logRoutes } from './routes/log.js';
import { recentMetricsRoutes } from './routes/recent-metrics.js';
import { whoamiRoutes } from './routes/whoami.js';
import { openLake, type Lake } from './lake-setup.js';
import { ServerMetrics } from './metrics.js';
import { RECENT_INTERVAL_MS } from './recent-metrics.js';
import { RouteMethods } from './route-methods.js';
import { ScanSessions } from './scan-sessions.js';
import { TableStore } from './table-store.js';
import { loadTls } from './tls.js';
import { installWriteAdmission } from './write-admission.js';

function serial(): <T>(work: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return (work) => {
    const run = tail.then(work, work);
    tail = run.catch(() => undefined);
    return run;
  };
}

function parseJsonBody(body: string): unknown {
  if (body.length === 0) return undefined;
  try {
    return JSON.parse(body);
  } catch (e) {
    return fail('INVALID_JSON', `the body is not valid JSON: ${(e as Error).message.slice(0, 200)}`);
  }
}

/** Body parsers: JSON and Arrow IPC streams, both limited while they stream in; anything else is a 415. */
function registerParsers(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, parseJsonBody(body as string));
    } catch (e) {
      done(e as LakestreamError, undefined);
    }
  });
  app.addContentTypeParser(ARROW_STREAM, { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  app.addContentTypeParser('*', (_req, _payload, done) => {
    done(new LakestreamError('UNSUPPORTED_CONTENT_TYPE', `send content-type application/json or ${ARROW_STREAM}`), undefined);
  });
}

const SHUTDOWN_GRACE_MS = 20_000;

/** Counts requests whose response has not closed, so shutdown can let them finish first. */
function trackRequests(app: FastifyInstance): { drained(timeoutMs: number): Promise<void> } {
  let open = 0;
  let wake: (() => void) | undefined;
  app.server.on('request', (_req, res) => {
    open += 1;
    res.once('close', () => {
      open -= 1;
      if (open === 0) wake?.();
    });
  });
  return {
    drained(timeoutMs) {
      if (open === 0) return Promise.resolve();
      return new Promise((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    },
  };
}

export interface Server {
  readonly app: FastifyInstance;
  readonly context: ServerContext;
  /** The lake (for union reads by other protocols' listeners). */
  readonly lake: Lake;
  /** --auth-file's current tokens; undefined without one. */
  readonly auth: AuthFile | undefined;
  /** Re-reads --auth-file (SIGHUP); false when there is none or the new file is bad (the old one stays). */
  reloadAuth(): boolean;
  close(): Promise<void>;
}

/** The error handler, plus an error counter and the Bearer challenge on 401s. */
function countingErrorHandler(metrics: ServerMetrics, disk: DiskSpace) {
  return (err: unknown, request: FastifyRequest, reply: FastifyReply): void => {
    const e = toLakestreamError(err);
    metrics.error(e.code);
    disk.observe(err);
    if (e.code === 'UNAUTHENTICATED') void reply.header('www-authenticate', WWW_AUTHENTICATE);
    errorHandler(err, request, reply);
  };
}

/** Opens the catalog and every table (recovering their logs), then builds the HTTP app. */
export async function createServer(config: ServerConfig): Promise<Server> {
  const tls = loadTls(config);
  // Typed as the plain-HTTP instance: routes use nothing that differs between http and https.
  const app = Fastify({
    // Request logs carry no headers by default; redact the token anyway should one ever include them.
    // Through process.stdout, not pino's own fd writer: when the reader of our output is gone, that
    // writer's exit flush retries an EPIPE forever and the process never exits (sonic-boom 4.2).
    logger: config.logLevel === 'silent' ? false : { level: config.logLevel, redact: ['req.headers.authorization', 'headers.authorization'], stream: process.stdout },
    bodyLimit: config.maxRequestBytes,
    logController: new LogController({ disableRequestLogging: true }),
    return503OnClosing: true,
    forceCloseConnections: false,
    routerOptions: { maxParamLength: 256 },
    // Refusals made before routing (bad percent-encoding, over-long segments, malformed HTTP) get
    // the same JSON error body as every other refusal.
    frameworkErrors: (err, request, reply) => errorHandler(err, request, reply),
    clientErrorHandler,
    ...(tls ? { https: { cert: tls.cert, key: tls.key } } : {}),
  }) as unknown as FastifyInstance;
  if (tls?.expired) app.log.warn({ validTo: tls.validTo }, 'the TLS certificate has expired; clients will refuse it');
  else if (tls) app.log.info({ validTo: tls.validTo }, 'serving HTTPS');
  const auth = config.authFile ? AuthFile.load(config.authFile, app.log) : undefined;
  const disk = new DiskSpace(config.dataDir, app.log);
  const catalog = await Catalog.open(config.dataDir, () => disk.releaseReserve());
  const lake = await openLake(config, app.log);
  const rowCache = new RowCache(config.indexRowCacheBytes);
  const metrics = new ServerMetrics(lake.tiering, rowCache);
  const indexWriter = new IndexWriter(metrics.observeIndexWrite);
  const memtableBudget = new MemtableBudget(config.indexMemtableTotalBytes);
  const index = { flushIntervalMs: config.indexFlushMs, memtableBytes: config.indexMemtableBytes, memtableBudget, rowCache, indexWriter };
  const tables = new TableStore(config.dataDir, catalog, lake.tiering, index, { onSync: metrics.observeFsync });
  metrics.watch(tables);
  await tables.openAll();
  disk.start();
  const retention = setInterval(() => {
    tables.enforceRetention(Date.now()).catch((err: unknown) => app.log.warn({ err }, 'retention failed; will retry'));
  }, config.retentionCheckMs);
  retention.unref();
  const sampling = setInterval(() => metrics.recent.sample(Date.now()), RECENT_INTERVAL_MS);
  sampling.unref();
  const shutdown = new AbortController();
  const context: ServerContext = {
    config,
    catalog,
    tables,
    longPolls: new Gate(config.maxLongPolls, 'waiting fetches'),
    disk,
    shutdown: shutdown.signal,
    ddl: serial(),
    metrics,
  };
  const inFlight = trackRequests(app);
  const routeMethods = new RouteMethods();
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) routeMethods.add(method, route.url);
  });
  registerParsers(app);
  installAuth(app, auth);
  installWriteAdmission(app, config, metrics);
  const onError = countingErrorHandler(metrics, disk);
  app.setErrorHandler(onError);
  app.setNotFoundHandler((req, reply) => {
    const allow = routeMethods.allowed(req.url);
    if (allow.length === 0) return onError(new LakestreamError('ROUTE_NOT_FOUND', `no route ${req.method} ${req.url.slice(0, 200)}; see docs/API.md`), req, reply);
    reply.header('allow', allow.join(', '));
    return onError(new LakestreamError('METHOD_NOT_ALLOWED', `${req.method} is not allowed on ${req.url.slice(0, 200)}; it takes ${allow.join(', ')} (see docs/API.md)`), req, reply);
  });
  metrics.install(app);
  app.get('/v1/health', async () => {
    const health = lake.health();
    const storage = { diskFull: disk.isFull(), failedTables: tables.failures() };
    const ok = health.ok && !storage.diskFull && storage.failedTables.length === 0;
    return { status: ok ? 'ok' : 'degraded', lake: health, storage };
  });
  whoamiRoutes(app, auth);
  recentMetricsRoutes(app, context, lake.tiering);
  consoleRoutes(app, app.log);
  catalogRoutes(app, context);
  logRoutes(app, context, lake);
  lakeRoutes(app, context, lake);
  const scans = new ScanSessions();
  kvRoutes(app, context, scans);
  return {
    app,
    context,
    lake,
    auth,
    reloadAuth() {
      if (!auth) {
        app.log.warn('SIGHUP: no --auth-file to reload');
        return false;
      }
      return auth.reload(app.log);
    },
    async close() {
      shutdown.abort();
      const closing = app.close();
      await inFlight.drained(SHUTDOWN_GRACE_MS);
      // Keep-alive sockets of clients that stay connected would hold the server open forever.
      app.server.closeAllConnections();
      await closing;
      app.log.info('http closed; stopping tiering');
      clearInterval(retention);
      clearInterval(sampling);
      await lake.close();
      app.log.info('tiering stopped; closing tables');
      scans.closeAll();
      await tables.closeAll();
      await indexWriter.close();
    },
  };
}
