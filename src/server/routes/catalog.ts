import type { FastifyInstance } from 'fastify';
import { parseTableDefinition } from '../../common/schema.js';
import { visibleDatabases, visibleTables } from '../auth.js';
import { describeTable } from '../catalog.js';
import type { ServerContext } from '../context.js';
import { boolParam } from '../http-params.js';

type DbParams = { db: string };
type TableParams = { db: string; table: string };
type Query = Record<string, string | undefined>;

export function catalogRoutes(app: FastifyInstance, ctx: ServerContext): void {
  app.get('/v1/databases', async (req) => ({ databases: visibleDatabases(req, ctx.catalog.listDatabases()) }));

  app.put<{ Params: DbParams; Querystring: Query }>('/v1/databases/:db', async (req, reply) => {
    ctx.disk.admitWrite();
    const created = await ctx.ddl(() => ctx.catalog.createDatabase(req.params.db, boolParam(req.query.ifNotExists, 'ifNotExists')));
    return reply.status(created ? 201 : 200).send({ name: req.params.db, created });
  });

  app.get<{ Params: DbParams }>('/v1/databases/:db', async (req) => {
    ctx.catalog.requireDatabase(req.params.db);
    return { name: req.params.db, tables: visibleTables(req, req.params.db, ctx.catalog.listTables(req.params.db)) };
  });

  app.delete<{ Params: DbParams; Querystring: Query }>('/v1/databases/:db', async (req) => {
    const dropped = await ctx.ddl(async () => {
      const ids = await ctx.catalog.dropDatabase(req.params.db, boolParam(req.query.cascade, 'cascade'));
      for (const id of ids) await ctx.tables.drop(id);
      return ids.length;
    });
    return { name: req.params.db, droppedTables: dropped };
  });

  app.get<{ Params: DbParams }>('/v1/databases/:db/tables', async (req) => ({ tables: visibleTables(req, req.params.db, ctx.catalog.listTables(req.params.db)) }));

  app.put<{ Params: TableParams; Querystring: Query }>('/v1/databases/:db/tables/:table', async (req, reply) => {
    const definition = parseTableDefinition(req.body);
    const ifNotExists = boolParam(req.query.ifNotExists, 'ifNotExists');
    ctx.disk.admitWrite();
    const { entry, created } = await ctx.ddl(async () => {
      const result = await ctx.catalog.createTable(req.params.db, req.params.table, definition, ifNotExists);
      if (result.created) await ctx.tables.open(result.entry);
      return result;
    });
    return reply.status(created ? 201 : 200).send({ ...describeTable(entry), created });
  });

  app.get<{ Params: TableParams }>('/v1/databases/:db/tables/:table', async (req) => describeTable(ctx.catalog.getTable(req.params.db, req.params.table)));

  app.delete<{ Params: TableParams }>('/v1/databases/:db/tables/:table', async (req) => {
    await ctx.ddl(async () => {
      const id = await ctx.catalog.dropTable(req.params.db, req.params.table);
      await ctx.tables.drop(id);
    });
    return { database: req.params.db, name: req.params.table, dropped: true };
  });
}
