/** The replies of docs/API.md that the console reads, as their JSON arrives. */
import type { Grant } from '../common/grants.js';

export interface TableName {
  readonly db: string;
  readonly table: string;
}

export interface Whoami {
  readonly authentication: boolean;
  readonly principal: string | null;
  readonly super: boolean;
  readonly grants: readonly Grant[];
}

export interface Column {
  readonly name: string;
  readonly type: string;
  readonly nullable: boolean;
}

export interface TableDescription {
  readonly database: string;
  readonly name: string;
  readonly kind: 'log' | 'primary-key';
  readonly tableId: number;
  readonly createdAt: number;
  readonly columns: readonly Column[];
  readonly primaryKey: readonly string[];
  readonly buckets: number;
  readonly bucketKey: readonly string[];
  readonly properties: Readonly<Record<string, string>>;
}

export interface BucketStats {
  readonly localLogStartOffset: string;
  readonly highWatermark: string;
  readonly segments: number;
  readonly bytes: number;
}

export interface TableSummary {
  readonly table: string;
  readonly kind: 'log' | 'primary-key';
  readonly buckets: number;
  readonly records: string;
  readonly bytes: number;
  readonly segments: number;
  readonly highWatermarks: readonly string[];
  readonly tiering: { readonly pendingRecords: string; readonly lagMs: number } | null;
}

export const RECENT_SERIES = ['appendedRows', 'upsertedRows', 'deletedRows', 'lookupKeys', 'fetchedBytes', 'errors', 'fsyncMs', 'fsyncMsMax'] as const;
export type RecentSeries = (typeof RECENT_SERIES)[number];

export interface RecentMetrics {
  readonly intervalMs: number;
  readonly samples: { readonly time: readonly number[] } & Readonly<Record<RecentSeries, readonly (number | null)[]>>;
  readonly errorsByCode: readonly { readonly code: string; readonly count: number; readonly lastAt: number }[];
  readonly tables: readonly TableSummary[];
}

export interface Health {
  readonly status: 'ok' | 'degraded';
  readonly lake: { readonly ok: boolean; readonly uri: string; readonly error?: string };
  readonly storage: {
    readonly diskFull: boolean;
    readonly failedTables: readonly { readonly table: string; readonly buckets: readonly { readonly bucket: number; readonly message: string }[] }[];
  };
}

export type RecordRow = Readonly<Record<string, unknown>> & { readonly _log_offset: number | string; readonly _commit_timestamp: number; readonly _change_type: string };

export interface RecordsReply {
  readonly records: readonly RecordRow[];
  readonly nextOffset: string;
  readonly highWatermark: string;
}

export interface LakeReply {
  readonly snapshotId: number | null;
  readonly createdAt: number | null;
  readonly buckets: readonly { readonly bucket: number; readonly tieredOffset: string }[];
  readonly files: readonly { readonly uri: string; readonly bucket: number; readonly firstOffset: string; readonly lastOffset: string; readonly rows: number; readonly bytes: number; readonly kind: string }[];
  readonly status: { readonly enabled: boolean; readonly lastSuccessAt: number | null; readonly consecutiveFailures: number; readonly lastError: string | null; readonly rowsTiered: number };
  readonly lag: readonly { readonly bucket: number; readonly pendingRecords: string; readonly lagMs: number }[];
}

export interface SnapshotsReply {
  readonly snapshots: readonly { readonly snapshotId: number; readonly parentId: number | null; readonly createdAt: number; readonly files: number; readonly rows: number }[];
}

export interface RowsPage<R> {
  readonly rows: readonly R[];
  readonly cursor: string | null;
  readonly logOffset: string;
}
