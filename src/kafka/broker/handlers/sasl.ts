/**
 * SASL/PLAIN (RFC 4616) against --auth-file: the password is a bearer token and the username must be
 * that token's principal. Two framings: SaslHandshake v1 then SaslAuthenticate requests, and
 * SaslHandshake v0 then one raw size-prefixed token frame answered by a raw (empty) frame, as
 * kafka-python 2.0 speaks it. A failure is answered (SASL_AUTHENTICATION_FAILED with the reason in
 * v1; in v0 a non-empty raw frame with the reason as text) and logged, then the connection closes.
 */
import type { Principal } from '../../../common/grants.js';
import { findPrincipal } from '../../../server/auth.js';
import { KafkaError } from '../../protocol/error-codes.js';
import type { BrokerContext } from '../context.js';
import type { KafkaConnection } from '../listener.js';
import type { Handler } from './handler.js';

const MECHANISM = 'PLAIN';
const RAW_TOKEN_NEXT = 'sasl-raw-token-next';
const HANDSHAKE_DONE = 'sasl-handshake';
const EMPTY_RAW_FRAME = new Uint8Array(4);

export function awaitingRawSaslToken(conn: KafkaConnection): boolean {
  return conn.state.get(RAW_TOKEN_NEXT) === true;
}

/** The principal of a PLAIN message, or why it is refused. */
function checkPlain(ctx: BrokerContext, message: Uint8Array): { principal: Principal | null } | { problem: string } {
  const parts = Buffer.from(message).toString('utf8').split('\0');
  if (parts.length !== 3) return { problem: 'the SASL/PLAIN message is malformed (expected authzid NUL username NUL password)' };
  const [, username, token] = parts as [string, string, string];
  if (!ctx.auth) return { principal: null };
  const principal = findPrincipal(ctx.auth.policy, token);
  if (!principal) return { problem: `the password of user '${username.slice(0, 100)}' is not a valid token of --auth-file` };
  if (principal.name !== username) return { problem: `the token belongs to principal '${principal.name}', not to user '${username.slice(0, 100)}': the username must be the token's principal` };
  return { principal };
}

function authenticated(ctx: BrokerContext, conn: KafkaConnection, principal: Principal | null): void {
  conn.principal = principal;
  ctx.log.info({ remote: conn.remote, principal: principal?.name ?? null }, 'kafka: client authenticated (SASL/PLAIN)');
}

export const saslHandshake: Handler<17> = async (ctx, conn, { header, body }) => {
  if (body.mechanism !== MECHANISM) {
    ctx.log.warn({ remote: conn.remote, mechanism: body.mechanism.slice(0, 100) }, 'kafka: SASL mechanism not supported; use PLAIN (username = principal, password = token)');
    return { errorCode: KafkaError.UNSUPPORTED_SASL_MECHANISM, mechanisms: [MECHANISM] };
  }
  conn.state.set(HANDSHAKE_DONE, true);
  if (header.requestApiVersion === 0) conn.state.set(RAW_TOKEN_NEXT, true);
  return { errorCode: KafkaError.NONE, mechanisms: [MECHANISM] };
};

export const saslAuthenticate: Handler<36> = async (ctx, conn, { body }) => {
  if (!conn.state.has(HANDSHAKE_DONE)) {
    conn.closeAfterResponse = true;
    return { errorCode: KafkaError.ILLEGAL_SASL_STATE, errorMessage: 'send SaslHandshake before SaslAuthenticate', authBytes: new Uint8Array(0), sessionLifetimeMs: 0n };
  }
  const result = checkPlain(ctx, body.authBytes);
  if ('problem' in result) {
    ctx.log.warn({ remote: conn.remote, problem: result.problem }, 'kafka: SASL authentication failed');
    conn.closeAfterResponse = true;
    return { errorCode: KafkaError.SASL_AUTHENTICATION_FAILED, errorMessage: `authentication failed: ${result.problem}`, authBytes: new Uint8Array(0), sessionLifetimeMs: 0n };
  }
  authenticated(ctx, conn, result.principal);
  return { errorCode: KafkaError.NONE, errorMessage: null, authBytes: new Uint8Array(0), sessionLifetimeMs: 0n };
};

/** A raw frame carrying the reason as text: anything but the empty frame is a failure to the client. */
function rawFailureFrame(problem: string): Uint8Array {
  const text = Buffer.from(`authentication failed: ${problem}`, 'utf8');
  const frame = Buffer.alloc(4 + text.length);
  frame.writeInt32BE(text.length, 0);
  text.copy(frame, 4);
  return frame;
}

/**
 * The raw token after SaslHandshake v0: an empty frame on success. A failure is answered with a
 * non-empty frame, then the connection closes: kafka-python takes any non-zero size for a failed
 * authentication and raises it, where a bare close would look to it like an unreachable broker.
 */
export async function handleRawSaslToken(ctx: BrokerContext, conn: KafkaConnection, frame: Uint8Array): Promise<Uint8Array | null> {
  conn.state.delete(RAW_TOKEN_NEXT);
  const result = checkPlain(ctx, frame);
  if ('problem' in result) {
    ctx.log.warn({ remote: conn.remote, problem: result.problem }, 'kafka: SASL authentication failed; closing the connection');
    conn.closeAfterResponse = true;
    return rawFailureFrame(result.problem);
  }
  authenticated(ctx, conn, result.principal);
  return EMPTY_RAW_FRAME;
}
