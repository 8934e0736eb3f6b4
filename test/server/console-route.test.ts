import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from '../../src/server/app.js';
import { resolveConfig } from '../../src/server/config.js';

// Serves the built console (npm run build compiles it into dist/src/console).
describe('the console route', () => {
  let server: Server;
  let dataDir: string;
  const get = (url: string, headers: Record<string, string> = {}) => server.app.inject({ method: 'GET', url, headers });

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lakestream-console-route-'));
    server = await createServer(resolveConfig({ dataDir, port: '0', logLevel: 'silent' }, {}));
  });
  afterAll(async () => {
    await server?.close();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves a shell whose every script and preload is a file it serves, with safe headers', async () => {
    const page = await get('/console/');
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-security-policy']).toBe("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect(page.body).not.toMatch(/<script>|<style|style=/);
    const refs = [...page.body.matchAll(/(?:src|href)="(\/console\/[^"]+)"/g)].map((m) => m[1]!);
    expect(refs).toContain('/console/console/main.js');
    expect(refs).toContain('/console/common/grants.js');
    for (const ref of refs) {
      const asset = await get(ref);
      expect(asset.statusCode, ref).toBe(200);
      expect(asset.headers['content-type'], ref).toMatch(/^text\/(javascript|css); charset=utf-8$/);
      expect(asset.headers['content-security-policy'], ref).toBeDefined();
    }
    expect((await get('/console/console/vendor/uPlot.esm.js')).body).toContain('export { uPlot as default }');
  });

  it('answers a matching ETag with 304, and unknown or escaping paths with 404', async () => {
    const first = await get('/console/console/main.js');
    const again = await get('/console/console/main.js', { 'if-none-match': String(first.headers.etag) });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
    for (const url of ['/console/nope.js', '/console/console/main.ts', '/console/../package.json', '/console/%2e%2e/package.json', '/console/console/main.js.map']) {
      const r = await get(url);
      expect(r.statusCode, url).toBe(404);
      expect(r.json().error.code, url).toBe('ROUTE_NOT_FOUND');
    }
    const bare = await get('/console');
    expect(bare.statusCode).toBe(308);
    expect(bare.headers.location).toBe('/console/');
  });
});
