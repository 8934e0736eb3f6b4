import { describe, expect, it } from 'vitest';
import { hrefOf, parseRoute, type Route } from '../../src/console/routes.js';

describe('console routes', () => {
  it('round-trips every page through its address, names escaped', () => {
    const routes: Route[] = [{ page: 'overview' }, { page: 'health' }, { page: 'consumers' }, { page: 'table', db: 'shop', table: 'events' }, { page: 'table', db: 'a-b', table: 'x_y/%z' }];
    for (const r of routes) expect(parseRoute(hrefOf(r))).toEqual(r);
    expect(hrefOf({ page: 'table', db: 'shop', table: 'a/b' })).toBe('#/tables/shop/a%2Fb');
  });

  it('sends anything else to the overview', () => {
    for (const hash of ['', '#', '#/', '#/nope', '#/tables/shop', '#/tables/%E0%A4%A/x', '#/health/x']) expect(parseRoute(hash)).toEqual({ page: 'overview' });
  });
});
