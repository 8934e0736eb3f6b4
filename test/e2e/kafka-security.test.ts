/**
 * The Kafka port under --auth-file and --tls-cert/--tls-key: TLS on the listener, SASL/PLAIN where
 * the password is a bearer token and the username its principal, and the HTTP grants per topic.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Kafka, logLevel, type KafkaConfig } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../reliability/support.js';
import { startServer, tempDir, type ServerProcess } from './helpers.js';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

const ADMIN = 'kafka-admin-token-0123456789';
const WRITER = 'kafka-writer-token-0123456789';
const READER = 'kafka-reader-token-0123456789';

let dir: string;
let cert: string;
let server: ServerProcess;
const disconnects: (() => Promise<void>)[] = [];

function kafka(sasl: KafkaConfig['sasl'] | undefined): Kafka {
  return new Kafka({
    clientId: 'secure', brokers: [`127.0.0.1:${server.kafkaPort}`], logLevel: logLevel.NOTHING,
    ssl: { ca: [fs.readFileSync(cert)] }, ...(sasl ? { sasl } : {}),
    retry: { retries: 0 }, connectionTimeout: 3000, authenticationTimeout: 3000,
  });
}

const plain = (username: string, password: string): KafkaConfig['sasl'] => ({ mechanism: 'plain', username, password });

beforeAll(async () => {
  dir = tempDir('lakestream-kafka-sec-');
  cert = path.join(dir, 'server.crt');
  const key = path.join(dir, 'server.key');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', key, '-out', cert], { stdio: 'ignore' });
  const authFile = path.join(dir, 'auth.json');
  fs.writeFileSync(authFile, JSON.stringify({ tokens: {
    [ADMIN]: { principal: 'admin', super: true },
    [WRITER]: { principal: 'writer', grants: [{ resource: 'kafka.orders', operations: ['write'] }] },
    [READER]: { principal: 'reader', grants: [{ resource: 'kafka.orders', operations: ['read'] }] },
  } }), { mode: 0o600 });
  server = await startServer({ args: ['--auth-file', authFile, '--tls-cert', cert, '--tls-key', key] });
});

afterAll(async () => {
  for (const d of disconnects) await d().catch(() => undefined);
  await server?.stop();
});

describe('Kafka over TLS with SASL/PLAIN', () => {
  it('serves an authenticated principal within its grants, over TLS', async () => {
    const admin = kafka(plain('admin', ADMIN)).admin();
    await admin.connect();
    disconnects.push(() => admin.disconnect());
    expect(await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 1 }] })).toBe(true);
    const producer = kafka(plain('writer', WRITER)).producer();
    await producer.connect();
    disconnects.push(() => producer.disconnect());
    const [ack] = await producer.send({ topic: 'orders', messages: [{ key: 'o1', value: 'first order' }] });
    expect(ack).toMatchObject({ errorCode: 0, baseOffset: '0' });
  });

  it('refuses a wrong token, and a username that is not the token\'s principal, saying why', async () => {
    await expect(kafka(plain('writer', 'not-the-token-0123456789')).producer().connect()).rejects.toThrow(/SASL|authentication/i);
    await expect(kafka(plain('admin', WRITER)).producer().connect()).rejects.toThrow(/SASL|authentication/i);
    await until('the reasons logged', async () => /not a valid token of --auth-file/.test(server.output()) && /belongs to principal 'writer', not to user 'admin'/.test(server.output()));
  });

  it('applies the grants per topic: a reader cannot produce, a writer cannot create topics', async () => {
    const reader = kafka(plain('reader', READER)).producer();
    await reader.connect();
    disconnects.push(() => reader.disconnect());
    await expect(reader.send({ topic: 'orders', messages: [{ value: 'x' }] })).rejects.toThrow(/authoriz/i);
    const writerAdmin = kafka(plain('writer', WRITER)).admin();
    await writerAdmin.connect();
    disconnects.push(() => writerAdmin.disconnect());
    await expect(writerAdmin.createTopics({ topics: [{ topic: 'other', numPartitions: 1 }] })).rejects.toThrow();
    await until('the refusal logged', async () => /the principal has no grant for this/.test(server.output()));
  });

  it('refuses an unauthenticated client\'s topic requests with an authorization error and a log line', async () => {
    const anonymous = kafka(undefined).producer();
    await anonymous.connect();
    disconnects.push(() => anonymous.disconnect());
    await expect(anonymous.send({ topic: 'orders', messages: [{ value: 'x' }] })).rejects.toThrow(/authoriz/i);
    await until('the refusal logged', async () => /refused an unauthenticated client/.test(server.output()));
  });
});
