/**
 * Golden bytes from an outside source: kafkajs 2.2.4's encoders write requests we decode, and its
 * decoders read responses we encode, for every (api, version) kafkajs has and we serve.
 */
import { describe, expect, test } from 'vitest';
import { decodedFromKafkajs, kafkajsRecordBatch, readByKafkajs, versions } from './kafkajs.js';

describe('kafkajs golden', () => {
  test('kafkajs golden: ApiVersions v0-2', async () => {
    for (const v of versions(18, 2)) {
      const req = await decodedFromKafkajs('apiVersions', 18, v, {});
      expect(req.body).toEqual({ clientSoftwareName: '', clientSoftwareVersion: '' });
      const apiKeys = [{ apiKey: 0, minVersion: 3, maxVersion: 7 }, { apiKey: 18, minVersion: 0, maxVersion: 3 }];
      const res = await readByKafkajs('apiVersions', 18, v, { errorCode: 0, apiKeys, throttleTimeMs: 9 });
      expect(res).toMatchObject({ errorCode: 0, apiVersions: apiKeys });
      if (v >= 1) expect(res.throttleTime + (res.clientSideThrottleTime ?? 0)).toBe(9);
    }
  });

  test('kafkajs golden: Metadata v0-6', async () => {
    for (const v of versions(3, 6)) {
      const req = await decodedFromKafkajs('metadata', 3, v, { topics: ['orders', 'users'], allowAutoTopicCreation: false });
      expect(req.body).toMatchObject({ topics: [{ name: 'orders' }, { name: 'users' }] });
      if (req.apiKey === 3) expect(req.body.allowAutoTopicCreation).toBe(v < 4);
      const res = await readByKafkajs('metadata', 3, v, {
        throttleTimeMs: 0, clusterId: 'cluster-1', controllerId: 1,
        brokers: [{ nodeId: 1, host: 'localhost', port: 9092, rack: 'r1' }],
        topics: [{
          errorCode: 0, name: 'orders', isInternal: false,
          partitions: [{ errorCode: 0, partitionIndex: 0, leaderId: 1, leaderEpoch: 5, replicaNodes: [1], isrNodes: [1], offlineReplicas: [] }],
        }],
      });
      expect(res.brokers).toMatchObject([{ nodeId: 1, host: 'localhost', port: 9092, ...(v >= 1 ? { rack: 'r1' } : {}) }]);
      expect(res.topicMetadata).toMatchObject([{ topicErrorCode: 0, topic: 'orders', partitionMetadata: [{ partitionId: 0, leader: 1, replicas: [1], isr: [1] }] }]);
      if (v >= 1) expect(res.controllerId).toBe(1);
      if (v >= 2) expect(res.clusterId).toBe('cluster-1');
    }
  });

  test('kafkajs golden: Produce v3-7', async () => {
    // v0-2 are served only to refuse their magic 0/1 message sets (produce.ts).
    for (const v of versions(0, 7).filter((v) => v >= 3)) {
      const req = await decodedFromKafkajs('produce', 0, v, {
        acks: -1, timeout: 30000, transactionalId: null,
        topicData: [{ topic: 'orders', partitions: [{ partition: 2, messages: [{ key: 'k', value: 'v', timestamp: 1700000000000 }] }] }],
      });
      if (req.apiKey !== 0) throw new Error('not produce');
      expect(req.body).toMatchObject({ transactionalId: null, acks: -1, timeoutMs: 30000 });
      const partition = req.body.topicData[0]!.partitionData[0]!;
      expect(req.body.topicData[0]!.name).toBe('orders');
      expect(partition.index).toBe(2);
      const records = partition.records!;
      // A record batch: baseOffset int64, batchLength int32 (the rest), partitionLeaderEpoch, magic 2.
      expect(new DataView(records.buffer, records.byteOffset).getInt32(8)).toBe(records.byteLength - 12);
      expect(records[16]).toBe(2);
      const res = await readByKafkajs('produce', 0, v, {
        responses: [{ name: 'orders', partitionResponses: [{ index: 2, errorCode: 0, baseOffset: 41n, logAppendTimeMs: -1n, logStartOffset: 3n }] }],
        throttleTimeMs: 0,
      });
      expect(res.topics).toMatchObject([{ topicName: 'orders', partitions: [{ partition: 2, errorCode: 0, baseOffset: '41', logAppendTime: '-1' }] }]);
      if (v >= 5) expect(res.topics[0].partitions[0].logStartOffset).toBe('3');
    }
  });

  test('kafkajs golden: Fetch v4-11', async () => {
    const batch = await kafkajsRecordBatch(['hello', 'world'], 1700000000000);
    for (const v of versions(1, 11)) {
      const req = await decodedFromKafkajs('fetch', 1, v, {
        replicaId: -1, maxWaitTime: 500, minBytes: 1, maxBytes: 1048576, isolationLevel: 1,
        topics: [{ topic: 'orders', partitions: [{ partition: 0, fetchOffset: '12', maxBytes: 65536 }] }],
        rackId: 'rack-a',
      });
      if (req.apiKey !== 1) throw new Error('not fetch');
      expect(req.body).toMatchObject({ replicaId: -1, maxWaitMs: 500, minBytes: 1, maxBytes: 1048576, isolationLevel: 1 });
      expect(req.body.topics).toMatchObject([{ topic: 'orders', partitions: [{ partition: 0, fetchOffset: 12n, partitionMaxBytes: 65536 }] }]);
      if (v >= 7) expect(req.body).toMatchObject({ sessionId: 0, sessionEpoch: -1, forgottenTopicsData: [] });
      expect(req.body.rackId).toBe(v >= 11 ? 'rack-a' : '');
      const res = await readByKafkajs('fetch', 1, v, {
        throttleTimeMs: 0, errorCode: 0, sessionId: 0,
        responses: [{
          topic: 'orders',
          partitions: [{ partitionIndex: 0, errorCode: 0, highWatermark: 14n, lastStableOffset: 14n, logStartOffset: 0n, abortedTransactions: null, records: batch }],
        }],
      });
      const p = res.responses[0].partitions[0];
      expect(res.responses[0].topicName).toBe('orders');
      expect(p).toMatchObject({ partition: 0, errorCode: 0, highWatermark: '14', lastStableOffset: '14' });
      expect(p.messages.map((m: { value: Buffer }) => m.value.toString())).toEqual(['hello', 'world']);
    }
  });

  test('kafkajs golden: ListOffsets v1-3', async () => {
    for (const v of versions(2, 3)) {
      const req = await decodedFromKafkajs('listOffsets', 2, v, {
        replicaId: -1, isolationLevel: 1, topics: [{ topic: 'orders', partitions: [{ partition: 1, timestamp: -2 }] }],
      });
      expect(req.body).toMatchObject({ replicaId: -1, topics: [{ name: 'orders', partitions: [{ partitionIndex: 1, timestamp: -2n }] }] });
      if (req.apiKey === 2) expect(req.body.isolationLevel).toBe(v >= 2 ? 1 : 0);
      const res = await readByKafkajs('listOffsets', 2, v, {
        throttleTimeMs: 0, topics: [{ name: 'orders', partitions: [{ partitionIndex: 1, errorCode: 0, timestamp: -1n, offset: 99n }] }],
      });
      expect(res.responses).toEqual([{ topic: 'orders', partitions: [{ partition: 1, errorCode: 0, timestamp: '-1', offset: '99' }] }]);
    }
  });

  test('kafkajs golden: CreateTopics v0-3', async () => {
    for (const v of versions(19, 3)) {
      const req = await decodedFromKafkajs('createTopics', 19, v, {
        topics: [{ topic: 'orders', numPartitions: 3, replicationFactor: 1, configEntries: [{ name: 'retention.ms', value: '1000' }] }],
        validateOnly: true, timeout: 7000,
      });
      expect(req.body).toEqual({
        topics: [{ name: 'orders', numPartitions: 3, replicationFactor: 1, assignments: [], configs: [{ name: 'retention.ms', value: '1000' }] }],
        timeoutMs: 7000, validateOnly: v >= 1,
      });
      const res = await readByKafkajs('createTopics', 19, v, { throttleTimeMs: 0, topics: [{ name: 'orders', errorCode: 36, errorMessage: 'exists' }] });
      expect(res.topicErrors).toEqual([{ topic: 'orders', errorCode: 36, ...(v >= 1 ? { errorMessage: 'exists' } : {}) }]);
    }
  });

  test('kafkajs golden: DeleteTopics v0-1', async () => {
    for (const v of versions(20, 1)) {
      const req = await decodedFromKafkajs('deleteTopics', 20, v, { topics: ['a', 'b'], timeout: 3000 });
      expect(req.body).toEqual({ topicNames: ['a', 'b'], timeoutMs: 3000 });
      const res = await readByKafkajs('deleteTopics', 20, v, { throttleTimeMs: 0, responses: [{ name: 'a', errorCode: 0 }, { name: 'b', errorCode: 3 }] });
      expect(res.topicErrors).toEqual([{ topic: 'a', errorCode: 0 }, { topic: 'b', errorCode: 3 }]);
    }
  });

  test('kafkajs golden: DescribeConfigs v0-2', async () => {
    for (const v of versions(32, 2)) {
      const req = await decodedFromKafkajs('describeConfigs', 32, v, {
        resources: [{ type: 2, name: 'orders', configNames: ['retention.ms'] }], includeSynonyms: true,
      });
      expect(req.body).toEqual({
        resources: [{ resourceType: 2, resourceName: 'orders', configurationKeys: ['retention.ms'] }], includeSynonyms: v >= 1,
      });
      const res = await readByKafkajs('describeConfigs', 32, v, {
        throttleTimeMs: 0,
        results: [{
          errorCode: 0, errorMessage: null, resourceType: 2, resourceName: 'orders',
          configs: [{ name: 'retention.ms', value: '1000', readOnly: false, isDefault: false, configSource: 1, isSensitive: false, synonyms: [] }],
        }],
      });
      expect(res.resources).toMatchObject([{
        errorCode: 0, errorMessage: null, resourceType: 2, resourceName: 'orders',
        configEntries: [{ configName: 'retention.ms', configValue: '1000', readOnly: false, isDefault: false, isSensitive: false }],
      }]);
      if (v >= 1) expect(res.resources[0].configEntries[0].configSource).toBe(1);
    }
  });

  test('kafkajs golden: InitProducerId v0-1', async () => {
    for (const v of versions(22, 1)) {
      const req = await decodedFromKafkajs('initProducerId', 22, v, { transactionalId: null, transactionTimeout: 30000 });
      expect(req.body).toEqual({ transactionalId: null, transactionTimeoutMs: 30000 });
      const res = await readByKafkajs('initProducerId', 22, v, { throttleTimeMs: 0, errorCode: 0, producerId: 1234567890123n, producerEpoch: 2 });
      expect(res).toMatchObject({ errorCode: 0, producerId: '1234567890123', producerEpoch: 2 });
    }
  });

  test('kafkajs golden: SaslHandshake v0-1 and SaslAuthenticate v0-1', async () => {
    for (const v of versions(17, 1)) {
      const req = await decodedFromKafkajs('saslHandshake', 17, v, { mechanism: 'PLAIN' });
      expect(req.body).toEqual({ mechanism: 'PLAIN' });
      const res = await readByKafkajs('saslHandshake', 17, v, { errorCode: 0, mechanisms: ['PLAIN', 'SCRAM-SHA-256'] });
      expect(res).toEqual({ errorCode: 0, enabledMechanisms: ['PLAIN', 'SCRAM-SHA-256'] });
    }
    for (const v of versions(36, 1)) {
      // kafkajs's SASL mechanisms hand SaslAuthenticate their bytes with the int32 length already on.
      const auth = Buffer.from('\0user\0secret');
      const sized = Buffer.concat([Buffer.from([0, 0, 0, auth.length]), auth]);
      const req = await decodedFromKafkajs('saslAuthenticate', 36, v, { authBytes: sized });
      if (req.apiKey !== 36) throw new Error('not sasl');
      expect(Buffer.from(req.body.authBytes).toString()).toBe('\0user\0secret');
      const res = await readByKafkajs('saslAuthenticate', 36, v, { errorCode: 58, errorMessage: 'bad password', authBytes: new Uint8Array(0), sessionLifetimeMs: 0n });
      expect(res).toMatchObject({ errorCode: 58, errorMessage: 'bad password' });
    }
  });
});
