/** Fetch (key 1): read record batches from partitions. v4 is the first with record batches (isolation level). */
import { api, array, message, type RequestOf, type ResponseOf } from '../schema.js';

export const fetch = api(1, 'Fetch',
  message('FetchRequest', '4-11', '12+', [
    { name: 'replicaId', type: 'int32', versions: '0-14', default: -1 },
    { name: 'maxWaitMs', type: 'int32', versions: '0+' },
    { name: 'minBytes', type: 'int32', versions: '0+' },
    { name: 'maxBytes', type: 'int32', versions: '3+', default: 0x7fffffff },
    { name: 'isolationLevel', type: 'int8', versions: '4+', default: 0 },
    { name: 'sessionId', type: 'int32', versions: '7+', default: 0 },
    { name: 'sessionEpoch', type: 'int32', versions: '7+', default: -1 },
    { name: 'topics', type: array([
      { name: 'topic', type: 'string', versions: '0-12' },
      { name: 'partitions', type: array([
        { name: 'partition', type: 'int32', versions: '0+' },
        { name: 'currentLeaderEpoch', type: 'int32', versions: '9+', default: -1 },
        { name: 'fetchOffset', type: 'int64', versions: '0+' },
        { name: 'logStartOffset', type: 'int64', versions: '5+', default: -1 },
        { name: 'partitionMaxBytes', type: 'int32', versions: '0+' },
      ]), versions: '0+' },
    ]), versions: '0+' },
    { name: 'forgottenTopicsData', type: array([
      { name: 'topic', type: 'string', versions: '7-12' },
      { name: 'partitions', type: array('int32'), versions: '7+' },
    ]), versions: '7+' },
    { name: 'rackId', type: 'string', versions: '11+', default: '' },
  ]),
  message('FetchResponse', '4-11', '12+', [
    { name: 'throttleTimeMs', type: 'int32', versions: '1+' },
    { name: 'errorCode', type: 'int16', versions: '7+' },
    { name: 'sessionId', type: 'int32', versions: '7+', default: 0 },
    { name: 'responses', type: array([
      { name: 'topic', type: 'string', versions: '0-12' },
      { name: 'partitions', type: array([
        { name: 'partitionIndex', type: 'int32', versions: '0+' },
        { name: 'errorCode', type: 'int16', versions: '0+' },
        { name: 'highWatermark', type: 'int64', versions: '0+' },
        { name: 'lastStableOffset', type: 'int64', versions: '4+', default: -1 },
        { name: 'logStartOffset', type: 'int64', versions: '5+', default: -1 },
        { name: 'abortedTransactions', type: array([
          { name: 'producerId', type: 'int64', versions: '4+' },
          { name: 'firstOffset', type: 'int64', versions: '4+' },
        ]), versions: '4+', nullable: '4+' },
        { name: 'preferredReadReplica', type: 'int32', versions: '11+', default: -1 },
        { name: 'records', type: 'records', versions: '0+', nullable: '0+' },
      ]), versions: '0+' },
    ]), versions: '0+' },
  ]),
);

export type FetchRequest = RequestOf<typeof fetch>;
export type FetchResponse = ResponseOf<typeof fetch>;
