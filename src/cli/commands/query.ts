import { Command, Option } from 'commander';
import { formatCsv, formatJson, formatTable } from '../../query/format.js';
import { withConnectionOptions } from '../common.js';
import { resolveToken } from '../token.js';

/** `lakestream query "SELECT ... FROM db.table"`: DuckDB over the lake snapshots (and the hot tail). */
export function queryCommand(): Command {
  return withConnectionOptions(new Command('query')
    .description('run SQL with DuckDB over the tables\' lake snapshots (a table that does not tier into the lake is read from the server); name tables as db.table')
    .argument('<sql>', 'the query, e.g. "SELECT kind, count(*) FROM shop.events GROUP BY kind"'))
    .option('--fresh', 'also read the hot tail above the tiered offsets (primary-key tables merged by key)', false)
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json', 'csv']).default('table'))
    .addOption(new Option('--s3-endpoint <url>', 'S3 endpoint for s3:// lakes (MinIO...); credentials from AWS_* variables').env('LAKESTREAM_S3_ENDPOINT'))
    .action(async (sql: string, o: { server: string; token?: string; tokenFile?: string; fresh: boolean; format: string; s3Endpoint?: string }) => {
      const token = resolveToken(o.token, o.tokenFile);
      // Loaded here: it brings DuckDB's loader and the AWS SDK, which no other command needs at start.
      const { runQuery } = await import('../../query/run-query.js');
      const result = await runQuery(sql, {
        server: o.server.replace(/\/+$/, ''), fresh: o.fresh,
        ...(token ? { token } : {}), ...(o.s3Endpoint ? { s3Endpoint: o.s3Endpoint } : {}),
      });
      for (const note of result.notes) process.stderr.write(`lakestream: ${note}\n`);
      const out = o.format === 'json' ? formatJson(result) : o.format === 'csv' ? formatCsv(result) : formatTable(result);
      process.stdout.write(out);
    });
}
