import { describe, expect, it } from 'vitest';
import { LakestreamError } from '../../../src/common/errors.js';
import { property } from '../../../src/common/properties.js';
import { kafkaTopicDefinition, tableOfTopic, topicConfigs, topicOfTable } from '../../../src/kafka/broker/topics.js';

const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return (e as LakestreamError).code;
  }
  return 'none';
};

describe('topic names', () => {
  it('maps db.table and bare names (database kafka) both ways', () => {
    expect(tableOfTopic('orders')).toEqual({ db: 'kafka', table: 'orders' });
    expect(tableOfTopic('shop.orders')).toEqual({ db: 'shop', table: 'orders' });
    expect(topicOfTable('kafka', 'orders')).toBe('orders');
    expect(topicOfTable('shop', 'orders')).toBe('shop.orders');
  });

  it('refuses names that cannot be a table, and lakestream\'s own database', () => {
    for (const bad of ['', 'a.b.c', '.x', 'x.', 'sp ace', 'x'.repeat(250), '_lakestream.kafka_group_offsets']) {
      expect(code(() => tableOfTopic(bad)), bad).toBe('INVALID_NAME');
    }
  });
});

describe('topics created through Kafka', () => {
  it('are raw log tables; compact makes a primary-key table partitioned as Kafka does', () => {
    const log = kafkaTopicDefinition('t', { partitions: 3, configs: new Map() });
    expect(log.columns.map((c) => `${c.name}:${c.type}`)).toEqual(['key:binary', 'value:binary', 'headers:binary', 'timestamp:timestamp']);
    expect(log.primaryKey).toEqual([]);
    expect(log.buckets).toBe(3);
    expect(property(log, 'kafka.record-format')).toBe('raw');
    const compact = kafkaTopicDefinition('t', { partitions: 4, configs: new Map([['cleanup.policy', 'compact']]) });
    expect(compact.primaryKey).toEqual(['key']);
    expect(compact.bucketKey).toEqual(['key']);
    expect(property(compact, 'table.bucket.function')).toBe('kafka');
    expect(topicConfigs(compact)['cleanup.policy']).toBe('compact');
  });

  it('maps Kafka configs onto table properties and passes table.* through', () => {
    const def = kafkaTopicDefinition('t', { partitions: 1, configs: new Map([['retention.ms', '60000'], ['segment.bytes', '1048576'], ['table.datalake.enabled', 'true']]) });
    expect(def.properties).toMatchObject({ 'table.log.ttl': '60000ms', 'table.log.segment.file-size': '1048576b', 'table.datalake.enabled': 'true' });
  });

  it('refuses what it cannot honour, as a config error', () => {
    expect(code(() => kafkaTopicDefinition('t', { partitions: 0, configs: new Map() }))).toBe('INVALID_BUCKETS');
    expect(code(() => kafkaTopicDefinition('t', { partitions: 1, configs: new Map([['cleanup.policy', 'compact,delete']]) }))).toBe('INVALID_PROPERTY');
    expect(code(() => kafkaTopicDefinition('t', { partitions: 1, configs: new Map([['message.timestamp.type', 'LogAppendTime']]) }))).toBe('INVALID_PROPERTY');
    expect(code(() => kafkaTopicDefinition('t', { partitions: 1, configs: new Map([['retention.ms', 'soon']]) }))).toBe('INVALID_PROPERTY');
  });
});
