import type * as A from 'apache-arrow';
import { decodeUtf8 } from './arrow.js';
import { columnOfData, stringsAreUtf8, type ColumnBuffers } from './arrow-columns.js';
import { canonicalKeyBytes } from './key-json.js';
import { ArrowKeyEncoder, decodeKey, encodedRowKey, keyPrefixLength, murmur3_32 } from './key-encoding.js';
import { murmur2, toPositive } from './murmur2.js';
import { property } from './properties.js';
import type { Column, TableDefinition } from './schema.js';
import { keyEncodingOrder } from './schema.js';
import type { Row, Value } from './values.js';

/** A hash of an encoded bucket key to an unsigned 32-bit integer; the bucket is it modulo the bucket count. */
export type BucketHash = (encodedBucketKey: Uint8Array) => number;

/**
 * Kafka's default partitioner over what a Kafka client sends as the record key: the `key` bytes of a
 * raw-format table (a topic created through Kafka), else the canonical key JSON (key-json.ts).
 */
function kafkaRowHash(def: TableDefinition, bucketKeyColumns: readonly Column[]): (row: Row) => number {
  if (property(def, 'kafka.record-format') === 'raw') return (row) => toPositive(murmur2(row.key as Uint8Array));
  return (row) => toPositive(murmur2(canonicalKeyBytes(bucketKeyColumns, row)));
}

/** The same hash of an encoded bucket key (the primary-key paths route encoded keys). */
function kafkaHash(rowHash: (row: Row) => number, bucketKeyColumns: readonly Column[]): BucketHash {
  return (encoded) => {
    const values = decodeKey(bucketKeyColumns, encoded);
    const row: Row = {};
    bucketKeyColumns.forEach((c, i) => { row[c.name] = values[i] as Value; });
    return rowHash(row);
  };
}

/**
 * Where a table's rows and keys go: `hash(encoded bucket key) mod buckets`, with the hash the
 * table's `table.bucket.function` names (murmur3 by default, as every table before Kafka; kafka for
 * Kafka's partitioner). The one place that resolves the bucket-key and primary-key columns, for the
 * log and the primary-key write paths alike.
 */
export class BucketRouter {
  readonly buckets: number;
  /** The bucket-key columns, in bucket-key order. */
  readonly bucketKeyColumns: readonly Column[];
  /** The primary-key columns in key-encoding order (bucket key first); none for a log table. */
  readonly keyColumns: readonly Column[];
  private readonly hash: BucketHash;
  /** Kafka's partitioner hashes a row's record key, not its order-preserving encoding: no key is encoded to route a row. */
  private readonly rowHash: ((row: Row) => number) | undefined;

  constructor(def: TableDefinition) {
    const named = (names: readonly string[]) => names.map((n) => def.columns.find((c) => c.name === n)!);
    this.buckets = def.buckets;
    this.bucketKeyColumns = named(def.bucketKey);
    this.keyColumns = named(def.primaryKey.length > 0 ? keyEncodingOrder(def) : []);
    this.rowHash = property(def, 'table.bucket.function') === 'kafka' ? kafkaRowHash(def, this.bucketKeyColumns) : undefined;
    this.hash = this.rowHash ? kafkaHash(this.rowHash, this.bucketKeyColumns) : (bytes) => murmur3_32(bytes, 0);
  }

  /** Whether rows are routed by key; without a bucket key a request goes to one bucket round-robin. */
  get keyed(): boolean {
    return this.bucketKeyColumns.length > 0;
  }

  /** How keys are placed, in words for a refusal (a Kafka producer must place keys the same way). */
  describeHash(): string {
    return this.rowHash
      ? "Kafka's default partitioner (murmur2 of the record key)"
      : "lakestream's murmur3 of the order-preserving key, which Kafka partitioners do not compute (a table created with table.bucket.function = kafka uses Kafka's)";
  }

  /** The bucket of an encoded bucket key. */
  ofBucketKey(encoded: Uint8Array): number {
    return this.buckets === 1 ? 0 : this.hash(encoded) % this.buckets;
  }

  /** The bucket of a row (or of a prefix-lookup prefix: any object holding the bucket-key columns). */
  ofRow(row: Row): number {
    if (this.buckets === 1) return 0;
    if (this.rowHash) return this.rowHash(row) % this.buckets;
    return this.ofBucketKey(encodedRowKey(this.bucketKeyColumns, row));
  }

  /** The bucket of an encoded primary key: its bucket-key columns come first, so their encoding is a prefix of it. */
  ofKey(key: Uint8Array): number {
    if (this.buckets === 1) return 0;
    const n = this.bucketKeyColumns.length;
    return this.ofBucketKey(n === this.keyColumns.length ? key : key.subarray(0, keyPrefixLength(this.keyColumns, key, n)));
  }

  /**
   * The bucket of every row of a batch conformed to the table (`conformBatch`), hashed straight from
   * the Arrow buffers of its bucket-key columns (ArrowKeyEncoder: no row, no value made): row i gets
   * the bucket `ofRow` gives it as a row, and a null or an over-long key is refused as there.
   */
  bucketsOfBatch(batch: A.RecordBatch): Uint16Array {
    const n = batch.numRows;
    const out = new Uint16Array(n);
    if (this.buckets === 1 || n === 0) return out;
    const cols = this.bucketKeyColumns;
    const columns = cols.map((c) => hashedAsRowsAre(c, columnOfData(c.type, batch.getChild(c.name)!.data[0]!), n));
    const encoder = new ArrowKeyEncoder(cols, columns.map((c) => c.buffers), n, columns.map((c) => (c.nullCount > 0 ? c.buffers[0] : undefined)));
    for (let i = 0; i < n; i++) out[i] = this.ofBucketKey(encoder.encoded(i));
    return out;
  }

  /** Splits rows by bucket, each bucket's rows in request order. */
  splitRows(rows: readonly Row[]): Map<number, Row[]> {
    const out = new Map<number, Row[]>();
    for (const row of rows) {
      const b = this.ofRow(row);
      let list = out.get(b);
      if (!list) out.set(b, (list = []));
      list.push(row);
    }
    return out;
  }
}

/**
 * A key column's buffers as the row path hashes them. A row holds a string decoded from its bytes,
 * with bytes that are not UTF-8 turned into U+FFFD, and the key encodes that string: so a string
 * column that is not all UTF-8 (rare, a client's bug) is hashed from its values decoded and
 * encoded again, keeping each row in the bucket it has always had. The row itself is stored as sent.
 */
function hashedAsRowsAre(c: Column, col: ColumnBuffers, n: number): ColumnBuffers {
  if (c.type !== 'string') return col;
  const [validity, offsets, data] = col.buffers as [Uint8Array, Uint8Array, Uint8Array];
  const view = new DataView(offsets.buffer, offsets.byteOffset, offsets.byteLength);
  if (stringsAreUtf8(data, view, n)) return col;
  const encoder = new TextEncoder();
  const values = Array.from({ length: n }, (_, i) => encoder.encode(decodeUtf8(data.subarray(view.getInt32(i * 4, true), view.getInt32(i * 4 + 4, true)))));
  const repaired = new Int32Array(n + 1);
  values.forEach((v, i) => (repaired[i + 1] = repaired[i]! + v.length));
  return { nullCount: col.nullCount, buffers: [validity, new Uint8Array(repaired.buffer), Buffer.concat(values)] };
}

const ROUTERS = new WeakMap<TableDefinition, BucketRouter>();

/** The router of a table definition, made once per definition. */
export function bucketRouter(def: TableDefinition): BucketRouter {
  let router = ROUTERS.get(def);
  if (!router) ROUTERS.set(def, (router = new BucketRouter(def)));
  return router;
}
