/** Golden bytes from kafkajs 2.2.4 for the consumer group APIs (see kafkajs-golden.test.ts). */
import { describe, expect, test } from 'vitest';
import { decodedFromKafkajs, readByKafkajs, versions } from './kafkajs.js';

const text = (b: Uint8Array) => Buffer.from(b).toString();

describe('kafkajs golden: groups', () => {
  test('kafkajs golden: FindCoordinator v0-2', async () => {
    for (const v of versions(10, 2)) {
      const req = await decodedFromKafkajs('findCoordinator', 10, v, { groupId: 'g1', coordinatorKey: 'g1', coordinatorType: 1 });
      expect(req.body).toEqual({ key: 'g1', keyType: v >= 1 ? 1 : 0 });
      const res = await readByKafkajs('findCoordinator', 10, v, { throttleTimeMs: 0, errorCode: 0, errorMessage: null, nodeId: 1, host: 'localhost', port: 9092 });
      expect(res).toMatchObject({ errorCode: 0, coordinator: { nodeId: 1, host: 'localhost', port: 9092 } });
    }
  });

  test('kafkajs golden: JoinGroup v0-5', async () => {
    for (const v of versions(11, 5)) {
      const req = await decodedFromKafkajs('joinGroup', 11, v, {
        groupId: 'g1', sessionTimeout: 30000, rebalanceTimeout: 60000, memberId: '', groupInstanceId: 'static-1',
        protocolType: 'consumer', groupProtocols: [{ name: 'RoundRobinAssigner', metadata: Buffer.from('meta') }],
      });
      if (req.apiKey !== 11) throw new Error('not join');
      expect(req.body).toMatchObject({
        groupId: 'g1', sessionTimeoutMs: 30000, rebalanceTimeoutMs: v >= 1 ? 60000 : -1, memberId: '',
        groupInstanceId: v >= 5 ? 'static-1' : null, protocolType: 'consumer',
      });
      expect(req.body.protocols.map((p) => [p.name, text(p.metadata)])).toEqual([['RoundRobinAssigner', 'meta']]);
      const res = await readByKafkajs('joinGroup', 11, v, {
        throttleTimeMs: 0, errorCode: 0, generationId: 3, protocolName: 'RoundRobinAssigner', leader: 'm-1', memberId: 'm-1',
        members: [{ memberId: 'm-1', groupInstanceId: 'static-1', metadata: Buffer.from('meta') }],
      });
      expect(res).toMatchObject({ errorCode: 0, generationId: 3, groupProtocol: 'RoundRobinAssigner', leaderId: 'm-1', memberId: 'm-1' });
      expect(res.members.map((m: { memberId: string; memberMetadata: Buffer }) => [m.memberId, m.memberMetadata.toString()])).toEqual([['m-1', 'meta']]);
      if (v >= 5) expect(res.members[0].groupInstanceId).toBe('static-1');
    }
  });

  test('kafkajs golden: SyncGroup v0-3', async () => {
    for (const v of versions(14, 3)) {
      const req = await decodedFromKafkajs('syncGroup', 14, v, {
        groupId: 'g1', generationId: 3, memberId: 'm-1', groupInstanceId: null, groupAssignment: [{ memberId: 'm-1', memberAssignment: Buffer.from('asg') }],
      });
      if (req.apiKey !== 14) throw new Error('not sync');
      expect(req.body).toMatchObject({ groupId: 'g1', generationId: 3, memberId: 'm-1', groupInstanceId: null });
      expect(req.body.assignments.map((a) => [a.memberId, text(a.assignment)])).toEqual([['m-1', 'asg']]);
      const res = await readByKafkajs('syncGroup', 14, v, { throttleTimeMs: 0, errorCode: 0, assignment: Buffer.from('asg') });
      expect(res.errorCode).toBe(0);
      expect(res.memberAssignment.toString()).toBe('asg');
    }
  });

  test('kafkajs golden: Heartbeat v0-3', async () => {
    for (const v of versions(12, 3)) {
      const req = await decodedFromKafkajs('heartbeat', 12, v, { groupId: 'g1', groupGenerationId: 3, memberId: 'm-1', groupInstanceId: null });
      expect(req.body).toEqual({ groupId: 'g1', generationId: 3, memberId: 'm-1', groupInstanceId: null });
      const res = await readByKafkajs('heartbeat', 12, v, { throttleTimeMs: 0, errorCode: 27 });
      expect(res.errorCode).toBe(27);
    }
  });

  test('kafkajs golden: LeaveGroup v0-3', async () => {
    for (const v of versions(13, 3)) {
      const req = await decodedFromKafkajs('leaveGroup', 13, v, { groupId: 'g1', memberId: 'm-1', members: [{ memberId: 'm-1' }] });
      expect(req.body).toEqual(v >= 3
        ? { groupId: 'g1', memberId: '', members: [{ memberId: 'm-1', groupInstanceId: null }] }
        : { groupId: 'g1', memberId: 'm-1', members: [] });
      const res = await readByKafkajs('leaveGroup', 13, v, { throttleTimeMs: 0, errorCode: 0, members: [{ memberId: 'm-1', groupInstanceId: null, errorCode: 0 }] });
      expect(res.errorCode).toBe(0);
      if (v >= 3) expect(res.members).toEqual([{ memberId: 'm-1', groupInstanceId: null, errorCode: 0 }]);
    }
  });

  test('kafkajs golden: OffsetCommit v0-5', async () => {
    for (const v of versions(8, 5)) {
      const req = await decodedFromKafkajs('offsetCommit', 8, v, {
        groupId: 'g1', groupGenerationId: 3, memberId: 'm-1', retentionTime: 86400000,
        topics: [{ topic: 'orders', partitions: [{ partition: 0, offset: '42', timestamp: 1700000000000, metadata: null }] }],
      });
      if (req.apiKey !== 8) throw new Error('not commit');
      expect(req.body).toMatchObject({
        groupId: 'g1', generationIdOrMemberEpoch: v >= 1 ? 3 : -1, memberId: v >= 1 ? 'm-1' : '',
        retentionTimeMs: v >= 2 && v <= 4 ? 86400000n : -1n,
      });
      expect(req.body.topics).toEqual([{
        name: 'orders',
        partitions: [{ partitionIndex: 0, committedOffset: 42n, committedLeaderEpoch: -1, commitTimestamp: v === 1 ? 1700000000000n : -1n, committedMetadata: null }],
      }]);
      const res = await readByKafkajs('offsetCommit', 8, v, { throttleTimeMs: 0, topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, errorCode: 0 }] }] });
      expect(res.responses).toEqual([{ topic: 'orders', partitions: [{ partition: 0, errorCode: 0 }] }]);
    }
  });

  test('kafkajs golden: OffsetFetch v1-4', async () => {
    for (const v of versions(9, 4)) {
      const req = await decodedFromKafkajs('offsetFetch', 9, v, { groupId: 'g1', topics: [{ topic: 'orders', partitions: [{ partition: 0 }, { partition: 1 }] }] });
      expect(req.body).toEqual({ groupId: 'g1', topics: [{ name: 'orders', partitionIndexes: [0, 1] }] });
      const res = await readByKafkajs('offsetFetch', 9, v, {
        throttleTimeMs: 0, errorCode: 0,
        topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, committedOffset: 42n, metadata: '', errorCode: 0 }, { partitionIndex: 1, committedOffset: -1n, metadata: null, errorCode: 0 }] }],
      });
      expect(res.responses).toEqual([{ topic: 'orders', partitions: [
        { partition: 0, offset: '42', metadata: '', errorCode: 0 }, { partition: 1, offset: '-1', metadata: null, errorCode: 0 },
      ] }]);
      if (v >= 2) expect(res.errorCode).toBe(0);
    }
  });

  test('kafkajs golden: ListGroups v0-2', async () => {
    for (const v of versions(16, 2)) {
      const req = await decodedFromKafkajs('listGroups', 16, v, {});
      expect(req.body).toEqual({});
      const res = await readByKafkajs('listGroups', 16, v, { throttleTimeMs: 0, errorCode: 0, groups: [{ groupId: 'g1', protocolType: 'consumer' }] });
      expect(res).toMatchObject({ errorCode: 0, groups: [{ groupId: 'g1', protocolType: 'consumer' }] });
    }
  });

  test('kafkajs golden: DescribeGroups v0-2', async () => {
    for (const v of versions(15, 2)) {
      const req = await decodedFromKafkajs('describeGroups', 15, v, { groupIds: ['g1', 'g2'] });
      expect(req.body).toEqual({ groups: ['g1', 'g2'], includeAuthorizedOperations: false });
      const res = await readByKafkajs('describeGroups', 15, v, {
        throttleTimeMs: 0,
        groups: [{
          errorCode: 0, groupId: 'g1', groupState: 'Stable', protocolType: 'consumer', protocolData: 'RoundRobinAssigner',
          members: [{ memberId: 'm-1', clientId: 'c', clientHost: '/127.0.0.1', memberMetadata: Buffer.from('md'), memberAssignment: Buffer.from('as') }],
        }],
      });
      expect(res.groups).toMatchObject([{ errorCode: 0, groupId: 'g1', state: 'Stable', protocolType: 'consumer', protocol: 'RoundRobinAssigner' }]);
      expect(res.groups[0].members).toMatchObject([{ memberId: 'm-1', clientId: 'c', clientHost: '/127.0.0.1' }]);
    }
  });
});
