/**
 * Topics over the server's catalog and table store: find a topic's table, create one (CreateTopics,
 * or auto-creation when a client asks for or produces to a topic that does not exist), drop one.
 * DDL runs through the server's one DDL queue, as HTTP's does, so the catalog and the table folders
 * change together.
 */
import { LakestreamError } from '../../common/errors.js';
import type { ServerContext } from '../../server/context.js';
import type { TableRuntime } from '../../server/table-store.js';
import { kafkaTopicDefinition, SYSTEM_DATABASE, tableOfTopic, topicOfTable, type TopicRequest } from './topics.js';

export interface TopicStoreOptions {
  readonly autoCreate: boolean;
  readonly defaultPartitions: number;
}

export class TopicStore {
  constructor(private readonly ctx: ServerContext, readonly options: TopicStoreOptions, private readonly log: { info(o: object, m: string): void }) {}

  /** The open table of a topic, or undefined when there is none. Throws INVALID_NAME for a name that cannot be a table. */
  find(topic: string): TableRuntime | undefined {
    const { db, table } = tableOfTopic(topic);
    try {
      return this.ctx.tables.get(db, table);
    } catch (err) {
      if (err instanceof LakestreamError && (err.code === 'TABLE_NOT_FOUND' || err.code === 'DATABASE_NOT_FOUND')) return undefined;
      throw err;
    }
  }

  /** Every topic: every table outside lakestream's own database, by topic name. */
  all(): { topic: string; table: TableRuntime }[] {
    return this.ctx.tables.all()
      .filter((t) => t.database !== SYSTEM_DATABASE)
      .map((t) => ({ topic: topicOfTable(t.database, t.name), table: t }))
      .sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : 0));
  }

  /** Creates the topic's table (and its database); TABLE_EXISTS if it is there already. */
  async create(topic: string, req: TopicRequest, validateOnly = false): Promise<TableRuntime | undefined> {
    const { db, table } = tableOfTopic(topic);
    const definition = kafkaTopicDefinition(topic, req);
    if (validateOnly) {
      if (this.find(topic)) throw new LakestreamError('TABLE_EXISTS', `topic '${topic}' exists`);
      return undefined;
    }
    this.ctx.disk.admitWrite();
    const runtime = await this.ctx.ddl(async () => {
      await this.ctx.catalog.createDatabase(db, true);
      const { entry } = await this.ctx.catalog.createTable(db, table, definition, false);
      return this.ctx.tables.open(entry);
    });
    this.log.info({ topic, table: `${db}.${table}`, partitions: definition.buckets, kind: definition.primaryKey.length > 0 ? 'compacted' : 'log' }, 'kafka: created topic');
    return runtime;
  }

  /** The topic's table, auto-created (when that is on) with the default partition count. */
  async findOrCreate(topic: string): Promise<TableRuntime | undefined> {
    const found = this.find(topic);
    if (found || !this.options.autoCreate) return found;
    try {
      return await this.create(topic, { partitions: this.options.defaultPartitions, configs: new Map() });
    } catch (err) {
      // Two clients auto-creating one topic at once: the second finds the first's table.
      if (err instanceof LakestreamError && err.code === 'TABLE_EXISTS') return this.find(topic);
      throw err;
    }
  }

  async drop(topic: string): Promise<void> {
    const { db, table } = tableOfTopic(topic);
    await this.ctx.ddl(async () => {
      const id = await this.ctx.catalog.dropTable(db, table);
      await this.ctx.tables.drop(id);
    });
    this.log.info({ topic }, 'kafka: deleted topic');
  }
}
