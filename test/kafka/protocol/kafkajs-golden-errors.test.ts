/**
 * Golden bytes from kafkajs 2.2.4 for the APIs lakestream answers only with errors (partitions
 * cannot be added to a table; there are no transactions): the requests must still decode and the
 * error responses must reach the client intact.
 */
import { describe, expect, test } from 'vitest';
import { KafkaError } from '../../../src/kafka/protocol/error-codes.js';
import { decodedFromKafkajs, readByKafkajs, versions } from './kafkajs.js';

const TXN = { transactionalId: 'tx-1', producerId: '77', producerEpoch: 2 };

describe('kafkajs golden: error-only apis', () => {
  test('kafkajs golden: CreatePartitions v0-1', async () => {
    for (const v of versions(37, 1)) {
      const req = await decodedFromKafkajs('createPartitions', 37, v, { topicPartitions: [{ topic: 'orders', count: 6 }], validateOnly: true, timeout: 1000 });
      // kafkajs writes an empty nullable array as null.
      expect(req.body).toEqual({ topics: [{ name: 'orders', count: 6, assignments: null }], timeoutMs: 1000, validateOnly: true });
      const res = await readByKafkajs('createPartitions', 37, v, {
        throttleTimeMs: 0, results: [{ name: 'orders', errorCode: KafkaError.INVALID_PARTITIONS, errorMessage: 'fixed' }],
      });
      expect(res.topicErrors).toEqual([{ topic: 'orders', errorCode: 37, errorMessage: 'fixed' }]);
    }
  });

  test('kafkajs golden: AddPartitionsToTxn v0-1', async () => {
    for (const v of versions(24, 1)) {
      const req = await decodedFromKafkajs('addPartitionsToTxn', 24, v, { ...TXN, topics: [{ topic: 'orders', partitions: [0, 1] }] });
      expect(req.body).toEqual({
        v3AndBelowTransactionalId: 'tx-1', v3AndBelowProducerId: 77n, v3AndBelowProducerEpoch: 2,
        v3AndBelowTopics: [{ name: 'orders', partitions: [0, 1] }],
      });
      const res = await readByKafkajs('addPartitionsToTxn', 24, v, {
        throttleTimeMs: 0,
        resultsByTopicV3AndBelow: [{ name: 'orders', resultsByPartition: [{ partitionIndex: 0, partitionErrorCode: 53 }, { partitionIndex: 1, partitionErrorCode: 53 }] }],
      });
      expect(res.errors).toEqual([{ topic: 'orders', partitionErrors: [{ partition: 0, errorCode: 53 }, { partition: 1, errorCode: 53 }] }]);
    }
  });

  test('kafkajs golden: AddOffsetsToTxn v0-1 and EndTxn v0-1', async () => {
    for (const v of versions(25, 1)) {
      const req = await decodedFromKafkajs('addOffsetsToTxn', 25, v, { ...TXN, groupId: 'g1' });
      expect(req.body).toEqual({ transactionalId: 'tx-1', producerId: 77n, producerEpoch: 2, groupId: 'g1' });
      const res = await readByKafkajs('addOffsetsToTxn', 25, v, { throttleTimeMs: 0, errorCode: 53 });
      expect(res).toMatchObject({ errorCode: 53 });
    }
    for (const v of versions(26, 1)) {
      const req = await decodedFromKafkajs('endTxn', 26, v, { ...TXN, transactionResult: true });
      expect(req.body).toEqual({ transactionalId: 'tx-1', producerId: 77n, producerEpoch: 2, committed: true });
      const res = await readByKafkajs('endTxn', 26, v, { throttleTimeMs: 0, errorCode: 53 });
      expect(res).toMatchObject({ errorCode: 53 });
    }
  });

  test('kafkajs golden: TxnOffsetCommit v0-1', async () => {
    for (const v of versions(28, 1)) {
      const req = await decodedFromKafkajs('txnOffsetCommit', 28, v, {
        ...TXN, groupId: 'g1', topics: [{ topic: 'orders', partitions: [{ partition: 0, offset: '5', metadata: null }] }],
      });
      expect(req.body).toEqual({
        transactionalId: 'tx-1', groupId: 'g1', producerId: 77n, producerEpoch: 2,
        topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, committedOffset: 5n, committedLeaderEpoch: -1, committedMetadata: null }] }],
      });
      const res = await readByKafkajs('txnOffsetCommit', 28, v, { throttleTimeMs: 0, topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, errorCode: 53 }] }] });
      expect(res.topics).toEqual([{ topic: 'orders', partitions: [{ partition: 0, errorCode: 53 }] }]);
    }
  });
});
