/**
 * The Kafka listener under --tls-cert/--tls-key with --auth-file: kafka-python and kcat speak
 * SASL_SSL (SASL/PLAIN inside TLS); a client that does not speak TLS is refused with a log line.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCert, startServer, tempDir, type ServerProcess } from './helpers.js';
import { jsonLines, kcat, logLines, python, stopClients, waitFor } from './kafka-helpers.js';

const APP = 'tls-app-token-0123456789abc';
const WRONG = 'not-a-known-token-012345678';

let server: ServerProcess;
let bootstrap: string;
let caFile: string;

beforeAll(async () => {
  const dir = tempDir('lakestream-kafka-tls-');
  const { cert, key } = makeCert(dir, 'server');
  caFile = cert;
  const authFile = path.join(dir, 'auth.json');
  fs.writeFileSync(authFile, JSON.stringify({ tokens: { [APP]: { principal: 'app', grants: [{ resource: 'kafka.*', operations: ['read', 'write', 'create', 'describe'] }] } } }), { mode: 0o600 });
  server = await startServer({ args: ['--tls-cert', cert, '--tls-key', key, '--auth-file', authFile] });
  bootstrap = `127.0.0.1:${server.kafkaPort}`;
});

afterAll(async () => {
  await stopClients();
  await server?.stop();
});

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('Kafka over TLS with SASL/PLAIN (SASL_SSL)', () => {
  it('kafka-python produces and consumes; a wrong token fails with an authentication error', async () => {
    const tls = { caFile };
    const sasl = { username: 'app', password: APP };
    const produced = await python('produce', { bootstrap, tls, sasl, compression: 'zstd', records: [{ topic: 'tls-py', key: b64('k'), value: b64('secret'), headers: [] }] });
    expect(produced.error).toBeUndefined();
    const consumed = await python('consume', { bootstrap, tls, sasl, topic: 'tls-py', partitions: [0] });
    expect(consumed.records.map((r: { key: string; value: string }) => [r.key, r.value])).toEqual([[b64('k'), b64('secret')]]);
    const refused = await python('produce', { bootstrap, tls, sasl: { username: 'app', password: WRONG }, records: [] });
    expect(refused.error?.type).toBe('AuthenticationFailedError');
  });

  it('kcat produces and consumes', async () => {
    const args = ['-X', 'security.protocol=SASL_SSL', '-X', `ssl.ca.location=${caFile}`, '-X', 'sasl.mechanisms=PLAIN', '-X', 'sasl.username=app', '-X', `sasl.password=${APP}`];
    const produced = await kcat(bootstrap, ['-P', '-t', 'tls-kcat', '-K', ':', '-z', 'snappy', ...args], 'a:1\nb:2\n');
    expect(produced.code, produced.stderr).toBe(0);
    const consumed = await kcat(bootstrap, ['-C', '-J', '-e', '-t', 'tls-kcat', '-o', 'beginning', ...args]);
    expect(consumed.code, consumed.stderr).toBe(0);
    expect(jsonLines(consumed.stdout).map((r) => [r.key, r.payload])).toEqual([['a', '1'], ['b', '2']]);
  });

  it('refuses a client that does not speak TLS, with a log line', async () => {
    const done = await kcat(bootstrap, ['-L', '-m', '1']);
    expect(done.code).not.toBe(0);
    await waitFor('the refusal in the server log', () => logLines(server.output(), 'kafka: TLS handshake failed').length > 0, 5_000, () => server.output().slice(-3000));
  });
});
