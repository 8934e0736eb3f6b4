/**
 * Produced Kafka records become a table's rows. A raw-format table (a topic created through Kafka)
 * takes each record as it is: key, value, headers (the record's header section, verbatim), and the
 * client's timestamp. Any other table takes each value as a JSON row of its schema (the Kafka JSON
 * serializer's bytes). Of a primary-key table a record upserts, and a null value (a tombstone)
 * deletes its key. A keyed table refuses a record on a partition that is not its key's bucket, naming
 * the right one: its readers find a key by its bucket.
 */
import { bucketRouter } from '../../common/bucket-router.js';
import { fail } from '../../common/errors.js';
import { rowFromJson } from '../../common/json-values.js';
import { tableKind, type Column, type TableDefinition } from '../../common/schema.js';
import type { Row } from '../../common/values.js';
import { topicFormat } from './topics.js';

/** One record as produced (record-batch.ts decodes them). */
export interface ProducedRecord {
  readonly timestamp: number;
  readonly key: Uint8Array | null;
  readonly value: Uint8Array | null;
  readonly headers: Uint8Array | null;
}

export interface ProducedRows {
  readonly rows: Row[];
  /** Primary-key tables: which rows delete their key (tombstones). */
  readonly deletes: boolean[];
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** The rows of one partition's records; throws INVALID_VALUE/INVALID_KEY naming the first bad record. */
export function producedRows(def: TableDefinition, partition: number, records: readonly ProducedRecord[]): ProducedRows {
  const primaryKey = tableKind(def) === 'primary-key';
  const raw = topicFormat(def) === 'raw';
  const rows: Row[] = new Array(records.length);
  const deletes: boolean[] = new Array(records.length);
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    deletes[i] = primaryKey && r.value === null;
    rows[i] = raw ? rawRow(primaryKey, r, i) : jsonRow(def, primaryKey, r, i);
  }
  checkPartition(def, partition, rows);
  return { rows, deletes };
}

function rawRow(primaryKey: boolean, r: ProducedRecord, i: number): Row {
  if (primaryKey && r.key === null) fail('MISSING_KEY', `record ${i} has no key: a compacted topic keeps the latest value per key, so every record needs one`);
  return { key: r.key, value: r.value, headers: r.headers, timestamp: r.timestamp };
}

function jsonRow(def: TableDefinition, primaryKey: boolean, r: ProducedRecord, i: number): Row {
  if (r.value === null) {
    if (!primaryKey) fail('INVALID_VALUE', `record ${i} has a null value: a log table's records are JSON rows of its columns (${columnList(def.columns)})`);
    if (r.key === null) fail('MISSING_KEY', `record ${i} is a tombstone without a key: a delete needs the primary key as JSON`);
    const key = parseJson(r.key, i, 'key');
    return rowFromJson(def.columns, key, i, { only: def.primaryKey, required: def.primaryKey });
  }
  const value = parseJson(r.value, i, 'value');
  return rowFromJson(def.columns, value, i, primaryKey ? { required: def.primaryKey } : {});
}

function parseJson(bytes: Uint8Array, i: number, what: 'key' | 'value'): unknown {
  try {
    return JSON.parse(UTF8.decode(bytes));
  } catch {
    return fail('INVALID_VALUE', `record ${i}: the ${what} is not JSON; this table takes JSON objects of its columns as values (the Kafka JSON serializer's bytes)`);
  }
}

function columnList(columns: readonly Column[]): string {
  return columns.map((c) => `${c.name} ${c.type}`).join(', ');
}

function checkPartition(def: TableDefinition, partition: number, rows: readonly Row[]): void {
  const router = bucketRouter(def);
  if (!router.keyed || router.buckets === 1) return;
  for (let i = 0; i < rows.length; i++) {
    const right = router.ofRow(rows[i]!);
    if (right !== partition) {
      fail('INVALID_KEY', `record ${i} belongs on partition ${right}, not ${partition}: this topic places keys with ${router.describeHash()}; use a partitioner that does the same (librdkafka: partitioner=murmur2_random)`);
    }
  }
}
