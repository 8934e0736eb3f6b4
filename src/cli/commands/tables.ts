import type { Command } from 'commander';
import type { ClientOptions } from '../common.js';
import { clientCommand, openConnection } from '../common.js';

/** `lakestream tables [db]`: `db.table` per line (every database without an argument); `--long` adds kind and keys. */
export function registerTables(program: Command): void {
  clientCommand(program, 'tables [database]', 'list tables as db.table, one per line')
    .option('--long', 'also print kind, primary key, bucket key and buckets')
    .action(async (database: string | undefined, opts: ClientOptions & { long?: boolean }) => {
      const conn = openConnection(opts);
      try {
        const admin = conn.admin();
        const dbs = database !== undefined ? [database] : await admin.listDatabases();
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
