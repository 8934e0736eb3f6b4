import { describe, expect, it } from 'vitest';
import { missingTableOf, quoteTableReferences, unknownTableReference } from '../../src/query/table-references.js';

const known = [{ database: 'shop', name: 'my-table' }, { database: 'shop', name: 'my-table-2' }, { database: 'shop', name: 'events' }, { database: 'q-1', name: 'x' }];

describe('table references in a query', () => {
  it('quotes db.table names holding a dash, outside strings and quoted names, longest first', () => {
    expect(quoteTableReferences('SELECT count(*) FROM shop.my-table', known)).toBe('SELECT count(*) FROM "shop"."my-table"');
    expect(quoteTableReferences('SELECT * FROM shop.my-table-2 JOIN q-1.x USING (id)', known)).toBe('SELECT * FROM "shop"."my-table-2" JOIN "q-1"."x" USING (id)');
    expect(quoteTableReferences("SELECT 'shop.my-table' AS s FROM \"shop\".\"my-table\"", known)).toBe("SELECT 'shop.my-table' AS s FROM \"shop\".\"my-table\"");
    expect(quoteTableReferences('SELECT * FROM shop.events', known)).toBe('SELECT * FROM shop.events');
  });

  it('finds a FROM or JOIN of a db.table the server does not have', () => {
    expect(unknownTableReference('SELECT * FROM shop.events', known)).toBeUndefined();
    expect(unknownTableReference('select * from shop.nope', known)).toEqual({ database: 'shop', name: 'nope' });
    expect(unknownTableReference('SELECT * FROM shop.events e JOIN other.t ON true', known)).toEqual({ database: 'other', name: 't' });
    expect(unknownTableReference('SELECT * FROM "shop"."my-table"', known)).toBeUndefined();
    expect(unknownTableReference('SELECT * FROM shop.my-table', known)).toBeUndefined();
    expect(unknownTableReference("SELECT 'FROM a.b' AS s FROM shop.events", known)).toBeUndefined();
    expect(unknownTableReference('SELECT * FROM information_schema.tables', known)).toBeUndefined();
  });

  it('names the table of a DuckDB catalog error, with its database from the query', () => {
    expect(missingTableOf('Catalog Error: Table with name "shop.x" does not exist because schema "shop" does not exist.', '')).toBe('shop.x');
    expect(missingTableOf('Catalog Error: Table with name nope does not exist!\nDid you mean "users"?', 'SELECT * FROM q.nope')).toBe('q.nope');
    expect(missingTableOf('Catalog Error: Table with name nope does not exist!', 'SELECT * FROM nope')).toBe('nope');
    expect(missingTableOf('Parser Error: syntax error at or near "SELEC"', 'SELEC 1')).toBeUndefined();
  });
});
