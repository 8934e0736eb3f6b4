import { describe, expect, it } from 'vitest';
import { Access } from '../../src/console/access.js';

describe('console access', () => {
  it('allows everything when the server runs without --auth-file', () => {
    const open = new Access({ authentication: false, principal: null, super: false, grants: [] });
    expect(open.needsToken).toBe(false);
    expect(open.mayReadMetrics).toBe(true);
    expect(open.mayTable('read', 'shop', 'events')).toBe(true);
  });

  it('asks for a token when the server has one and none was valid', () => {
    const nobody = new Access({ authentication: true, principal: null, super: false, grants: [] });
    expect(nobody.needsToken).toBe(true);
    expect(nobody.mayTable('describe', 'shop', 'events')).toBe(false);
  });

  it('applies the server\'s grant rules to the principal of /v1/whoami', () => {
    const viewer = new Access({ authentication: true, principal: 'viewer', super: false, grants: [{ resource: 'shop.*', operations: ['describe'] }, { resource: 'ops.audit', operations: ['read'] }] });
    expect(viewer.needsToken).toBe(false);
    expect(viewer.mayTable('describe', 'shop', 'events')).toBe(true);
    expect(viewer.mayTable('read', 'shop', 'events')).toBe(false);
    expect(viewer.mayTable('describe', 'ops', 'audit')).toBe(true);
    expect(viewer.mayReadMetrics).toBe(false);
    expect(viewer.refusal('read', 'shop.events')).toBe("Not permitted: principal 'viewer' may not read shop.events.");
    expect(new Access({ authentication: true, principal: 'admin', super: true, grants: [] }).mayReadMetrics).toBe(true);
  });
});
