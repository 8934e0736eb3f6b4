/** OffsetCommit (key 8): a group's committed offsets. */
import { api, array, message, type RequestOf, type ResponseOf } from '../schema.js';

export const offsetCommit = api(8, 'OffsetCommit',
  message('OffsetCommitRequest', '0-7', '8+', [
    { name: 'groupId', type: 'string', versions: '0+' },
    { name: 'generationIdOrMemberEpoch', type: 'int32', versions: '1+', default: -1 },
    { name: 'memberId', type: 'string', versions: '1+' },
    { name: 'groupInstanceId', type: 'string', versions: '7+', nullable: '7+', default: null },
    { name: 'retentionTimeMs', type: 'int64', versions: '2-4', default: -1 },
    { name: 'topics', type: array([
      { name: 'name', type: 'string', versions: '0+' },
      { name: 'partitions', type: array([
        { name: 'partitionIndex', type: 'int32', versions: '0+' },
        { name: 'committedOffset', type: 'int64', versions: '0+' },
        { name: 'committedLeaderEpoch', type: 'int32', versions: '6+', default: -1 },
        { name: 'commitTimestamp', type: 'int64', versions: '1', default: -1 },
        { name: 'committedMetadata', type: 'string', versions: '0+', nullable: '0+' },
      ]), versions: '0+' },
    ]), versions: '0+' },
  ]),
  message('OffsetCommitResponse', '0-7', '8+', [
    { name: 'throttleTimeMs', type: 'int32', versions: '3+' },
    { name: 'topics', type: array([
      { name: 'name', type: 'string', versions: '0+' },
      { name: 'partitions', type: array([
        { name: 'partitionIndex', type: 'int32', versions: '0+' },
        { name: 'errorCode', type: 'int16', versions: '0+' },
      ]), versions: '0+' },
    ]), versions: '0+' },
  ]),
);

export type OffsetCommitRequest = RequestOf<typeof offsetCommit>;
export type OffsetCommitResponse = ResponseOf<typeof offsetCommit>;
