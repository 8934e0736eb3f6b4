import { describe, expect, it } from 'vitest';
import { allows, isResourcePattern, OPERATIONS, resourceCovers, seesDatabase, seesTable, type Principal } from '../../src/common/grants.js';

const p = (grants: Principal['grants'], isSuper = false): Principal => ({ name: 'etl', super: isSuper, grants });

describe('grants: resource patterns', () => {
  it.each([
    ['*', '*', true],
    ['*', 'shop.*', true],
    ['*', 'shop.orders', true],
    ['shop.*', 'shop.*', true],
    ['shop.*', 'shop.orders', true],
    ['shop.*', 'shopping.orders', false],
    ['shop.*', 'shopping.*', false],
    ['shop.*', '*', false],
    ['shop.*', 'other.orders', false],
    ['shop.orders', 'shop.orders', true],
    ['shop.orders', 'shop.orders2', false],
    ['shop.orders', 'shop.*', false],
    ['shop.orders', '*', false],
  ])('%s covers %s: %s', (pattern, resource, expected) => {
    expect(resourceCovers(pattern, resource)).toBe(expected);
  });

  it('accepts only *, db.* and db.table as grant resources', () => {
    for (const ok of ['*', 'shop.*', 'shop.orders', 'a-b.c_d', '_x.9']) expect(isResourcePattern(ok)).toBe(true);
    for (const bad of ['', 'shop', '*.orders', 'shop.*.x', 'shop.or*', '-a.b', 'a.b.c', 'shop.', '.orders', ' shop.*']) expect(isResourcePattern(bad)).toBe(false);
  });
});

describe('grants: operations', () => {
  it('needs the operation and a covering resource in the same grant', () => {
    const etl = p([{ resource: 'shop.orders', operations: ['read'] }, { resource: 'shop.*', operations: ['write'] }]);
    expect(allows(etl, 'read', 'shop.orders')).toBe(true);
    expect(allows(etl, 'read', 'shop.users')).toBe(false);
    expect(allows(etl, 'write', 'shop.users')).toBe(true);
    expect(allows(etl, 'write', 'shop.*')).toBe(true);
    expect(allows(etl, 'create', 'shop.orders')).toBe(false);
    expect(allows(etl, 'write', 'other.orders')).toBe(false);
    expect(allows(etl, 'describe', '*')).toBe(false);
  });

  it('lets read and write imply describe of the same resource (as Kafka ACLs do), and nothing else', () => {
    const etl = p([{ resource: 'shop.*', operations: ['read', 'write'] }]);
    expect(allows(etl, 'describe', 'shop.events')).toBe(true);
    expect(allows(etl, 'describe', 'shop.*')).toBe(true);
    expect(allows(etl, 'describe', 'other.events')).toBe(false);
    expect(allows(etl, 'describe', '*')).toBe(false);
    const writer = p([{ resource: 'shop.orders', operations: ['write'] }]);
    expect(allows(writer, 'describe', 'shop.orders')).toBe(true);
    expect(allows(writer, 'read', 'shop.orders')).toBe(false);
    expect(allows(writer, 'describe', 'shop.users')).toBe(false);
    const describer = p([{ resource: 'shop.*', operations: ['describe'] }]);
    expect(allows(describer, 'read', 'shop.orders')).toBe(false);
    expect(allows(describer, 'write', 'shop.orders')).toBe(false);
    const creator = p([{ resource: 'shop.*', operations: ['create', 'drop'] }]);
    expect(allows(creator, 'describe', 'shop.orders')).toBe(false);
  });

  it('lets a super principal do everything', () => {
    const admin = p([], true);
    for (const op of OPERATIONS) for (const r of ['*', 'a.*', 'a.b']) expect(allows(admin, op, r)).toBe(true);
  });

  it('sees a database through any grant in it, and a table through any grant covering it', () => {
    const reader = p([{ resource: 'shop.orders', operations: ['read'] }]);
    expect(seesDatabase(reader, 'shop')).toBe(true);
    expect(seesDatabase(reader, 'other')).toBe(false);
    expect(seesTable(reader, 'shop', 'orders')).toBe(true);
    expect(seesTable(reader, 'shop', 'users')).toBe(false);
    const all = p([{ resource: '*', operations: ['describe'] }]);
    expect(seesDatabase(all, 'anything')).toBe(true);
    expect(seesTable(all, 'anything', 't')).toBe(true);
  });
});
