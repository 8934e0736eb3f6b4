import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startServer, tempDir, type ServerProcess } from './helpers.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** What the client needs at run time; the test project gets nothing else, so another import fails. */
const CLIENT_DEPENDENCIES = ['apache-arrow'];

interface PackedFile { readonly path: string; readonly size: number }

let server: ServerProcess;
let tarball: string;
let files: PackedFile[];
let app: string;

beforeAll(async () => {
  server = await startServer();
  await call(server.url, 'PUT', '/v1/databases/shop');
  await call(server.url, 'PUT', '/v1/databases/shop/tables/events', {
    columns: [{ name: 'id', type: 'int64', nullable: false }, { name: 'kind', type: 'string' }, { name: 'at', type: 'timestamp' }], buckets: 2,
  });
  // `npm pack` builds through `prepare`; the suite has built dist already, so the scripts are skipped.
  const out = tempDir('lakestream-pack-');
  const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', out], { cwd: ROOT });
  const [packed] = JSON.parse(stdout) as [{ filename: string; files: PackedFile[] }];
  tarball = path.join(out, packed.filename);
  files = packed.files;
  // Another project: the tarball unpacked as node_modules/lakestream, plus only the client's dependencies.
  app = tempDir('lakestream-app-');
  const pkg = path.join(app, 'node_modules', 'lakestream');
  fs.mkdirSync(pkg, { recursive: true });
  await run('tar', ['-xzf', tarball, '-C', pkg, '--strip-components=1']);
  for (const dep of [...CLIENT_DEPENDENCIES, '@types/node']) {
    fs.mkdirSync(path.dirname(path.join(app, 'node_modules', dep)), { recursive: true });
    fs.symlinkSync(path.join(ROOT, 'node_modules', dep), path.join(app, 'node_modules', dep));
  }
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'my-app', private: true, type: 'module' }));
  fs.copyFileSync(path.join(ROOT, 'examples/quickstart.mjs'), path.join(app, 'quickstart.mjs'));
}, 60_000);
afterAll(async () => {
  await server?.stop();
  for (const dir of [app, tarball && path.dirname(tarball)]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('the package, installed from its npm pack tarball into another project', () => {
  it('holds the built client, the CLI and the examples, and nothing of the tests or sources', () => {
    const names = files.map((f) => f.path);
    for (const needed of ['package.json', 'README.md', 'bin/lakestream.js', 'dist/src/client/index.js', 'dist/src/client/index.d.ts', 'dist/src/cli/main.js', 'dist/src/server/serve.js', 'examples/quickstart.mjs']) {
      expect(names).toContain(needed);
    }
    expect(names.filter((n) => /^(src|test|bench|dist\/test|dist\/bench|node_modules)\//.test(n) || n.endsWith('.map'))).toEqual([]);
    const bytes = files.reduce((sum, f) => sum + f.size, 0);
    expect(bytes).toBeLessThan(4 * 1024 * 1024);
  });

  it("runs README's quickstart with `import { connect } from 'lakestream'`, and the scan ends", async () => {
    const { stdout } = await run(process.execPath, ['quickstart.mjs'], { cwd: app, env: { ...process.env, LAKESTREAM_SERVER: server.url }, timeout: 60_000 });
    const lines = stdout.trim().split('\n');
    expect(lines.at(-1)).toBe('10000 rows in shop.events');
    expect(lines[0]).toMatch(/^[01] 0n \{ id: \d+n, kind: 'click', at: \d+ \}$/);
  }, 60_000);

  it("exports the delta join as 'lakestream/deltajoin', and no deep paths", async () => {
    const probe = "const j = await import('lakestream/deltajoin'); console.log(typeof j.deltaJoin, typeof j.JoinSink);"
      + "await import('lakestream/dist/src/server/app.js').catch((e) => console.log(e.code));";
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', probe], { cwd: app });
    expect(stdout).toBe('function function\nERR_PACKAGE_PATH_NOT_EXPORTED\n');
  });

  it('types the import through exports (tsc, NodeNext resolution)', async () => {
    fs.writeFileSync(path.join(app, 'typed.ts'), "import { connect, type ScanRecord } from 'lakestream';\nconst conn = connect('http://127.0.0.1:9123');\nexport const rec: ScanRecord | undefined = undefined;\nexport const bad: number = conn.url;\n");
    const tsc = path.join(ROOT, 'node_modules/typescript/bin/tsc');
    const args = ['--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--types', 'node', '--skipLibCheck', 'typed.ts'];
    const failed = await run(process.execPath, [tsc, ...args], { cwd: app }).then(() => undefined, (e: { stdout: string }) => e.stdout);
    // The one error is the deliberate one: the types were found and `url` is a string.
    expect(failed?.trim()).toBe("typed.ts(4,14): error TS2322: Type 'string' is not assignable to type 'number'.");
  }, 60_000);
});
