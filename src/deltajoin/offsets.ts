import type { Connection, Table } from '../client/index.js';
import { LakestreamError } from '../common/errors.js';
import type { Side } from './spec.js';

/**
 * Where each join job resumes, kept in the server itself: one row per job in the primary-key
 * table `lakestream_internal.join_offsets`, created on first use.
 *
 *   job (string, key) | left_table | right_table | sink | left_offsets | right_offsets | updated_at
 *
 * Offsets are JSON objects `{"<bucket>": "<offset>"}` (decimal strings: int64 stays exact). They
 * are saved only after the sink acknowledged everything below them, so a restart may redo some
 * changes (idempotent) but never skips one.
 */
export const OFFSETS_DATABASE = 'lakestream_internal';
export const OFFSETS_TABLE = 'join_offsets';

export interface SavedOffsets {
  readonly job: string;
  readonly leftTable: string;
  readonly rightTable: string;
  readonly sink: string;
  readonly offsets: Readonly<Record<Side, Record<number, bigint>>>;
  readonly updatedAt: number;
}

const encode = (o: Record<number, bigint>): string => JSON.stringify(Object.fromEntries(Object.entries(o).map(([b, v]) => [b, v.toString()])));

function decode(text: unknown, what: string): Record<number, bigint> {
  try {
    const obj = JSON.parse(String(text)) as Record<string, string>;
    return Object.fromEntries(Object.entries(obj).map(([b, v]) => [Number(b), BigInt(v)]));
  } catch {
    throw new LakestreamError('INTERNAL', `${OFFSETS_DATABASE}.${OFFSETS_TABLE}: unreadable ${what} '${String(text).slice(0, 100)}'`);
  }
}

export class OffsetStore {
  private constructor(private readonly table: Table) {}

  /** Opens the offsets table, creating the database and table when absent. */
  static async open(conn: Connection): Promise<OffsetStore> {
    const admin = conn.admin();
    await admin.createDatabase(OFFSETS_DATABASE, { ifNotExists: true });
    await admin.createTable(OFFSETS_DATABASE, OFFSETS_TABLE, {
      columns: [
        { name: 'job', type: 'string', nullable: false },
        { name: 'left_table', type: 'string' },
        { name: 'right_table', type: 'string' },
        { name: 'sink', type: 'string' },
        { name: 'left_offsets', type: 'string' },
        { name: 'right_offsets', type: 'string' },
        { name: 'updated_at', type: 'timestamp' },
      ],
      primaryKey: ['job'],
    }, { ifNotExists: true });
    return new OffsetStore(await conn.table(OFFSETS_DATABASE, OFFSETS_TABLE));
  }

  async load(job: string): Promise<SavedOffsets | undefined> {
    const l = this.table.lookuper();
    try {
      const row = await l.lookup({ job });
      if (!row) return undefined;
      return {
        job,
        leftTable: String(row.left_table),
        rightTable: String(row.right_table),
        sink: String(row.sink ?? ''),
        offsets: { left: decode(row.left_offsets, 'left_offsets'), right: decode(row.right_offsets, 'right_offsets') },
        updatedAt: Number(row.updated_at ?? 0),
      };
    } finally {
      await l.close();
    }
  }

  async save(s: Omit<SavedOffsets, 'updatedAt'>): Promise<void> {
    const w = this.table.upsertWriter({ lingerMs: 0 });
    try {
      void w.upsert({
        job: s.job,
        left_table: s.leftTable,
        right_table: s.rightTable,
        sink: s.sink,
        left_offsets: encode(s.offsets.left),
        right_offsets: encode(s.offsets.right),
        updated_at: Date.now(),
      });
    } finally {
      await w.close();
    }
  }

  async remove(job: string): Promise<void> {
    const w = this.table.upsertWriter({ lingerMs: 0 });
    try {
      void w.delete({ job });
    } finally {
      await w.close();
    }
  }
}
