import type { FastifyInstance } from 'fastify';
import { fail } from '../../common/errors.js';
import { lakeTablePrefix, listSnapshots, readSnapshot, tieredOffsetOf, type LakeSnapshot } from '../../lake/snapshot.js';
import type { ServerContext } from '../context.js';
import type { Lake } from '../lake-setup.js';

type TableParams = { db: string; table: string };

function describeSnapshot(lake: Lake, snapshot: LakeSnapshot | null, buckets: number) {
  return {
    snapshotId: snapshot?.id ?? null,
    createdAt: snapshot?.createdAt ?? null,
    buckets: Array.from({ length: buckets }, (_, b) => ({ bucket: b, tieredOffset: tieredOffsetOf(snapshot, b).toString() })),
    files: (snapshot?.files ?? []).map((f) => ({
      uri: lake.store.uri(f.key), bucket: f.bucket, firstOffset: f.firstOffset, lastOffset: f.lastOffset, rows: f.rows, bytes: f.bytes, kind: f.kind,
    })),
  };
}

export function lakeRoutes(app: FastifyInstance, ctx: ServerContext, lake: Lake): void {
  app.get<{ Params: TableParams }>('/v1/databases/:db/tables/:table/lake', async (req) => {
    const table = ctx.tables.get(req.params.db, req.params.table);
    const snapshot = await lake.tiering.snapshot(table.tableId);
    const status = lake.tiering.status(table.tableId);
    const lag = await Promise.all(table.logs.map(async (log, b) => {
      const tiered = tieredOffsetOf(snapshot, b);
      const pending = log.highWatermark - (tiered > log.logStartOffset ? tiered : log.logStartOffset);
      let lagMs = 0;
      if (pending > 0n) {
        const first = await log.read(tiered > log.logStartOffset ? tiered : log.logStartOffset, { maxBytes: 1 });
        lagMs = first.length > 0 ? Math.max(0, Date.now() - first[0]!.commitTimestamp) : 0;
      }
      return { bucket: b, pendingRecords: pending.toString(), lagMs };
    }));
    return { ...describeSnapshot(lake, snapshot, table.definition.buckets), status, lag };
  });

  app.get<{ Params: TableParams }>('/v1/databases/:db/tables/:table/lake/snapshots', async (req) => {
    const table = ctx.tables.get(req.params.db, req.params.table);
    const prefix = lakeTablePrefix(table.database, table.name);
    const ids = await listSnapshots(lake.store, prefix);
    const snapshots = [];
    for (const id of ids) {
      const s = await readSnapshot(lake.store, prefix, id);
      if (s) snapshots.push({ snapshotId: s.id, parentId: s.parentId, createdAt: s.createdAt, files: s.files.length, rows: s.files.reduce((n, f) => n + f.rows, 0), buckets: s.buckets });
    }
    return { snapshots };
  });

  app.post<{ Params: TableParams }>('/v1/databases/:db/tables/:table/lake/compact', async (req) => {
    const table = ctx.tables.get(req.params.db, req.params.table);
    if (table.definition.primaryKey.length === 0) fail('UNSUPPORTED_OPERATION', `table ${table.qualifiedName} is a log table; lake compaction applies to primary-key tables`);
    if (!lake.tiering.isEnabled(table.tableId)) fail('UNSUPPORTED_OPERATION', `table ${table.qualifiedName} does not tier into the lake; set table.datalake.enabled = true`);
    const snapshot = await lake.tiering.compact(table.tableId);
    return describeSnapshot(lake, snapshot, table.definition.buckets);
  });
}
