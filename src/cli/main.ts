import { Command, Option } from 'commander';
import { LakestreamError } from '../common/errors.js';
import { SETTINGS, resolveConfig } from '../server/config.js';

const program = new Command();
program
  .name('lakestream')
  .description('Lake-stream storage: log and primary-key tables over HTTP, Arrow batches, LMDB lookups, Parquet lake tiering')
  .showHelpAfterError();

const serveCmd = program.command('serve').description('run the server (every flag also reads an environment variable)');
for (const [key, s] of Object.entries(SETTINGS)) {
  serveCmd.addOption(new Option(`--${s.flag} <value>`, `${s.description} (default: ${s.default})`).env(s.env).argParser((v: string) => v));
  void key;
}
serveCmd.action(async (opts: Record<string, string | undefined>) => {
  const { serve } = await import('../server/serve.js');
  // commander already folded the environment into opts; resolveConfig validates and fills defaults.
  await serve(resolveConfig(opts, {}));
});

function report(err: unknown): never {
  if (err instanceof LakestreamError) {
    process.stderr.write(`lakestream: ${err.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`lakestream: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
}

program.parseAsync(process.argv).catch(report);
