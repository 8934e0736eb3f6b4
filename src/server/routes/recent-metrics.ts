import type { FastifyInstance } from 'fastify';
import { tableKind } from '../../common/schema.js';
import type { TieringService } from '../../tiering/tiering-service.js';
import type { ServerContext } from '../context.js';
import { intParam } from '../http-params.js';
import { tieringLag } from '../metrics.js';
import { RECENT_INTERVAL_MS } from '../recent-metrics.js';
import type { TableRuntime } from '../table-store.js';

type Query = Record<string, string | undefined>;

/** Every table's size and position, read from the open logs (no I/O but the tiering lag's first record). */
async function tableSummary(t: TableRuntime, tiering: TieringService, now: number) {
  let records = 0n;
  let bytes = 0;
  let segments = 0;
  const highWatermarks: string[] = [];
  for (const log of t.logs) {
    const s = log.stats();
    records += s.highWatermark;
    bytes += s.bytes;
    segments += s.segments;
    highWatermarks.push(s.highWatermark.toString());
  }
  let tiered: { pendingRecords: string; lagMs: number } | null = null;
  if (tiering.isEnabled(t.tableId)) {
    const lag = await tieringLag(tiering, t, now).catch(() => undefined);
    // An unreachable lake is /v1/health's to report; the lag is then unknown.
    if (lag) tiered = { pendingRecords: lag.pendingRecords.toString(), lagMs: lag.lagMs };
  }
  return {
    table: t.qualifiedName, kind: tableKind(t.definition), buckets: t.logs.length,
    records: records.toString(), bytes, segments, highWatermarks, tiering: tiered,
  };
}

/**
 * `GET /v1/metrics/recent[?since=<epoch ms>]`: the ring of 1 s samples (only those after `since`),
 * errors by code over the ring's window, and a summary of every table. The web console polls it.
 */
export function recentMetricsRoutes(app: FastifyInstance, ctx: ServerContext, tiering: TieringService): void {
  app.get<{ Querystring: Query }>('/v1/metrics/recent', async (req) => {
    const since = intParam(req.query.since, 'since', -1, -1, Number.MAX_SAFE_INTEGER);
    const recent = ctx.metrics.recent;
    const { time, series } = recent.samples(since);
    const now = Date.now();
    const tables = await Promise.all(ctx.tables.all().map((t) => tableSummary(t, tiering, now)));
    tables.sort((a, b) => a.table.localeCompare(b.table));
    return { intervalMs: RECENT_INTERVAL_MS, samples: { time, ...series }, errorsByCode: recent.errorsByCode(), tables };
  });
}
