import { describe, expect, it } from 'vitest';
import { call, startServer } from './helpers.js';

describe('shutdown', () => {
  it('stops within seconds on SIGTERM even when nobody reads its output any more', async () => {
    const server = await startServer();
    await call(server.url, 'PUT', '/v1/databases/s');
    // The reader of the server's stdout and stderr goes away, as when a supervisor or parent dies.
    server.proc.stdout!.destroy();
    server.proc.stderr!.destroy();
    await call(server.url, 'PUT', '/v1/databases/s/tables/t', { columns: [{ name: 'a', type: 'int32' }] });
    const started = Date.now();
    const exited = new Promise<number | null>((resolve) => server.proc.once('exit', (code) => resolve(code)));
    server.proc.kill('SIGTERM');
    const code = await Promise.race([exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 15_000))]);
    if (code === 'hung') await server.kill9();
    expect(code).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
