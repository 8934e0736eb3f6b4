/**
 * SASL/PLAIN under --auth-file, in both framings the server speaks: kafka-python 2.0's (SaslHandshake
 * v0, then the raw RFC 4616 token) and librdkafka's (SaslHandshake v1, then SaslAuthenticate). The
 * username is the token's principal and the password the token; the HTTP grants apply per topic.
 * Every refusal reaches the client as an error and the server log names the reason.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, tempDir, type ServerProcess } from './helpers.js';
import { kcat, jsonLines, logLines, python, stopClients, waitFor } from './kafka-helpers.js';

const APP = 'app-token-0123456789abcdef';
const READER = 'reader-token-0123456789abcd';
const WRONG = 'not-a-known-token-012345678';

const policy = {
  tokens: {
    [APP]: { principal: 'app', grants: [{ resource: 'kafka.*', operations: ['read', 'write', 'create', 'describe'] }] },
    [READER]: { principal: 'reader', grants: [{ resource: 'kafka.*', operations: ['read', 'describe'] }] },
  },
};

let server: ServerProcess;
let bootstrap: string;

beforeAll(async () => {
  const dir = tempDir('lakestream-kafka-sasl-');
  const authFile = path.join(dir, 'auth.json');
  fs.writeFileSync(authFile, JSON.stringify(policy), { mode: 0o600 });
  server = await startServer({ args: ['--auth-file', authFile] });
  bootstrap = `127.0.0.1:${server.kafkaPort}`;
});

afterAll(async () => {
  await stopClients();
  await server?.stop();
});

const b64 = (s: string) => Buffer.from(s).toString('base64');
const sasl = (username: string, password: string) => ({ username, password });

/** Waits for a server log line with message `msg` whose `problem` (or whole line) contains `text`. */
async function logged(msg: string, text: string): Promise<Record<string, unknown>> {
  let found: Record<string, unknown> | undefined;
  await waitFor(`a log line '${msg}' naming '${text}'`, () => {
    found = logLines(server.output(), msg).find((l) => JSON.stringify(l).includes(text));
    return found !== undefined;
  }, 5_000, () => server.output().slice(-3000));
  return found!;
}

describe('kafka-python: SASL/PLAIN (SaslHandshake v0 and a raw token)', () => {
  const records = [{ topic: 'sasl-py', key: b64('k'), value: b64('hello'), headers: [] }];

  it('produces and consumes with a good token, the username being its principal', async () => {
    const produced = await python('produce', { bootstrap, sasl: sasl('app', APP), records });
    expect(produced.error).toBeUndefined();
    expect(produced.results).toEqual([{ partition: 0, offset: 0 }]);
    const consumed = await python('consume', { bootstrap, sasl: sasl('reader', READER), topic: 'sasl-py', partitions: [0] });
    expect(consumed.error).toBeUndefined();
    expect(consumed.records.map((r: { key: string; value: string }) => [r.key, r.value])).toEqual([[b64('k'), b64('hello')]]);
    await logged('kafka: client authenticated (SASL/PLAIN)', '"principal":"reader"');
  });

  it('fails with an authentication error for a wrong token, and the log says why', async () => {
    const produced = await python('produce', { bootstrap, sasl: sasl('app', WRONG), records });
    expect(produced.error?.type).toBe('AuthenticationFailedError');
    await logged('kafka: SASL authentication failed', "the password of user 'app' is not a valid token of --auth-file");
  });

  it('fails with an authentication error when the username is not the token\'s principal', async () => {
    const produced = await python('produce', { bootstrap, sasl: sasl('admin', APP), records });
    expect(produced.error?.type).toBe('AuthenticationFailedError');
    await logged('kafka: SASL authentication failed', "the token belongs to principal 'app', not to user 'admin'");
  });

  it('gets TOPIC_AUTHORIZATION_FAILED producing as a principal without write on the table', async () => {
    const produced = await python('produce', { bootstrap, sasl: sasl('reader', READER), records });
    expect(produced.error?.type).toBe('TopicAuthorizationFailedError');
    const line = await logged('kafka: refused: the principal has no grant for this', '"principal":"reader"');
    expect(line).toMatchObject({ operation: 'write', table: 'kafka.sasl-py' });
  });
});

describe('kcat: SASL/PLAIN (SaslHandshake v1 and SaslAuthenticate)', () => {
  const saslArgs = (username: string, password: string) => [
    '-X', 'security.protocol=SASL_PLAINTEXT', '-X', 'sasl.mechanisms=PLAIN', '-X', `sasl.username=${username}`, '-X', `sasl.password=${password}`,
  ];

  it('produces and consumes with a good token', async () => {
    const produced = await kcat(bootstrap, ['-P', '-t', 'sasl-kcat', '-K', ':', ...saslArgs('app', APP)], 'a:one\nb:two\n');
    expect(produced.code, produced.stderr).toBe(0);
    const consumed = await kcat(bootstrap, ['-C', '-J', '-e', '-t', 'sasl-kcat', '-o', 'beginning', ...saslArgs('reader', READER)]);
    expect(consumed.code, consumed.stderr).toBe(0);
    expect(jsonLines(consumed.stdout).map((r) => [r.key, r.payload])).toEqual([['a', 'one'], ['b', 'two']]);
  });

  it('reports the server\'s reason for a wrong token', async () => {
    const done = await kcat(bootstrap, ['-L', '-m', '1', ...saslArgs('app', WRONG)]);
    expect(done.code).not.toBe(0);
    expect(done.stderr).toContain("authentication failed: the password of user 'app' is not a valid token of --auth-file");
  });

  it('refuses a client that does not authenticate: no topics listed, produce gets TOPIC_AUTHORIZATION_FAILED', async () => {
    const meta = await kcat(bootstrap, ['-L', '-J']);
    expect(meta.code, meta.stderr).toBe(0);
    expect(JSON.parse(meta.stdout.trim()).topics).toEqual([]);
    const produced = await kcat(bootstrap, ['-P', '-t', 'sasl-kcat', '-X', 'message.timeout.ms=10000'], 'anonymous\n');
    expect(produced.code).not.toBe(0);
    expect(produced.stderr).toContain('Topic authorization failed');
    await logged('kafka: refused an unauthenticated client', 'connect with SASL/PLAIN');
  });
});
