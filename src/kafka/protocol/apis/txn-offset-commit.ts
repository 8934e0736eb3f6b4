/** TxnOffsetCommit (key 28): answered with errors only (no transactions). */
import { api, array, message, type RequestOf, type ResponseOf } from '../schema.js';

export const txnOffsetCommit = api(28, 'TxnOffsetCommit',
  message('TxnOffsetCommitRequest', '0-2', '3+', [
    { name: 'transactionalId', type: 'string', versions: '0+' },
    { name: 'groupId', type: 'string', versions: '0+' },
    { name: 'producerId', type: 'int64', versions: '0+' },
    { name: 'producerEpoch', type: 'int16', versions: '0+' },
    { name: 'topics', type: array([
      { name: 'name', type: 'string', versions: '0+' },
      { name: 'partitions', type: array([
        { name: 'partitionIndex', type: 'int32', versions: '0+' },
        { name: 'committedOffset', type: 'int64', versions: '0+' },
        { name: 'committedLeaderEpoch', type: 'int32', versions: '2+', default: -1 },
        { name: 'committedMetadata', type: 'string', versions: '0+', nullable: '0+' },
      ]), versions: '0+' },
    ]), versions: '0+' },
  ]),
  message('TxnOffsetCommitResponse', '0-2', '3+', [
    { name: 'throttleTimeMs', type: 'int32', versions: '0+' },
    { name: 'topics', type: array([
      { name: 'name', type: 'string', versions: '0+' },
      { name: 'partitions', type: array([
        { name: 'partitionIndex', type: 'int32', versions: '0+' },
        { name: 'errorCode', type: 'int16', versions: '0+' },
      ]), versions: '0+' },
    ]), versions: '0+' },
  ]),
);

export type TxnOffsetCommitRequest = RequestOf<typeof txnOffsetCommit>;
export type TxnOffsetCommitResponse = ResponseOf<typeof txnOffsetCommit>;
