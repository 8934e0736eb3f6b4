import { describe, expect, it } from 'vitest';
import { RouteMethods } from '../../src/server/route-methods.js';

describe('route methods', () => {
  const routes = new RouteMethods();
  for (const [method, url] of [['GET', '/v1/databases/:db'], ['PUT', '/v1/databases/:db'], ['DELETE', '/v1/databases/:db'], ['post', '/v1/databases/:db/tables/:table/append'], ['GET', '/v1/health']]) routes.add(method!, url!);

  it('lists the methods of every pattern the path matches, sorted, ignoring the query', () => {
    expect(routes.allowed('/v1/databases/shop?ifNotExists=true')).toEqual(['DELETE', 'GET', 'PUT']);
    expect(routes.allowed('/v1/databases/shop/tables/events/append')).toEqual(['POST']);
    expect(routes.allowed('/v1/health')).toEqual(['GET']);
  });

  it('matches a parameter with one non-empty segment only', () => {
    expect(routes.allowed('/v1/databases/')).toEqual([]);
    expect(routes.allowed('/v1/databases/a/b')).toEqual([]);
    expect(routes.allowed('/v2/health')).toEqual([]);
  });
});
