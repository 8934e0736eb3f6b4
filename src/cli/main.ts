import fs from 'node:fs';
import { Command, Option } from 'commander';
import { LakestreamError } from '../common/errors.js';
import { SETTINGS, resolveConfig } from '../server/config.js';
import { registerJoin } from './commands/join.js';
import { queryCommand } from './commands/query.js';
import { registerLookup } from './commands/lookup.js';
import { registerTables } from './commands/tables.js';
import { registerTail } from './commands/tail.js';
import { registerWrite } from './commands/write.js';

/** The installed package's version (package.json sits three levels above dist/src/cli). */
function packageVersion(): string {
  const pkg = JSON.parse(fs.readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

const program = new Command();
program
  .name('lakestream')
  .description('Lake-stream storage: log and primary-key tables over HTTP, Arrow batches, LMDB lookups, Parquet lake tiering')
  .version(packageVersion(), '-V, --version', 'print the version')
  .showHelpAfterError()
  .configureOutput({ outputError: (str, write) => write(`lakestream: ${str.replace(/^error: /, '')}`) })
  .exitOverride((err) => {
    process.exit(err.exitCode === 0 ? 0 : 2);
  });

const serveCmd = program.command('serve').description('run the server (every flag also reads an environment variable)');
const serveOptions = Object.entries(SETTINGS).map(([key, s]) => {
  const option = new Option(`--${s.flag} <value>`, `${s.description} (default: ${s.default || 'see description'})`).env(s.env);
  serveCmd.addOption(option);
  return { key, attribute: option.attributeName() };
});
serveCmd.action(async (opts: Record<string, string | undefined>) => {
  const { serve } = await import('../server/serve.js');
  const { kafkaExtension } = await import('../kafka/index.js');
  // commander folded the environment into opts (by flag name); resolveConfig validates and fills in defaults.
  const flags = Object.fromEntries(serveOptions.map(({ key, attribute }) => [key, opts[attribute]]));
  const config = resolveConfig(flags, {});
  await serve(config, kafkaExtension(config));
});

registerWrite(program, 'append');
registerWrite(program, 'upsert');
registerTail(program);
registerLookup(program);
registerTables(program);
registerJoin(program);
program.addCommand(queryCommand());

function report(err: unknown): never {
  if (err instanceof LakestreamError) {
    // A server that is down or elsewhere: say where the CLI looked and how to point it elsewhere.
    const hint = err.code === 'NETWORK' ? '; is it running? Point the CLI at another with --server <url> or LAKESTREAM_SERVER' : '';
    process.stderr.write(`lakestream: ${err.message}${hint}\n`);
    process.exit(2);
  }
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) {
    process.stderr.write(`lakestream: ${(err as Error).message}\n`);
    process.exit(1);
  }
  process.stderr.write(`lakestream: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
}

program.parseAsync(process.argv).then(() => {
  // A client command is done here: exit once stdout is written, without waiting for idle
  // keep-alive sockets to time out. `serve` keeps running until it is stopped.
  if (process.argv[2] === 'serve') return;
  process.stdout.write('', () => process.exit(process.exitCode ?? 0));
}, report);
