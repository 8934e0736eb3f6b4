import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { bucketRouter } from '../../src/common/bucket-router.js';
import { canonicalKeyJson } from '../../src/common/key-json.js';
import { encodeKey } from '../../src/common/key-encoding.js';
import { parseTableDefinition } from '../../src/common/schema.js';
import { KAFKA_RECORD_COLUMNS } from '../../src/common/properties.js';

const require = createRequire(import.meta.url);
/** kafkajs's default partitioner: Java-compatible murmur2, positive, mod partitions. */
const kafkajsMurmur2 = require('kafkajs/src/producer/partitioners/default/murmur2.js') as (key: Buffer) => number;
const kafkaPartition = (key: Buffer, n: number) => (kafkajsMurmur2(key) & 0x7fffffff) % n;

describe('canonical key JSON', () => {
  it('is the key columns in key order, without spaces, int64 as a number when safe', () => {
    const cols = [{ name: 'region', type: 'string', nullable: false }, { name: 'id', type: 'int64', nullable: false }] as const;
    expect(canonicalKeyJson(cols, { id: 7n, region: 'eu' })).toBe('{"region":"eu","id":7}');
    expect(canonicalKeyJson(cols, { id: 9007199254740993n, region: 'eu' })).toBe('{"region":"eu","id":"9007199254740993"}');
  });
});

describe('the kafka bucket function', () => {
  it('places a raw topic\'s keys where Kafka\'s default partitioner does', () => {
    const def = parseTableDefinition({ columns: KAFKA_RECORD_COLUMNS, primaryKey: ['key'], buckets: 7, properties: { 'kafka.record-format': 'raw', 'table.bucket.function': 'kafka' } });
    const router = bucketRouter(def);
    for (let i = 0; i < 500; i++) {
      const key = Buffer.from(`key-${i}-${'z'.repeat(i % 9)}`);
      expect(router.ofRow({ key: new Uint8Array(key) })).toBe(kafkaPartition(key, 7));
      expect(router.ofKey(encodeKey(router.keyColumns, [new Uint8Array(key)]))).toBe(kafkaPartition(key, 7));
    }
  });

  it('places an HTTP table\'s keys by the murmur2 of their canonical JSON', () => {
    const def = parseTableDefinition({
      columns: [{ name: 'id', type: 'int64' }, { name: 'name', type: 'string' }], primaryKey: ['id'], buckets: 4,
      properties: { 'table.bucket.function': 'kafka' },
    });
    const router = bucketRouter(def);
    for (let i = 0; i < 200; i++) expect(router.ofRow({ id: BigInt(i), name: 'x' })).toBe(kafkaPartition(Buffer.from(`{"id":${i}}`), 4));
  });

  it('needs a bucket key, and the whole primary key as it', () => {
    expect(() => parseTableDefinition({ columns: [{ name: 'a', type: 'int32' }], properties: { 'table.bucket.function': 'kafka' } })).toThrow(/needs a bucket key/);
    expect(() => parseTableDefinition({
      columns: [{ name: 'a', type: 'int32' }, { name: 'b', type: 'int32' }], primaryKey: ['a', 'b'], bucketKey: ['a'], properties: { 'table.bucket.function': 'kafka' },
    })).toThrow(/whole primary key/);
  });
});
