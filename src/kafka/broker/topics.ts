/**
 * Topics are tables. Topic `db.table` is table `table` of database `db`; a name without a dot is
 * table `name` of database `kafka`. Partitions are buckets. A topic created through Kafka is a log
 * table with Kafka's own columns (key, value, headers, timestamp: `kafka.record-format = raw`); with
 * `cleanup.policy=compact` it is a primary-key table keyed by `key`, partitioned as Kafka's default
 * partitioner does (`table.bucket.function = kafka`), so a standard producer writes each key to its
 * bucket.
 */
import { fail, LakestreamError } from '../../common/errors.js';
import { KAFKA_RECORD_COLUMNS, property } from '../../common/properties.js';
import { BUCKETS_MAX, parseTableDefinition, tableKind, validateEntityName, type TableDefinition } from '../../common/schema.js';

/** The database of topics whose name has no dot. */
export const KAFKA_DATABASE = 'kafka';
/** lakestream's own tables (committed group offsets); not topics. */
export const SYSTEM_DATABASE = '_lakestream';
/** Kafka's own limit on topic names. */
const TOPIC_NAME_CHARS_MAX = 249;

export interface TableName {
  readonly db: string;
  readonly table: string;
}

/** The table a topic names; throws INVALID_TOPIC (Kafka's INVALID_TOPIC_EXCEPTION) for a name that cannot be one. */
export function tableOfTopic(topic: string): TableName {
  if (topic.length === 0 || topic.length > TOPIC_NAME_CHARS_MAX) fail('INVALID_NAME', `topic name must be 1-${TOPIC_NAME_CHARS_MAX} characters`);
  const dot = topic.indexOf('.');
  const [db, table] = dot < 0 ? [KAFKA_DATABASE, topic] : [topic.slice(0, dot), topic.slice(dot + 1)];
  if (db === SYSTEM_DATABASE) fail('INVALID_NAME', `topic '${topic}': database ${SYSTEM_DATABASE} holds lakestream's own tables, not topics`);
  try {
    validateEntityName('database', db);
    validateEntityName('table', table);
  } catch (err) {
    if (err instanceof LakestreamError) {
      fail('INVALID_NAME', `topic '${topic.slice(0, 200)}' names no table: use <table> (database ${KAFKA_DATABASE}) or <database>.<table>, each 1-128 letters, digits, '_' or '-'`);
    }
    throw err;
  }
  return { db, table };
}

/** The topic name a table is listed under. */
export function topicOfTable(db: string, table: string): string {
  return db === KAFKA_DATABASE ? table : `${db}.${table}`;
}

export type TopicFormat = 'raw' | 'json';

export function topicFormat(def: TableDefinition): TopicFormat {
  return property(def, 'kafka.record-format') === 'raw' ? 'raw' : 'json';
}

/** Kafka topic configs lakestream understands at CreateTopics; others are refused with INVALID_CONFIG. */
const CONFIG_PROPERTIES: Readonly<Record<string, (v: string) => [string, string] | undefined>> = {
  'cleanup.policy': () => undefined,
  'retention.ms': (v) => (v === '-1' ? ['table.log.ttl', '36500d'] : ['table.log.ttl', `${v}ms`]),
  'segment.bytes': (v) => ['table.log.segment.file-size', `${v}b`],
  'segment.ms': (v) => ['table.log.segment.roll-interval', `${v}ms`],
  'compression.type': (v) => (v === 'lz4' || v === 'zstd' ? ['table.log.compression', v] : undefined),
  // Accepted so that tools which always send them work; the log's own durability rules apply.
  'min.insync.replicas': () => undefined,
  'max.message.bytes': () => undefined,
};

export interface TopicRequest {
  readonly partitions: number;
  readonly configs: ReadonlyMap<string, string>;
}

/** The definition of a table created through Kafka (CreateTopics or auto-creation). */
export function kafkaTopicDefinition(topic: string, req: TopicRequest): TableDefinition {
  if (!Number.isInteger(req.partitions) || req.partitions < 1 || req.partitions > BUCKETS_MAX) {
    fail('INVALID_BUCKETS', `topic '${topic}': partitions must be 1 to ${BUCKETS_MAX}, got ${req.partitions}`);
  }
  const policy = req.configs.get('cleanup.policy') ?? 'delete';
  if (policy !== 'delete' && policy !== 'compact') fail('INVALID_PROPERTY', `topic '${topic}': cleanup.policy must be delete or compact, got '${policy}'`);
  const properties: Record<string, string> = { 'kafka.record-format': 'raw' };
  for (const [name, value] of req.configs) {
    // lakestream's own table properties pass through (e.g. table.datalake.enabled to tier the topic).
    if (name.startsWith('table.')) {
      properties[name] = value;
      continue;
    }
    const map = CONFIG_PROPERTIES[name];
    if (!map) fail('INVALID_PROPERTY', `topic '${topic}': config ${name} is not supported; supported: ${Object.keys(CONFIG_PROPERTIES).join(', ')} and lakestream's table.* properties`);
    if (name !== 'cleanup.policy' && name !== 'compression.type' && !/^-?\d+$/.test(value)) fail('INVALID_PROPERTY', `topic '${topic}': config ${name} must be an integer, got '${value}'`);
    const mapped = map(value);
    if (mapped) properties[mapped[0]] = mapped[1];
  }
  const compact = policy === 'compact';
  if (compact) properties['table.bucket.function'] = 'kafka';
  return parseTableDefinition({
    columns: KAFKA_RECORD_COLUMNS,
    buckets: req.partitions,
    ...(compact ? { primaryKey: ['key'] } : {}),
    properties,
  });
}

/** Kafka's view of a table's configs (DescribeConfigs). */
export function topicConfigs(def: TableDefinition): Record<string, string> {
  return {
    'cleanup.policy': tableKind(def) === 'primary-key' ? 'compact' : 'delete',
    'compression.type': property(def, 'table.log.compression') === 'none' ? 'producer' : property(def, 'table.log.compression')!,
    'lakestream.record-format': topicFormat(def),
    'lakestream.bucket-function': property(def, 'table.bucket.function')!,
  };
}
