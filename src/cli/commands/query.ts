import { Command, Option } from 'commander';
import { formatCsv, formatJson, formatTable } from '../../query/format.js';
import { runQuery } from '../../query/run-query.js';

/** `lakestream query "SELECT ... FROM db.table"`: DuckDB over the lake snapshots (and the hot tail). */
export function queryCommand(): Command {
  return new Command('query')
    .description('run SQL with DuckDB over the tables\' lake snapshots (a table that does not tier into the lake is read from the server); name tables as db.table')
    .argument('<sql>', 'the query, e.g. "SELECT kind, count(*) FROM shop.events GROUP BY kind"')
    .addOption(new Option('--server <url>', 'lakestream server').env('LAKESTREAM_SERVER').default('http://127.0.0.1:9123'))
    .addOption(new Option('--token <token>', 'bearer token').env('LAKESTREAM_TOKEN'))
    .option('--fresh', 'also read the hot tail above the tiered offsets (primary-key tables merged by key)', false)
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json', 'csv']).default('table'))
    .addOption(new Option('--s3-endpoint <url>', 'S3 endpoint for s3:// lakes (MinIO...); credentials from AWS_* variables').env('LAKESTREAM_S3_ENDPOINT'))
    .action(async (sql: string, o: { server: string; token?: string; fresh: boolean; format: string; s3Endpoint?: string }) => {
      const result = await runQuery(sql, {
        server: o.server.replace(/\/+$/, ''), fresh: o.fresh,
        ...(o.token ? { token: o.token } : {}), ...(o.s3Endpoint ? { s3Endpoint: o.s3Endpoint } : {}),
      });
      for (const note of result.notes) process.stderr.write(`lakestream: ${note}\n`);
      const out = o.format === 'json' ? formatJson(result) : o.format === 'csv' ? formatCsv(result) : formatTable(result);
      process.stdout.write(out);
    });
}
