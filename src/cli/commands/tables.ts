import type { Command } from 'commander';
import type { ClientOptions } from '../common.js';
import { clientCommand, openConnection } from '../common.js';
import { OFFSETS_DATABASE } from '../../deltajoin/offsets.js';

/**
 * `lakestream tables [db]`: `db.table` per line (every database without an argument, but the join's
 * own `lakestream_internal` unless `--all`); `--long` adds kind and keys.
 */
export function registerTables(program: Command): void {
  clientCommand(program, 'tables [database]', 'list tables as db.table, one per line')
    .option('--long', 'also print kind, primary key, bucket key and buckets')
    .option('--all', `also list ${OFFSETS_DATABASE} (where joins keep their offsets)`)
    .action(async (database: string | undefined, opts: ClientOptions & { long?: boolean; all?: boolean }) => {
      const conn = openConnection(opts);
      try {
        const admin = conn.admin();
        const dbs = database !== undefined ? [database] : (await admin.listDatabases()).filter((db) => opts.all || db !== OFFSETS_DATABASE);
        for (const db of dbs) {
          for (const t of await admin.listTables(db)) {
            if (!opts.long) {
              process.stdout.write(`${db}.${t}\n`);
              continue;
            }
            const d = await admin.getTable(db, t);
            const keys = d.kind === 'primary-key' ? ` primary key (${d.primaryKey.join(', ')}) bucket key (${d.bucketKey.join(', ')})` : '';
            process.stdout.write(`${db}.${t}\t${d.kind}${keys} buckets ${d.buckets}\n`);
          }
        }
      } finally {
        await conn.close();
      }
    });
}
