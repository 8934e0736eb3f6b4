import type { HttpClient } from './http.js';
import { pathOf } from './http.js';
import type { TableDefinitionInput, TableDescription } from './wire.js';
import { parseNameList, parseTableDescription } from './wire.js';

/**
 * Databases and tables. Creating without `ifNotExists` and dropping are not idempotent, so they are
 * retried only when the server answered (503) or the connection was refused, never after a reset or
 * timeout that may have left the change done.
 */
export class Admin {
  private readonly http: HttpClient;
  private readonly onTableChanged: (database: string, table?: string) => void;

  constructor(http: HttpClient, onTableChanged: (database: string, table?: string) => void = () => {}) {
    this.http = http;
    this.onTableChanged = onTableChanged;
  }

  async createDatabase(name: string, opts: { ifNotExists?: boolean } = {}): Promise<void> {
    await this.http.json({
      method: 'PUT',
      path: pathOf('databases', name),
      query: { ifNotExists: opts.ifNotExists ? 'true' : undefined },
      idempotent: opts.ifNotExists === true,
    });
  }

  async listDatabases(): Promise<string[]> {
    return parseNameList(await this.http.json({ method: 'GET', path: pathOf('databases'), idempotent: true }), 'databases');
  }

  async dropDatabase(name: string, opts: { cascade?: boolean } = {}): Promise<void> {
    try {
      await this.http.json({
        method: 'DELETE',
        path: pathOf('databases', name),
        query: { cascade: opts.cascade ? 'true' : undefined },
        idempotent: false,
      });
    } finally {
      this.onTableChanged(name);
    }
  }

  async createTable(database: string, name: string, definition: TableDefinitionInput, opts: { ifNotExists?: boolean } = {}): Promise<TableDescription> {
    const body = await this.http.json({
      method: 'PUT',
      path: pathOf('databases', database, 'tables', name),
      query: { ifNotExists: opts.ifNotExists ? 'true' : undefined },
      body: JSON.stringify(definition),
      contentType: 'application/json',
      idempotent: opts.ifNotExists === true,
    });
    this.onTableChanged(database, name);
    const looksLikeDescription = typeof body === 'object' && body !== null && Array.isArray((body as { columns?: unknown }).columns);
    return looksLikeDescription ? parseTableDescription(body) : this.getTable(database, name);
  }

  async getTable(database: string, name: string): Promise<TableDescription> {
    return parseTableDescription(await this.http.json({ method: 'GET', path: pathOf('databases', database, 'tables', name), idempotent: true }));
  }

  async listTables(database: string): Promise<string[]> {
    return parseNameList(await this.http.json({ method: 'GET', path: pathOf('databases', database, 'tables'), idempotent: true }), 'tables');
  }

  async dropTable(database: string, name: string): Promise<void> {
    try {
      await this.http.json({ method: 'DELETE', path: pathOf('databases', database, 'tables', name), idempotent: false });
    } finally {
      this.onTableChanged(database, name);
    }
  }
}
