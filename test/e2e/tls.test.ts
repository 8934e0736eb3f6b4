import { spawn } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kafkaArgs, makeCert, tempDir } from './helpers.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ENTRY = path.join(ROOT, 'dist/src/cli/main.js');
const CLIENT = path.join(ROOT, 'dist/src/client/index.js');
const TOKEN = 'tls-admin-token-0123456789';

interface TlsServer {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** Runs `serve` and resolves once it logs its https:// address; rejects with the output if it exits. */
function startServe(args: string[], env: Record<string, string> = {}): Promise<TlsServer> {
  const proc = spawn(process.execPath, [ENTRY, 'serve', '--data-dir', tempDir('lakestream-tls-'), '--port', '0', ...kafkaArgs(args), ...args], {
    cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  return new Promise((resolve, reject) => {
    proc.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /"address":"https:\/\/[^"]*:(\d+)"/.exec(out);
      if (m) {
        const port = Number(m[1]);
        resolve({
          url: `https://127.0.0.1:${port}`,
          port,
          stop: () => new Promise((done) => {
            proc.once('exit', () => done());
            proc.kill('SIGTERM');
          }),
        });
      }
    });
    proc.stderr.on('data', (c: Buffer) => { out += c.toString(); });
    proc.once('exit', (code) => reject(new Error(`server exited with ${code}:\n${out}`)));
  });
}

function httpsGet(url: string, ca: Buffer, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    https.get(url, { ca, headers }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => { body += c.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

/** Runs a snippet against the built client in a fresh node whose trust store includes `caFile`. */
function runClient(code: string, caFile: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--input-type=module', '-e', code], {
      cwd: ROOT, env: { ...process.env, NODE_EXTRA_CA_CERTS: caFile }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    proc.stdout.on('data', (c: Buffer) => { out += c.toString(); });
    proc.stderr.on('data', (c: Buffer) => { err += c.toString(); });
    proc.once('exit', (status) => (status === 0 ? resolve(out) : reject(new Error(`client exited with ${status}: ${err}`))));
  });
}

let dir: string;
let pair: { cert: string; key: string };
let server: TlsServer;

beforeAll(async () => {
  dir = tempDir('lakestream-certs-');
  pair = makeCert(dir, 'server');
  const authFile = path.join(dir, 'auth.json');
  fs.writeFileSync(authFile, JSON.stringify({ tokens: { [TOKEN]: { principal: 'admin', super: true } } }), { mode: 0o600 });
  server = await startServe(['--tls-cert', pair.cert, '--tls-key', pair.key, '--auth-file', authFile]);
});
afterAll(async () => {
  await server?.stop();
});

describe('tls: HTTPS with --tls-cert and --tls-key', () => {
  it('serves HTTPS to a client that trusts the certificate', async () => {
    const r = await httpsGet(`${server.url}/v1/health`, fs.readFileSync(pair.cert));
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body).status).toBe('ok');
    const denied = await httpsGet(`${server.url}/v1/databases`, fs.readFileSync(pair.cert));
    expect(denied.status).toBe(401);
  });

  it('works with the lakestream client over HTTPS (NODE_EXTRA_CA_CERTS) and a bearer token', async () => {
    const out = await runClient(`
      import { connect } from ${JSON.stringify(CLIENT)};
      const conn = connect(${JSON.stringify(server.url)}, { token: ${JSON.stringify(TOKEN)} });
      const admin = conn.admin();
      await admin.createDatabase('secure');
      await admin.createTable('secure', 'events', { columns: [{ name: 'id', type: 'int64', nullable: false }] });
      const events = await conn.table('secure', 'events');
      const writer = events.appendWriter();
      for (let i = 0; i < 5; i++) writer.append({ id: BigInt(i) });
      await writer.close();
      const hw = await events.offset(0, 'latest');
      await conn.close();
      console.log(JSON.stringify({ hw: hw.toString(), dbs: await connect(${JSON.stringify(server.url)}, { token: ${JSON.stringify(TOKEN)} }).admin().listDatabases() }));
    `, pair.cert);
    expect(JSON.parse(out.trim())).toEqual({ hw: '5', dbs: ['secure'] });
  });

  it('refuses plain HTTP on the TLS port', async () => {
    await expect(fetch(`http://127.0.0.1:${server.port}/v1/health`)).rejects.toThrow();
  });

  it('is refused by a client that does not trust the certificate', async () => {
    await expect(fetch(`${server.url}/v1/health`)).rejects.toThrow();
  });
});

describe('tls: start-up checks', () => {
  it('refuses --tls-cert without --tls-key, and the other way round', async () => {
    await expect(startServe(['--tls-cert', pair.cert])).rejects.toThrow(/--tls-cert and --tls-key .* go together: --tls-key is missing/);
    await expect(startServe([], { LAKESTREAM_TLS_KEY: pair.key })).rejects.toThrow(/go together: --tls-cert is missing/);
  });

  it('refuses a key that does not belong to the certificate, and files that are not PEM', async () => {
    const other = makeCert(dir, 'other');
    await expect(startServe(['--tls-cert', pair.cert, '--tls-key', other.key])).rejects.toThrow(/--tls-key .*other\.key does not belong to the certificate/);
    await expect(startServe(['--tls-cert', pair.key, '--tls-key', pair.key])).rejects.toThrow(/--tls-cert .* is not a PEM certificate/);
    await expect(startServe(['--tls-cert', pair.cert, '--tls-key', path.join(dir, 'nope.key')])).rejects.toThrow(/cannot read --tls-key .*nope\.key: ENOENT/);
  });

  it('takes the pair from LAKESTREAM_TLS_CERT and LAKESTREAM_TLS_KEY', async () => {
    const s = await startServe([], { LAKESTREAM_TLS_CERT: pair.cert, LAKESTREAM_TLS_KEY: pair.key });
    try {
      expect((await httpsGet(`${s.url}/v1/health`, fs.readFileSync(pair.cert))).status).toBe(200);
    } finally {
      await s.stop();
    }
  });
});
