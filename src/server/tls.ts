/**
 * HTTPS from `--tls-cert` and `--tls-key` (PEM files). Both or neither; the pair is checked at start
 * (readable, parseable, the key belongs to the certificate) so a mistake stops the server with a
 * message naming the flag, instead of failing at the first handshake.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import { fail } from '../common/errors.js';
import type { ServerConfig } from './config.js';

export interface TlsFiles {
  readonly cert: Buffer;
  readonly key: Buffer;
  /** When the certificate expires, for the start-up log. */
  readonly validTo: string;
  readonly expired: boolean;
}

function readPem(file: string, flag: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return fail('INVALID_PARAMETER', `cannot read ${flag} ${file}: ${e.code ?? e.message}`);
  }
}

export function loadTls(config: Pick<ServerConfig, 'tlsCert' | 'tlsKey'>, now = Date.now()): TlsFiles | undefined {
  const { tlsCert, tlsKey } = config;
  if (!tlsCert && !tlsKey) return undefined;
  if (!tlsCert || !tlsKey) {
    fail('INVALID_PARAMETER', `--tls-cert and --tls-key (LAKESTREAM_TLS_CERT, LAKESTREAM_TLS_KEY) go together: ${tlsCert ? '--tls-key' : '--tls-cert'} is missing`);
  }
  const cert = readPem(tlsCert, '--tls-cert');
  const key = readPem(tlsKey, '--tls-key');
  let x509: crypto.X509Certificate;
  try {
    x509 = new crypto.X509Certificate(cert);
  } catch {
    return fail('INVALID_PARAMETER', `--tls-cert ${tlsCert} is not a PEM certificate`);
  }
  let privateKey: crypto.KeyObject;
  try {
    privateKey = crypto.createPrivateKey(key);
  } catch {
    return fail('INVALID_PARAMETER', `--tls-key ${tlsKey} is not an unencrypted PEM private key`);
  }
  if (!x509.checkPrivateKey(privateKey)) fail('INVALID_PARAMETER', `--tls-key ${tlsKey} does not belong to the certificate in --tls-cert ${tlsCert}`);
  return { cert, key, validTo: x509.validTo, expired: Date.parse(x509.validTo) < now };
}
