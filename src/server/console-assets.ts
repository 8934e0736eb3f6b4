/**
 * The web console's files, read into memory once at start (about 300 KB): the compiled app
 * (`dist/src/console`, built by tsconfig.console.json), the pure common modules it imports, and
 * uPlot's ES module and stylesheet from node_modules. Requests are answered from this map by exact
 * path, so no request can name a file outside it.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface ConsoleAsset {
  readonly body: Buffer;
  readonly type: string;
  readonly etag: string;
}

/** The modules of src/common the console imports (served at /console/common/). */
const COMMON_MODULES = ['grants.js'];
/** Where the app's modules import uPlot from (src/console/vendor/uPlot.esm.d.ts types it). */
const UPLOT_URL_DIR = 'console/vendor';
/** The app's entry module, relative to /console/. */
export const CONSOLE_ENTRY = 'console/main.js';
export const UPLOT_MODULE = `${UPLOT_URL_DIR}/uPlot.esm.js`;
export const UPLOT_STYLESHEET = `${UPLOT_URL_DIR}/uPlot.min.css`;

const TYPES: Readonly<Record<string, string>> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/** The folder holding package.json, from dist/src/server (built) or src/server (tests run from sources). */
function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error('no package.json above the server module');
    dir = up;
  }
  return dir;
}

/** An asset with its ETag (a content hash). */
export function consoleAsset(body: Buffer, type: string): ConsoleAsset {
  return { body, type, etag: `"${crypto.createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` };
}

function asset(file: string): ConsoleAsset {
  return consoleAsset(fs.readFileSync(file), TYPES[path.extname(file)]!);
}

/** Every .js file under `dir`, as paths relative to it. */
function modulesUnder(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }))
    .filter((f) => f.endsWith('.js'))
    .map((f) => f.split(path.sep).join('/'));
}

/**
 * The assets by their path under /console/; empty, with the reason, when the console has not been
 * built (a checkout where only tsconfig.json was compiled).
 */
export function loadConsoleAssets(): { assets: ReadonlyMap<string, ConsoleAsset>; missing?: string } {
  const dist = path.join(packageRoot(), 'dist', 'src');
  const app = path.join(dist, 'console');
  if (!fs.existsSync(path.join(dist, CONSOLE_ENTRY))) return { assets: new Map(), missing: `${path.join(dist, CONSOLE_ENTRY)} is missing: run npm run build` };
  const assets = new Map<string, ConsoleAsset>();
  for (const rel of modulesUnder(app)) assets.set(`console/${rel}`, asset(path.join(app, rel)));
  for (const name of COMMON_MODULES) assets.set(`common/${name}`, asset(path.join(dist, 'common', name)));
  const uplot = path.dirname(createRequire(import.meta.url).resolve('uplot'));
  assets.set(UPLOT_MODULE, asset(path.join(uplot, 'uPlot.esm.js')));
  assets.set(UPLOT_STYLESHEET, asset(path.join(uplot, 'uPlot.min.css')));
  return { assets };
}
