import { describe, expect, it } from 'vitest';
import { LakestreamError } from '../../src/common/errors.js';
import { OPERATIONS, type Principal } from '../../src/common/grants.js';
import { authenticate, authorize, findPrincipal, parseAuthFile, ROUTE_ACCESS } from '../../src/server/auth.js';

const p = (grants: Principal['grants'], isSuper = false): Principal => ({ name: 'etl', super: isSuper, grants });

function refusal(fn: () => unknown): LakestreamError {
  try {
    fn();
  } catch (e) {
    if (e instanceof LakestreamError) return e;
    throw e;
  }
  throw new Error('expected a refusal');
}

describe('auth: authorization', () => {
  it('names principal, operation and resource when it forbids', () => {
    const reader = p([{ resource: 'shop.orders', operations: ['read'] }]);
    const e = refusal(() => authorize(reader, { operation: 'write', scope: 'table' }, { db: 'shop', table: 'orders' }));
    expect(e.code).toBe('FORBIDDEN');
    expect(e.message).toBe("principal 'etl' may not write shop.orders");
    expect(refusal(() => authorize(reader, { operation: 'create', scope: 'database' }, { db: 'shop' })).message).toContain('may not create shop.*');
    expect(refusal(() => authorize(reader, { operation: 'describe', scope: 'cluster' }, {})).message).toContain('may not describe *');
    expect(refusal(() => authorize(reader, { operation: 'describe', scope: 'table-list' }, { db: 'other' })).code).toBe('FORBIDDEN');
    authorize(reader, { operation: 'read', scope: 'table' }, { db: 'shop', table: 'orders' });
    authorize(reader, { operation: 'describe', scope: 'table-list' }, { db: 'shop' });
    authorize(reader, { operation: 'describe', scope: 'database-list' }, {});
  });

  it('maps every route to a known operation', () => {
    for (const [route, access] of Object.entries(ROUTE_ACCESS)) {
      expect(route).toMatch(/^(GET|PUT|POST|DELETE) \//);
      if ('public' in access) expect(['GET /v1/health', 'GET /v1/whoami', 'GET /console', 'GET /console/', 'GET /console/*']).toContain(route);
      else expect(OPERATIONS).toContain(access.operation);
    }
    expect(ROUTE_ACCESS['POST /v1/databases/:db/tables/:table/append']).toEqual({ operation: 'write', scope: 'table' });
    expect(ROUTE_ACCESS['POST /v1/databases/:db/tables/:table/lookup']).toEqual({ operation: 'read', scope: 'table' });
    expect(ROUTE_ACCESS['PUT /v1/databases/:db']).toEqual({ operation: 'create', scope: 'database' });
    expect(ROUTE_ACCESS['GET /v1/metrics/recent']).toEqual(ROUTE_ACCESS['GET /metrics']);
  });
});

const TOKEN_A = 'aaaaaaaaaaaaaaaa-token';
const TOKEN_B = 'bbbbbbbbbbbbbbbb-token';
const good = {
  tokens: {
    [TOKEN_A]: { principal: 'etl', grants: [{ resource: 'shop.*', operations: ['read', 'write'] }] },
    [TOKEN_B]: { principal: 'admin', super: true },
  },
};

describe('auth: the auth file', () => {
  it('parses tokens into principals and keeps only hashes', () => {
    const policy = parseAuthFile(JSON.stringify(good), 'auth.json');
    expect(policy.entries).toHaveLength(2);
    expect(JSON.stringify(policy)).not.toContain(TOKEN_A);
    expect(findPrincipal(policy, TOKEN_A)).toMatchObject({ name: 'etl', super: false, grants: [{ resource: 'shop.*', operations: ['read', 'write'] }] });
    expect(findPrincipal(policy, TOKEN_B)).toMatchObject({ name: 'admin', super: true, grants: [] });
    expect(findPrincipal(policy, TOKEN_A.slice(0, -1))).toBeUndefined();
    expect(findPrincipal(policy, '')).toBeUndefined();
  });

  const cases: [string, unknown, RegExp][] = [
    ['not JSON', '{"tokens": {', /not valid JSON/],
    ['an array', [], /expected a JSON object/],
    ['an unknown top-level key', { tokens: {}, extra: 1 }, /unknown top-level key 'extra'/],
    ['no tokens', { tokens: {} }, /"tokens" is empty/],
    ['tokens not an object', { tokens: [] }, /"tokens" must be an object/],
    ['a short token', { tokens: { short: { principal: 'x', super: true } } }, /token #1 \(principal 'x'\): the token is shorter than 16/],
    ['a token with a space', { tokens: { 'has a space in it!!': { principal: 'x', super: true } } }, /printable ASCII without spaces/],
    ['no principal', { tokens: { [TOKEN_A]: { super: true } } }, /token #1: "principal" must be a non-empty string/],
    ['an unknown key', { tokens: { [TOKEN_A]: { principal: 'x', supper: true } } }, /unknown key 'supper'/],
    ['super not boolean', { tokens: { [TOKEN_A]: { principal: 'x', super: 'yes' } } }, /"super" must be true or false/],
    ['no grants', { tokens: { [TOKEN_A]: { principal: 'x' } } }, /"grants" is missing/],
    ['empty grants', { tokens: { [TOKEN_A]: { principal: 'x', grants: [] } } }, /"grants" is empty/],
    ['a bad resource', { tokens: { [TOKEN_A]: { principal: 'x', grants: [{ resource: 'shop', operations: ['read'] }] } } }, /grant #1: "resource" must be "\*", "<db>\.\*" or "<db>\.<table>", got "shop"/],
    ['an unknown operation', { tokens: { [TOKEN_A]: { principal: 'x', grants: [{ resource: '*', operations: ['admin'] }] } } }, /unknown operation "admin"/],
    ['no operations', { tokens: { [TOKEN_A]: { principal: 'x', grants: [{ resource: '*', operations: [] }] } } }, /"operations" must be a non-empty array/],
    ['an unknown grant key', { tokens: { [TOKEN_A]: { principal: 'x', grants: [{ resource: '*', operations: ['read'], ops: 1 }] } } }, /unknown key 'ops'/],
  ];
  it.each(cases)('refuses %s with a message naming the problem and never the token', (_what, doc, message) => {
    const e = refusal(() => parseAuthFile(typeof doc === 'string' ? doc : JSON.stringify(doc), '/etc/auth.json'));
    expect(e.code).toBe('INVALID_PARAMETER');
    expect(e.message).toMatch(/^auth file \/etc\/auth\.json: /);
    expect(e.message).toMatch(message);
    expect(e.message).not.toContain(TOKEN_A);
  });

  it('does not echo the file when JSON.parse would quote it', () => {
    const text = `{"tokens": {"${TOKEN_A}": {"principal": "x", "super": true}} oops}`;
    const e = refusal(() => parseAuthFile(text, 'a.json'));
    expect(e.message).toContain('not valid JSON');
    expect(e.message).not.toContain(TOKEN_A);
  });

  it('names the second entry by position and principal', () => {
    const doc = { tokens: { [TOKEN_A]: { principal: 'ok', super: true }, [TOKEN_B]: { principal: 'etl', grants: [{ resource: '*', operations: ['fly'] }] } } };
    expect(refusal(() => parseAuthFile(JSON.stringify(doc), 'a.json')).message).toContain("token #2 (principal 'etl'), grant #1: unknown operation \"fly\"");
  });
});

describe('auth: the Authorization header', () => {
  const policy = parseAuthFile(JSON.stringify(good), 'auth.json');

  it('accepts "Bearer <token>" in any case of the scheme', () => {
    expect(authenticate(policy, `Bearer ${TOKEN_A}`).name).toBe('etl');
    expect(authenticate(policy, `bearer ${TOKEN_B}`).name).toBe('admin');
    expect(authenticate(policy, `BEARER  ${TOKEN_B} `).name).toBe('admin');
  });

  it.each([
    [undefined, /requires authentication/],
    ['', /requires authentication/],
    [`Basic ${TOKEN_A}`, /must be "Bearer <token>"/],
    ['Bearer', /must be "Bearer <token>"/],
    [`Bearer ${TOKEN_A} extra`, /must be "Bearer <token>"/],
    ['Bearer wrong-token-wrong-token', /not valid/],
  ])('refuses %j with 401', (header, message) => {
    const e = refusal(() => authenticate(policy, header));
    expect(e.code).toBe('UNAUTHENTICATED');
    expect(e.status).toBe(401);
    expect(e.message).toMatch(message);
    expect(e.message).not.toContain(TOKEN_A);
  });
});
