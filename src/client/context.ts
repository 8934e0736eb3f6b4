import type { HttpClient } from './http.js';
import { pathOf } from './http.js';
import type { TableDescription } from './wire.js';

/** Anything holding buffered work or open requests; Connection.close() closes what is still open. */
export interface Closeable {
  close(): Promise<void> | void;
}

/** What writers, lookupers and scanners of one table share: the HTTP client and the description. */
export interface TableContext {
  readonly http: HttpClient;
  readonly description: TableDescription;
  readonly database: string;
  readonly table: string;
  /** `/v1/databases/{db}/tables/{table}/...more`, each segment encoded. */
  path(...more: (string | number)[]): string;
  /** Registers with the connection until the returned function is called (on close). */
  register(c: Closeable): () => void;
}

const unregistered = (): (() => void) => () => {};

export function tableContext(
  http: HttpClient,
  database: string,
  table: string,
  description: TableDescription,
  register: (c: Closeable) => () => void = unregistered,
): TableContext {
  return {
    http,
    description,
    database,
    table,
    path: (...more) => pathOf('databases', database, 'tables', table, ...more),
    register,
  };
}
