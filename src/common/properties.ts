import { fail } from './errors.js';
import type { Column, TableDefinition } from './schema.js';
import { parseDurationMs, parseSizeBytes } from './units.js';

/**
 * Every table property is declared here once, with its type, default and description. CREATE TABLE
 * validates against this list; the docs table in README is generated from it (`describeProperties`).
 * Names follow Fluss.
 */
type Kind =
  | { kind: 'size'; minBytes: number }
  | { kind: 'duration'; minMs: number }
  | { kind: 'enum'; values: readonly string[] }
  | { kind: 'boolean' }
  | { kind: 'integer'; min: number; max: number }
  | { kind: 'column' }
  | { kind: 'string' };

interface PropertySpec {
  readonly name: string;
  readonly default: string | undefined;
  /** The default instead of `default` for a table with table.datalake.enabled = true. */
  readonly lakeDefault?: string;
  readonly description: string;
  readonly type: Kind;
}

export const AGGREGATE_FUNCTIONS = [
  'sum', 'product', 'max', 'min', 'last_value', 'last_value_ignore_nulls', 'first_value',
  'first_value_ignore_nulls', 'listagg', 'bool_and', 'bool_or',
] as const;
export type AggregateFunction = (typeof AGGREGATE_FUNCTIONS)[number];

export const MERGE_ENGINES = ['last_row', 'first_row', 'versioned', 'aggregation'] as const;
export type MergeEngine = (typeof MERGE_ENGINES)[number];

export const PROPERTIES: readonly PropertySpec[] = [
  { name: 'table.log.segment.file-size', default: '1gb', description: 'roll the active log segment at this size', type: { kind: 'size', minBytes: 1024 } },
  { name: 'table.log.segment.roll-interval', default: '7d', lakeDefault: '1h', description: 'also roll the active log segment once its first batch is this old (at the next append or retention check), so table.log.ttl and tiering can drop a small table\'s data', type: { kind: 'duration', minMs: 1000 } },
  { name: 'table.log.ttl', default: '7d', description: 'delete closed log segments older than this (once tiered, when the lake is on, and once applied to the index, for primary-key tables)', type: { kind: 'duration', minMs: 1000 } },
  { name: 'table.log.compression', default: 'none', description: 'compression of stored record batches: none, lz4 or zstd', type: { kind: 'enum', values: ['none', 'lz4', 'zstd'] } },
  { name: 'table.log.index.interval-size', default: '4kb', description: 'bytes of log between two entries of the sparse offset and time indexes', type: { kind: 'size', minBytes: 1 } },
  { name: 'table.merge-engine', default: 'last_row', description: 'how a primary-key table merges a new row with the old: last_row, first_row, versioned, aggregation', type: { kind: 'enum', values: MERGE_ENGINES } },
  { name: 'table.merge-engine.versioned.ver-column', default: undefined, description: 'the int32, int64 or timestamp column that orders versions (versioned merge engine)', type: { kind: 'column' } },
  { name: 'table.changelog.image', default: 'FULL', description: 'FULL writes -U before-images, WAL does not', type: { kind: 'enum', values: ['FULL', 'WAL'] } },
  { name: 'table.delete.behavior', default: undefined, description: 'allow, ignore or disable deletes (default allow; ignore for first_row and aggregation)', type: { kind: 'enum', values: ['allow', 'ignore', 'disable'] } },
  { name: 'table.datalake.enabled', default: 'false', description: 'tier this table into the lake', type: { kind: 'boolean' } },
  { name: 'table.datalake.freshness', default: '30s', description: 'how often tiering runs for this table', type: { kind: 'duration', minMs: 1000 } },
  { name: 'table.datalake.file-size', default: '128mb', description: 'most log bytes tiered into one Parquet file', type: { kind: 'size', minBytes: 1024 } },
  { name: 'table.datalake.row-group-rows', default: '131072', description: 'rows per Parquet row group (min/max statistics are kept per row group)', type: { kind: 'integer', min: 1, max: 10_000_000 } },
  { name: 'table.datalake.compression', default: 'zstd', description: 'Parquet compression: zstd or snappy', type: { kind: 'enum', values: ['zstd', 'snappy'] } },
  { name: 'table.bucket.function', default: 'murmur3', description: "how rows find their bucket: murmur3 of the order-preserving bucket key, or kafka: Kafka's default partitioner (murmur2 of the record key: a Kafka topic's key bytes, else the key's canonical JSON), so standard Kafka producers pick the right partition", type: { kind: 'enum', values: ['murmur3', 'kafka'] } },
  { name: 'kafka.record-format', default: 'json', description: "what Kafka clients see of a row: json, a JSON object value (the Kafka JSON serializer's bytes), or raw, a Kafka record (the table has Kafka's columns key, value, headers, timestamp: set for topics created through Kafka)", type: { kind: 'enum', values: ['json', 'raw'] } },
  { name: 'table.datalake.compaction.interval', default: undefined, description: 'primary-key tables: rewrite each bucket into live rows this often (default: only on POST .../lake/compact)', type: { kind: 'duration', minMs: 1000 } },
];

const AGG_PROPERTY = /^fields\.([A-Za-z_][A-Za-z0-9_]*)\.agg$/;
const LISTAGG_DELIMITER = /^fields\.([A-Za-z_][A-Za-z0-9_]*)\.listagg\.delimiter$/;

function checkValue(spec: PropertySpec, value: string, def: TableDefinition): void {
  const t = spec.type;
  switch (t.kind) {
    case 'size':
      if (parseSizeBytes(value, spec.name) < t.minBytes) fail('INVALID_PROPERTY', `${spec.name} must be at least ${t.minBytes} bytes`);
      return;
    case 'duration':
      if (parseDurationMs(value, spec.name) < t.minMs) fail('INVALID_PROPERTY', `${spec.name} must be at least ${t.minMs} ms, got '${value}'`);
      return;
    case 'enum':
      if (!t.values.includes(value)) fail('INVALID_PROPERTY', `${spec.name} must be one of ${t.values.join(', ')}, got '${value}'`);
      return;
    case 'boolean':
      if (value !== 'true' && value !== 'false') fail('INVALID_PROPERTY', `${spec.name} must be true or false, got '${value}'`);
      return;
    case 'integer':
      if (!/^\d{1,10}$/.test(value) || Number(value) < t.min || Number(value) > t.max) fail('INVALID_PROPERTY', `${spec.name} must be an integer from ${t.min} to ${t.max}, got '${value}'`);
      return;
    case 'column':
      if (!def.columns.some((c) => c.name === value)) fail('INVALID_PROPERTY', `${spec.name} names '${value}', which is not a column of the table`);
      return;
    case 'string':
      return;
  }
}

function columnOf(def: TableDefinition, name: string, prop: string): Column {
  const col = def.columns.find((c) => c.name === name);
  if (!col) fail('INVALID_PROPERTY', `${prop} names column '${name}', which is not a column of the table`);
  return col;
}

/** Validates raw properties against the declared list and the table; returns them as strings. */
export function validateProperties(raw: Record<string, unknown>, def: TableDefinition): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, rawValue] of Object.entries(raw)) {
    if (typeof rawValue !== 'string' && typeof rawValue !== 'number' && typeof rawValue !== 'boolean') {
      fail('INVALID_PROPERTY', `property ${name} must be a string`);
    }
    const value = String(rawValue);
    const spec = PROPERTIES.find((p) => p.name === name);
    const agg = AGG_PROPERTY.exec(name);
    const delim = LISTAGG_DELIMITER.exec(name);
    if (spec) checkValue(spec, value, def);
    else if (agg) {
      const col = columnOf(def, agg[1]!, name);
      if (def.primaryKey.includes(col.name)) fail('INVALID_PROPERTY', `${name}: primary-key column '${col.name}' cannot be aggregated`);
      if (!(AGGREGATE_FUNCTIONS as readonly string[]).includes(value)) {
        fail('INVALID_PROPERTY', `${name}: unknown aggregate function '${value}'; use one of ${AGGREGATE_FUNCTIONS.join(', ')}`);
      }
    } else if (delim) columnOf(def, delim[1]!, name);
    else fail('INVALID_PROPERTY', `unknown table property '${name}'; known: ${PROPERTIES.map((p) => p.name).join(', ')}, fields.<column>.agg, fields.<column>.listagg.delimiter`);
    out[name] = value;
  }
  checkCombinations(out, def);
  return out;
}

function checkCombinations(props: Record<string, string>, def: TableDefinition): void {
  const isPk = def.primaryKey.length > 0;
  const engine = props['table.merge-engine'];
  const pkOnly = Object.keys(props).filter((k) => k.startsWith('table.merge-engine') || k.startsWith('fields.') || k === 'table.changelog.image' || k === 'table.delete.behavior' || k === 'table.datalake.compaction.interval');
  if (!isPk && pkOnly.length > 0) fail('INVALID_PROPERTY', `${pkOnly[0]} applies only to primary-key tables`);
  const verCol = props['table.merge-engine.versioned.ver-column'];
  if (engine === 'versioned') {
    if (!verCol) fail('INVALID_PROPERTY', 'the versioned merge engine needs table.merge-engine.versioned.ver-column');
    const col = columnOf(def, verCol, 'table.merge-engine.versioned.ver-column');
    if (!['int32', 'int64', 'timestamp'].includes(col.type)) {
      fail('INVALID_PROPERTY', `version column '${verCol}' must be int32, int64 or timestamp, not ${col.type}`);
    }
  } else if (verCol) fail('INVALID_PROPERTY', 'table.merge-engine.versioned.ver-column needs table.merge-engine = versioned');
  if (engine !== 'aggregation' && Object.keys(props).some((k) => k.startsWith('fields.'))) {
    fail('INVALID_PROPERTY', 'fields.<column>.agg properties need table.merge-engine = aggregation');
  }
  if (engine === 'first_row' && props['table.delete.behavior'] === 'allow') {
    fail('INVALID_PROPERTY', 'the first_row merge engine cannot allow deletes; use table.delete.behavior ignore or disable');
  }
  checkKafkaProperties(props, def);
  for (const [k, v] of Object.entries(props)) {
    const agg = AGG_PROPERTY.exec(k);
    if (!agg) continue;
    const col = columnOf(def, agg[1]!, k);
    const numeric = ['int8', 'int16', 'int32', 'int64', 'float32', 'float64'].includes(col.type);
    const ordered = numeric || ['string', 'date', 'timestamp'].includes(col.type);
    const ok = (v === 'sum' || v === 'product') ? numeric
      : (v === 'max' || v === 'min') ? ordered
        : v === 'listagg' ? col.type === 'string'
          : (v === 'bool_and' || v === 'bool_or') ? col.type === 'boolean' : true;
    if (!ok) fail('INVALID_PROPERTY', `${k}: ${v} cannot aggregate column '${col.name}' of type ${col.type}`);
  }
}

/** Kafka's columns, as a topic created through Kafka has them (and a raw-format table must). */
export const KAFKA_RECORD_COLUMNS: readonly Column[] = [
  { name: 'key', type: 'binary', nullable: true },
  { name: 'value', type: 'binary', nullable: true },
  { name: 'headers', type: 'binary', nullable: true },
  { name: 'timestamp', type: 'timestamp', nullable: false },
];

function checkKafkaProperties(props: Record<string, string>, def: TableDefinition): void {
  if (props['kafka.record-format'] === 'raw') {
    const same = def.columns.length === KAFKA_RECORD_COLUMNS.length
      && KAFKA_RECORD_COLUMNS.every((k, i) => def.columns[i]!.name === k.name && def.columns[i]!.type === k.type && (def.columns[i]!.nullable === k.nullable || k.name === 'key'));
    if (!same) fail('INVALID_PROPERTY', 'kafka.record-format = raw needs exactly the columns key binary, value binary, headers binary, timestamp timestamp (not null)');
    if (def.bucketKey.length > 0 && (def.bucketKey.length !== 1 || def.bucketKey[0] !== 'key')) fail('INVALID_PROPERTY', "a raw-format table's bucket key is 'key' or none");
  }
  if (props['table.bucket.function'] === 'kafka') {
    if (def.bucketKey.length === 0) fail('INVALID_PROPERTY', 'table.bucket.function = kafka needs a bucket key (a Kafka record key is what the partitioner hashes)');
    if (def.primaryKey.length > 0 && def.bucketKey.length !== def.primaryKey.length) {
      fail('INVALID_PROPERTY', 'table.bucket.function = kafka needs the bucket key to be the whole primary key: a Kafka record key is the whole primary key');
    }
  }
}

/** The effective value of a property: the table's own, else the declared default (the lake's, for a tiered table). */
export function property(def: Pick<TableDefinition, 'properties'>, name: string): string | undefined {
  const own = def.properties[name];
  if (own !== undefined) return own;
  const spec = PROPERTIES.find((p) => p.name === name);
  if (spec?.lakeDefault !== undefined && property(def, 'table.datalake.enabled') === 'true') return spec.lakeDefault;
  return spec?.default;
}

export function describeProperties(): string {
  const defaultOf = (p: PropertySpec): string => (p.lakeDefault === undefined ? p.default ?? '—' : `${p.default} (${p.lakeDefault} with table.datalake.enabled)`);
  const rows = PROPERTIES.map((p) => `| \`${p.name}\` | ${defaultOf(p)} | ${p.description} |`);
  return ['| property | default | meaning |', '| --- | --- | --- |', ...rows].join('\n');
}
