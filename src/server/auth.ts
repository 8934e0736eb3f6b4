/**
 * Bearer-token authentication and grant-based authorization.
 *
 * The auth file (`--auth-file`) maps tokens to principals and grants:
 *
 *   {"tokens": {"<token>": {"principal": "etl", "grants": [{"resource": "shop.*", "operations": ["read", "write"]}]},
 *               "<token>": {"principal": "admin", "super": true}}}
 *
 * Resources and the rules of grants are in common/grants.ts.
 *
 * Every route says what it touches in ROUTE_ACCESS below, the one place the route -> operation map
 * lives; a route registered without an entry stops the server at start-up (fail closed).
 *
 * Tokens never appear in logs or messages: entries are named by their position and principal. A
 * presented token is hashed with SHA-256 and compared with every stored hash in constant time.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import type { FastifyBaseLogger, FastifyInstance, FastifyRequest, RouteOptions } from 'fastify';
import { fail } from '../common/errors.js';
import { allows, isResourcePattern, OPERATIONS, seesDatabase, seesTable, type Grant, type Operation, type Principal } from '../common/grants.js';

/**
 * What a route touches:
 * - `cluster`: the resource `*`;
 * - `database`: `db.*` from the `:db` parameter;
 * - `table`: `db.table` from `:db` and `:table`;
 * - `database-list`: any authenticated principal; the reply lists only databases it has a grant in;
 * - `table-list`: the principal needs some grant in `:db`; the reply lists only tables it has a grant on.
 */
export type Scope = 'cluster' | 'database' | 'table' | 'database-list' | 'table-list';
export type RouteAccess = { readonly public: true } | { readonly operation: Operation; readonly scope: Scope };

const PUBLIC: RouteAccess = { public: true };
const on = (operation: Operation, scope: Scope): RouteAccess => ({ operation, scope });
const TABLE = '/v1/databases/:db/tables/:table';
const BUCKET = `${TABLE}/buckets/:bucket`;

/** The route -> operation map: `METHOD /pattern` as registered with fastify. */
export const ROUTE_ACCESS: Readonly<Record<string, RouteAccess>> = {
  'GET /v1/health': PUBLIC,
  // The web console's page and modules: a browser's navigation carries no token (the app asks for one).
  'GET /console': PUBLIC,
  'GET /console/': PUBLIC,
  'GET /console/*': PUBLIC,
  // Open, so that a client learns without a refused request whether it needs a token and whose it has.
  'GET /v1/whoami': PUBLIC,
  'GET /metrics': on('describe', 'cluster'),
  'GET /v1/metrics/recent': on('describe', 'cluster'),
  'GET /v1/databases': on('describe', 'database-list'),
  'PUT /v1/databases/:db': on('create', 'database'),
  'GET /v1/databases/:db': on('describe', 'table-list'),
  'DELETE /v1/databases/:db': on('drop', 'database'),
  'GET /v1/databases/:db/tables': on('describe', 'table-list'),
  [`PUT ${TABLE}`]: on('create', 'table'),
  [`GET ${TABLE}`]: on('describe', 'table'),
  [`DELETE ${TABLE}`]: on('drop', 'table'),
  [`POST ${TABLE}/append`]: on('write', 'table'),
  [`POST ${TABLE}/upsert`]: on('write', 'table'),
  [`POST ${TABLE}/delete`]: on('write', 'table'),
  [`POST ${TABLE}/lookup`]: on('read', 'table'),
  [`POST ${TABLE}/prefix-lookup`]: on('read', 'table'),
  [`GET ${BUCKET}`]: on('describe', 'table'),
  [`GET ${BUCKET}/records`]: on('read', 'table'),
  [`GET ${BUCKET}/offsets`]: on('read', 'table'),
  [`GET ${BUCKET}/rows`]: on('read', 'table'),
  [`GET ${TABLE}/lake`]: on('read', 'table'),
  [`GET ${TABLE}/lake/snapshots`]: on('read', 'table'),
  [`POST ${TABLE}/lake/compact`]: on('write', 'table'),
  // Served by the Kafka listener's extension (src/kafka) when it is on.
  'GET /v1/kafka/groups': on('describe', 'cluster'),
};

// ---------------------------------------------------------------------------------------------
// The auth file (pure parsing)

export const TOKEN_CHARS_MIN = 16;
const TOKEN_CHARS_MAX = 4096;
const PRINCIPAL_CHARS_MAX = 128;

export interface AuthPolicy {
  /** SHA-256 of each token, beside its principal; the tokens themselves are not kept. */
  readonly entries: readonly { readonly hash: Buffer; readonly principal: Principal }[];
}

const sha256 = (s: string): Buffer => crypto.createHash('sha256').update(s, 'utf8').digest();

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** JSON.parse messages may quote the input, which may hold a token: report a position only. */
function jsonProblem(text: string, err: unknown): string {
  const m = /position (\d+)/.exec((err as Error).message);
  if (!m) return 'it is not valid JSON';
  const before = text.slice(0, Number(m[1]));
  const line = before.split('\n').length;
  const column = before.length - before.lastIndexOf('\n');
  return `it is not valid JSON (error at line ${line}, column ${column})`;
}

/** Parses and validates an auth file; throws INVALID_PARAMETER naming the problem, never a token. */
export function parseAuthFile(text: string, source: string): AuthPolicy {
  const bad = (problem: string): never => fail('INVALID_PARAMETER', `auth file ${source}: ${problem}`);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    bad(jsonProblem(text, err));
  }
  if (!isObject(doc)) return bad('expected a JSON object {"tokens": {...}}');
  for (const k of Object.keys(doc)) if (k !== 'tokens') bad(`unknown top-level key '${k.slice(0, 50)}'; the only key is "tokens"`);
  const tokens = doc.tokens;
  if (!isObject(tokens)) return bad('"tokens" must be an object mapping each token to {"principal", "grants"} or {"principal", "super": true}');
  const keys = Object.keys(tokens);
  if (keys.length === 0) bad('"tokens" is empty: every request but /v1/health would be refused');
  const entries: { hash: Buffer; principal: Principal }[] = [];
  keys.forEach((token, i) => {
    const spec = tokens[token];
    const rawName = isObject(spec) && typeof spec.principal === 'string' ? spec.principal : undefined;
    const where = `token #${i + 1}${rawName !== undefined ? ` (principal '${rawName.slice(0, PRINCIPAL_CHARS_MAX)}')` : ''}`;
    if (token.length < TOKEN_CHARS_MIN) bad(`${where}: the token is shorter than ${TOKEN_CHARS_MIN} characters; use a long random one (e.g. openssl rand -hex 32)`);
    if (token.length > TOKEN_CHARS_MAX) bad(`${where}: the token is longer than ${TOKEN_CHARS_MAX} characters`);
    if (!/^[\x21-\x7e]+$/.test(token)) bad(`${where}: the token must be printable ASCII without spaces`);
    if (!isObject(spec)) return bad(`${where}: expected an object {"principal", "grants"} or {"principal", "super": true}`);
    for (const k of Object.keys(spec)) {
      if (k !== 'principal' && k !== 'grants' && k !== 'super') bad(`${where}: unknown key '${k.slice(0, 50)}'; expected principal, grants, super`);
    }
    if (rawName === undefined || rawName.trim() === '' || rawName.length > PRINCIPAL_CHARS_MAX) {
      bad(`${where}: "principal" must be a non-empty string of at most ${PRINCIPAL_CHARS_MAX} characters`);
    }
    if (spec.super !== undefined && typeof spec.super !== 'boolean') bad(`${where}: "super" must be true or false`);
    const isSuper = spec.super === true;
    if (spec.grants === undefined && !isSuper) bad(`${where}: "grants" is missing; give grants, or "super": true for an administrator`);
    if (spec.grants !== undefined && !Array.isArray(spec.grants)) bad(`${where}: "grants" must be an array`);
    const rawGrants = (spec.grants ?? []) as unknown[];
    if (rawGrants.length === 0 && !isSuper) bad(`${where}: "grants" is empty, so the token could do nothing; add a grant or remove the token`);
    const grants = rawGrants.map((g, j): Grant => {
      const at = `${where}, grant #${j + 1}`;
      if (!isObject(g)) return bad(`${at}: expected {"resource", "operations"}`);
      for (const k of Object.keys(g)) if (k !== 'resource' && k !== 'operations') bad(`${at}: unknown key '${k.slice(0, 50)}'; expected resource, operations`);
      if (typeof g.resource !== 'string' || !isResourcePattern(g.resource)) {
        bad(`${at}: "resource" must be "*", "<db>.*" or "<db>.<table>", got ${JSON.stringify(g.resource)?.slice(0, 140)}`);
      }
      if (!Array.isArray(g.operations) || g.operations.length === 0) bad(`${at}: "operations" must be a non-empty array of ${OPERATIONS.join(', ')}`);
      for (const op of g.operations as unknown[]) {
        if (!(OPERATIONS as readonly unknown[]).includes(op)) bad(`${at}: unknown operation ${JSON.stringify(op)?.slice(0, 60)}; use ${OPERATIONS.join(', ')}`);
      }
      return Object.freeze({ resource: g.resource as string, operations: Object.freeze([...new Set(g.operations as Operation[])]) });
    });
    entries.push({ hash: sha256(token), principal: Object.freeze({ name: rawName!, super: isSuper, grants: Object.freeze(grants) }) });
  });
  return Object.freeze({ entries: Object.freeze(entries) });
}

/**
 * Finds the principal of a presented token. Every stored hash is compared (no early exit, no length
 * shortcut: all hashes are 32 bytes), so the time does not depend on which token matched, if any.
 */
export function findPrincipal(policy: AuthPolicy, token: string): Principal | undefined {
  const presented = sha256(token);
  let found: Principal | undefined;
  for (const e of policy.entries) {
    const match = crypto.timingSafeEqual(presented, e.hash);
    found = match && found === undefined ? e.principal : found;
  }
  return found;
}

// ---------------------------------------------------------------------------------------------
// The file on disk, reloadable

/** Holds the current policy; `reload()` swaps it only when the new file is valid. */
export class AuthFile {
  private current: AuthPolicy;

  private constructor(readonly path: string, policy: AuthPolicy) {
    this.current = policy;
  }

  static read(file: string): AuthPolicy {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      return fail('INVALID_PARAMETER', `cannot read auth file ${file}: ${e.code ?? e.message}`);
    }
    return parseAuthFile(text, file);
  }

  /** Loads at start: a bad file throws, so the server refuses to start. */
  static load(file: string, log: FastifyBaseLogger): AuthFile {
    const auth = new AuthFile(file, AuthFile.read(file));
    auth.warnIfReadableByOthers(log);
    log.info({ authFile: file, tokens: auth.current.entries.length }, 'authentication on: every route but /v1/health and the console page (/console) needs a bearer token');
    return auth;
  }

  get policy(): AuthPolicy {
    return this.current;
  }

  /** SIGHUP: re-reads the file; a bad file keeps the old policy and logs why. */
  reload(log: FastifyBaseLogger): boolean {
    try {
      this.current = AuthFile.read(this.path);
    } catch (err) {
      log.error({ authFile: this.path, problem: (err as Error).message }, 'auth file reload failed; keeping the previous tokens');
      return false;
    }
    this.warnIfReadableByOthers(log);
    log.info({ authFile: this.path, tokens: this.current.entries.length }, 'auth file reloaded');
    return true;
  }

  private warnIfReadableByOthers(log: FastifyBaseLogger): void {
    try {
      if ((fs.statSync(this.path).mode & 0o077) !== 0) log.warn({ authFile: this.path }, 'the auth file is readable by group or others; chmod 600 it');
    } catch {
      // it was just read; a race with a rename is harmless here
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Fastify wiring

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: RouteAccess;
  }
  interface FastifyRequest {
    /** The authenticated principal; null when authentication is off (or the route is public). */
    principal: Principal | null;
  }
}

const BEARER = /^Bearer[ ]+([^\s]+)[ ]*$/i;

function accessKey(method: string, url: string): string {
  return `${method === 'HEAD' ? 'GET' : method} ${url}`;
}

function resourceOf(access: { scope: Scope }, params: Record<string, string | undefined>): string {
  switch (access.scope) {
    case 'cluster':
    case 'database-list':
      return '*';
    case 'database':
    case 'table-list':
      return `${params.db ?? ''}.*`;
    case 'table':
      return `${params.db ?? ''}.${params.table ?? ''}`;
  }
}

/** The principal of a request, or a 401 (the header itself is never logged or echoed). */
export function authenticate(policy: AuthPolicy, header: string | undefined): Principal {
  if (header === undefined || header === '') {
    fail('UNAUTHENTICATED', 'this server requires authentication: send Authorization: Bearer <token>');
  }
  const m = BEARER.exec(header);
  if (!m) fail('UNAUTHENTICATED', 'the Authorization header must be "Bearer <token>"');
  const principal = findPrincipal(policy, m[1]!);
  if (!principal) fail('UNAUTHENTICATED', 'the bearer token is not valid (unknown, or revoked by an auth file reload)');
  return principal;
}

/** Throws FORBIDDEN naming principal, operation and resource unless the grant is there. */
export function authorize(principal: Principal, access: { operation: Operation; scope: Scope }, params: Record<string, string | undefined>): void {
  if (access.scope === 'database-list') return; // the reply is filtered instead
  if (access.scope === 'table-list') {
    const db = params.db ?? '';
    if (!seesDatabase(principal, db)) fail('FORBIDDEN', `principal '${principal.name}' may not ${access.operation} ${db}.*: it has no grant in database ${db}`);
    return;
  }
  const resource = resourceOf(access, params);
  if (!allows(principal, access.operation, resource)) fail('FORBIDDEN', `principal '${principal.name}' may not ${access.operation} ${resource}`);
}

/**
 * Attaches each route's access from ROUTE_ACCESS (refusing routes without one) and, with an auth
 * file, checks every request before its body is read. Call before registering routes.
 */
export function installAuth(app: FastifyInstance, auth: AuthFile | undefined): void {
  app.addHook('onRoute', (route: RouteOptions) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      const access = ROUTE_ACCESS[accessKey(method, route.url)];
      if (!access) throw new Error(`route ${method} ${route.url} has no entry in ROUTE_ACCESS (src/server/auth.ts); add one`);
      route.config = { ...(route.config ?? {}), access };
    }
  });
  app.decorateRequest('principal', null);
  if (!auth) return;
  app.addHook('onRequest', async (req: FastifyRequest) => {
    const access = req.routeOptions.config.access;
    if (access && 'public' in access) return;
    req.principal = authenticate(auth.policy, req.headers.authorization);
    // No access: no route matched. Authenticated callers get the 404; others got the 401 above.
    if (access) authorize(req.principal, access, req.params as Record<string, string | undefined>);
  });
}

/** For list replies: keeps what the principal may see; everything when authentication is off. */
export function visibleDatabases(req: FastifyRequest, names: readonly string[]): string[] {
  const p = req.principal;
  return p ? names.filter((db) => seesDatabase(p, db)) : [...names];
}

export function visibleTables(req: FastifyRequest, db: string, names: readonly string[]): string[] {
  const p = req.principal;
  return p ? names.filter((t) => seesTable(p, db, t)) : [...names];
}

export const WWW_AUTHENTICATE = 'Bearer realm="lakestream"';
