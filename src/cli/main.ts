import { Command, Option } from 'commander';
import { LakestreamError } from '../common/errors.js';
import { SETTINGS, resolveConfig } from '../server/config.js';
import { queryCommand } from './commands/query.js';

const program = new Command();
program
  .name('lakestream')
  .description('Lake-stream storage: log and primary-key tables over HTTP, Arrow batches, LMDB lookups, Parquet lake tiering')
  .showHelpAfterError();

const serveCmd = program.command('serve').description('run the server (every flag also reads an environment variable)');
const serveOptions = Object.entries(SETTINGS).map(([key, s]) => {
  const option = new Option(`--${s.flag} <value>`, `${s.description} (default: ${s.default || 'see description'})`).env(s.env);
  serveCmd.addOption(option);
  return { key, attribute: option.attributeName() };
});
serveCmd.action(async (opts: Record<string, string | undefined>) => {
  const { serve } = await import('../server/serve.js');
  // commander folded the environment into opts; resolveConfig validates and fills in defaults.
  const flags = Object.fromEntries(serveOptions.map(({ key, attribute }) => [key, opts[attribute]]));
  await serve(resolveConfig(flags, {}));
});

program.addCommand(queryCommand());

function report(err: unknown): never {
  if (err instanceof LakestreamError) {
    process.stderr.write(`lakestream: ${err.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`lakestream: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
}

program.parseAsync(process.argv).catch(report);
