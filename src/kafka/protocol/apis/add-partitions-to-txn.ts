/** AddPartitionsToTxn (key 24): answered with errors only (no transactions). */
import { api, array, message, type RequestOf, type ResponseOf } from '../schema.js';

export const addPartitionsToTxn = api(24, 'AddPartitionsToTxn',
  message('AddPartitionsToTxnRequest', '0-1', '3+', [
    { name: 'v3AndBelowTransactionalId', type: 'string', versions: '0-3' },
    { name: 'v3AndBelowProducerId', type: 'int64', versions: '0-3' },
    { name: 'v3AndBelowProducerEpoch', type: 'int16', versions: '0-3' },
    { name: 'v3AndBelowTopics', type: array([
      { name: 'name', type: 'string', versions: '0+' },
      { name: 'partitions', type: array('int32'), versions: '0+' },
    ]), versions: '0-3' },
  ]),
  message('AddPartitionsToTxnResponse', '0-1', '3+', [
    { name: 'throttleTimeMs', type: 'int32', versions: '0+' },
    { name: 'resultsByTopicV3AndBelow', type: array([
      { name: 'name', type: 'string', versions: '0+' },
      { name: 'resultsByPartition', type: array([
        { name: 'partitionIndex', type: 'int32', versions: '0+' },
        { name: 'partitionErrorCode', type: 'int16', versions: '0+' },
      ]), versions: '0+' },
    ]), versions: '0-3' },
  ]),
);

export type AddPartitionsToTxnRequest = RequestOf<typeof addPartitionsToTxn>;
export type AddPartitionsToTxnResponse = ResponseOf<typeof addPartitionsToTxn>;
