import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { fail } from '../../common/errors.js';
import { CONSOLE_ENTRY, consoleAsset, loadConsoleAssets, UPLOT_MODULE, UPLOT_STYLESHEET, type ConsoleAsset } from '../console-assets.js';

/**
 * Scripts and styles only from this origin (no inline script or style: the app styles itself with a
 * constructed stylesheet, which the policy allows), API calls only to it, and no framing.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "connect-src 'self'",
  "object-src 'none'", "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'",
].join('; ');

const SAFE_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  // Revalidated on every load (ETag), so a rebuilt console is never mixed with cached modules.
  'cache-control': 'no-cache',
};

/**
 * The page: a shell for the app's modules. Every module is announced with modulepreload, so the
 * browser fetches them at once instead of discovering the import graph level by level. The empty
 * data: icon keeps browsers from asking for /favicon.ico.
 */
function shell(modules: readonly string[]): string {
  const preloads = modules.map((m) => `<link rel="modulepreload" href="/console/${m}">`).join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>lakestream console</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/console/${UPLOT_STYLESHEET}">
<script type="module" src="/console/${CONSOLE_ENTRY}"></script>
${preloads}
</head>
<body>
<noscript>The lakestream console needs JavaScript.</noscript>
</body>
</html>
`;
}

function send(req: FastifyRequest, reply: FastifyReply, asset: ConsoleAsset) {
  void reply.headers(SAFE_HEADERS).header('etag', asset.etag);
  if (req.headers['if-none-match'] === asset.etag) return reply.status(304).send();
  return reply.type(asset.type).send(asset.body);
}

/**
 * `GET /console`: the web console, a browser app over the documented API (src/console). Its files
 * are open routes: a browser's navigation carries no token, and the app asks for one.
 */
export function consoleRoutes(app: FastifyInstance, log: FastifyBaseLogger): void {
  const { assets, missing } = loadConsoleAssets();
  if (missing) log.warn({ problem: missing }, 'the web console is not built; /console answers 404');
  // uPlot is left out: the app imports it once a page has shown its tables.
  const preloaded = [...assets.keys()].filter((k) => k.endsWith('.js') && k !== CONSOLE_ENTRY && k !== UPLOT_MODULE);
  const page = consoleAsset(Buffer.from(shell(preloaded)), 'text/html; charset=utf-8');
  const notBuilt = () => fail('ROUTE_NOT_FOUND', `the web console is not built: ${missing}`);
  app.get('/console', async (_req, reply) => reply.redirect('/console/', 308));
  app.get('/console/', async (req, reply) => (missing ? notBuilt() : send(req, reply, page)));
  app.get<{ Params: { '*': string } }>('/console/*', async (req, reply) => {
    if (missing) return notBuilt();
    const asset = assets.get(req.params['*']);
    if (!asset) return fail('ROUTE_NOT_FOUND', `the console has no file ${req.params['*'].slice(0, 200)}`);
    return send(req, reply, asset);
  });
}
