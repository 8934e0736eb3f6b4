/** OffsetFetch (key 9): a group's committed offsets; v2+ topics null means every topic. */
import { api, array, message, type RequestOf, type ResponseOf } from '../schema.js';

export const offsetFetch = api(9, 'OffsetFetch',
  message('OffsetFetchRequest', '1-5', '6+', [
    { name: 'groupId', type: 'string', versions: '0-7' },
    { name: 'topics', type: array([
      { name: 'name', type: 'string', versions: '0-7' },
      { name: 'partitionIndexes', type: array('int32'), versions: '0-7' },
    ]), versions: '0-7', nullable: '2-7' },
  ]),
  message('OffsetFetchResponse', '1-5', '6+', [
    { name: 'throttleTimeMs', type: 'int32', versions: '3+' },
    { name: 'topics', type: array([
      { name: 'name', type: 'string', versions: '0-7' },
      { name: 'partitions', type: array([
        { name: 'partitionIndex', type: 'int32', versions: '0-7' },
        { name: 'committedOffset', type: 'int64', versions: '0-7' },
        { name: 'committedLeaderEpoch', type: 'int32', versions: '5-7', default: -1 },
        { name: 'metadata', type: 'string', versions: '0-7', nullable: '0-7' },
        { name: 'errorCode', type: 'int16', versions: '0-7' },
      ]), versions: '0-7' },
    ]), versions: '0-7' },
    { name: 'errorCode', type: 'int16', versions: '2-7', default: 0 },
  ]),
);

export type OffsetFetchRequest = RequestOf<typeof offsetFetch>;
export type OffsetFetchResponse = ResponseOf<typeof offsetFetch>;
