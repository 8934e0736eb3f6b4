/** ListOffsets (key 2): the offset for a timestamp, or for -1 (latest) and -2 (earliest). */
import { api, array, message, type RequestOf, type ResponseOf } from '../schema.js';

export const listOffsets = api(2, 'ListOffsets',
  message('ListOffsetsRequest', '1-5', '6+', [
    { name: 'replicaId', type: 'int32', versions: '0+' },
    { name: 'isolationLevel', type: 'int8', versions: '2+' },
    { name: 'topics', type: array([
      { name: 'name', type: 'string', versions: '0+' },
      { name: 'partitions', type: array([
        { name: 'partitionIndex', type: 'int32', versions: '0+' },
        { name: 'currentLeaderEpoch', type: 'int32', versions: '4+', default: -1 },
        { name: 'timestamp', type: 'int64', versions: '0+' },
      ]), versions: '0+' },
    ]), versions: '0+' },
  ]),
  message('ListOffsetsResponse', '1-5', '6+', [
    { name: 'throttleTimeMs', type: 'int32', versions: '2+' },
    { name: 'topics', type: array([
      { name: 'name', type: 'string', versions: '0+' },
      { name: 'partitions', type: array([
        { name: 'partitionIndex', type: 'int32', versions: '0+' },
        { name: 'errorCode', type: 'int16', versions: '0+' },
        { name: 'timestamp', type: 'int64', versions: '1+', default: -1 },
        { name: 'offset', type: 'int64', versions: '1+', default: -1 },
        { name: 'leaderEpoch', type: 'int32', versions: '4+', default: -1 },
      ]), versions: '0+' },
    ]), versions: '0+' },
  ]),
);

export type ListOffsetsRequest = RequestOf<typeof listOffsets>;
export type ListOffsetsResponse = ResponseOf<typeof listOffsets>;
