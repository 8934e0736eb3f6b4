import type { Catalog } from './catalog.js';
import type { ServerConfig } from './config.js';
import type { Gate } from './admission.js';
import type { DiskSpace } from './disk-space.js';
import type { ServerMetrics } from './metrics.js';
import type { TableStore } from './table-store.js';

/** What every route needs: settings, the catalog, the open tables and the long-poll gate. */
export interface ServerContext {
  readonly config: ServerConfig;
  readonly catalog: Catalog;
  readonly tables: TableStore;
  readonly longPolls: Gate;
  /** Refuses writes while the disk is full (see DiskSpace). */
  readonly disk: DiskSpace;
  /** DDL runs one at a time so the catalog file and the table folders change together. */
  /** Aborted when the server starts shutting down, so long-polls return instead of holding it open. */
  readonly shutdown: AbortSignal;
  readonly ddl: <T>(work: () => Promise<T>) => Promise<T>;
  /** Counters the routes feed (appended rows, lookups); per server. */
  readonly metrics: ServerMetrics;
}
