import fs from 'node:fs';
import path from 'node:path';
import { fail, isDiskFull } from '../common/errors.js';
import type { TableDefinition } from '../common/schema.js';
import { tableKind, validateEntityName } from '../common/schema.js';
import { mkdirDurably, nodeIo, replaceFileDurably, type StorageIo } from '../common/storage-io.js';

export interface TableEntry {
  readonly database: string;
  readonly name: string;
  readonly tableId: number;
  readonly createdAt: number;
  readonly definition: TableDefinition;
}

interface CatalogFile {
  version: 1;
  nextTableId: number;
  databases: Record<string, { createdAt: number; tables: Record<string, Omit<TableEntry, 'database' | 'name'>> }>;
}

/**
 * Databases and tables, kept in one JSON file replaced atomically on every DDL, so a kill -9 in the
 * middle of a DDL leaves the catalog as before or as after. Table data lives under the table's id,
 * never its name, so a dropped and re-created table cannot see old files.
 */
export class Catalog {
  private state: CatalogFile;

  private constructor(private readonly file: string, private readonly io: StorageIo, state: CatalogFile, private readonly releaseReserve: () => boolean) {
    this.state = state;
  }

  /** `releaseReserve`: frees the disk reserve on a full disk, true when it did (see DiskSpace). */
  static async open(dataDir: string, releaseReserve: () => boolean = () => false, io: StorageIo = nodeIo): Promise<Catalog> {
    await mkdirDurably(io, dataDir);
    const file = path.join(dataDir, 'catalog.json');
    if (!fs.existsSync(file)) return new Catalog(file, io, { version: 1, nextTableId: 1, databases: {} }, releaseReserve);
    const state = JSON.parse(fs.readFileSync(file, 'utf8')) as CatalogFile;
    if (state.version !== 1 || typeof state.databases !== 'object') throw new Error(`${file} is not a lakestream catalog (version ${String(state.version)})`);
    return new Catalog(file, io, state, releaseReserve);
  }

  /**
   * Durable before it is visible: a DDL is answered only after the new catalog survives a power loss.
   * A full disk is met once with the reserve's space: a drop on a full disk must still commit.
   */
  private async commit(next: CatalogFile): Promise<void> {
    const text = JSON.stringify(next, null, 1);
    const write = () => replaceFileDurably(this.io, this.file, text, { tmp: `${this.file}.tmp-${process.pid}` });
    try {
      await write();
    } catch (err) {
      if (!isDiskFull(err) || !this.releaseReserve()) throw err;
      await write();
    }
    this.state = next;
  }

  private copy(): CatalogFile {
    return structuredClone(this.state);
  }

  listDatabases(): string[] {
    return Object.keys(this.state.databases).sort();
  }

  hasDatabase(db: string): boolean {
    return Object.prototype.hasOwnProperty.call(this.state.databases, db);
  }

  requireDatabase(db: string): void {
    if (!this.hasDatabase(db)) fail('DATABASE_NOT_FOUND', `database '${db.slice(0, 128)}' does not exist; create it with PUT /v1/databases/${encodeURIComponent(db.slice(0, 128))}`);
  }

  /** Returns false when it already existed and ifNotExists allowed that. */
  async createDatabase(db: string, ifNotExists: boolean): Promise<boolean> {
    validateEntityName('database', db);
    if (this.hasDatabase(db)) {
      if (ifNotExists) return false;
      fail('DATABASE_EXISTS', `database '${db}' already exists`);
    }
    const next = this.copy();
    next.databases[db] = { createdAt: Date.now(), tables: {} };
    await this.commit(next);
    return true;
  }

  /** Drops the database; returns the ids of the tables dropped with it. */
  async dropDatabase(db: string, cascade: boolean): Promise<number[]> {
    this.requireDatabase(db);
    const tables = Object.values(this.state.databases[db]!.tables);
    if (tables.length > 0 && !cascade) {
      fail('DATABASE_NOT_EMPTY', `database '${db}' has ${tables.length} table(s); drop them first or pass ?cascade=true`);
    }
    const next = this.copy();
    delete next.databases[db];
    await this.commit(next);
    return tables.map((t) => t.tableId);
  }

  listTables(db: string): string[] {
    this.requireDatabase(db);
    return Object.keys(this.state.databases[db]!.tables).sort();
  }

  getTable(db: string, name: string): TableEntry {
    this.requireDatabase(db);
    const t = this.state.databases[db]!.tables[name];
    if (!t || !Object.prototype.hasOwnProperty.call(this.state.databases[db]!.tables, name)) {
      fail('TABLE_NOT_FOUND', `table ${db}.${name.slice(0, 128)} does not exist`);
    }
    return { database: db, name, ...t };
  }

  allTables(): TableEntry[] {
    return Object.entries(this.state.databases).flatMap(([db, d]) => Object.entries(d.tables).map(([name, t]) => ({ database: db, name, ...t })));
  }

  /** Returns the existing entry unchanged (created=false) when ifNotExists allows it. */
  async createTable(db: string, name: string, definition: TableDefinition, ifNotExists: boolean): Promise<{ entry: TableEntry; created: boolean }> {
    validateEntityName('table', name);
    this.requireDatabase(db);
    if (Object.prototype.hasOwnProperty.call(this.state.databases[db]!.tables, name)) {
      if (ifNotExists) return { entry: this.getTable(db, name), created: false };
      fail('TABLE_EXISTS', `table ${db}.${name} already exists`);
    }
    const next = this.copy();
    const entry = { tableId: next.nextTableId, createdAt: Date.now(), definition };
    next.nextTableId += 1;
    next.databases[db]!.tables[name] = entry;
    await this.commit(next);
    return { entry: { database: db, name, ...entry }, created: true };
  }

  async dropTable(db: string, name: string): Promise<number> {
    const entry = this.getTable(db, name);
    const next = this.copy();
    delete next.databases[db]!.tables[name];
    await this.commit(next);
    return entry.tableId;
  }
}

export function describeTable(entry: TableEntry): Record<string, unknown> {
  const d = entry.definition;
  return {
    database: entry.database,
    name: entry.name,
    kind: tableKind(d),
    tableId: entry.tableId,
    createdAt: entry.createdAt,
    columns: d.columns,
    primaryKey: d.primaryKey,
    buckets: d.buckets,
    bucketKey: d.bucketKey,
    properties: d.properties,
  };
}
