/**
 * Produce (key 0): record batches to append. v3 is the first with message format v2 (record
 * batches); v0-2 are served only to be refused (their message sets are magic 0/1, refused by the
 * record decoder): librdkafka enables gzip, snappy and lz4 only when the broker lists Produce v0.
 */
import { api, array, message, type RequestOf, type ResponseOf } from '../schema.js';

export const produce = api(0, 'Produce',
  message('ProduceRequest', '0-7', '9+', [
    { name: 'transactionalId', type: 'string', versions: '3+', nullable: '3+', default: null },
    { name: 'acks', type: 'int16', versions: '0+' },
    { name: 'timeoutMs', type: 'int32', versions: '0+' },
    { name: 'topicData', type: array([
      { name: 'name', type: 'string', versions: '0+' },
      { name: 'partitionData', type: array([
        { name: 'index', type: 'int32', versions: '0+' },
        { name: 'records', type: 'records', versions: '0+', nullable: '0+' },
      ]), versions: '0+' },
    ]), versions: '0+' },
  ]),
  message('ProduceResponse', '0-7', '9+', [
    { name: 'responses', type: array([
      { name: 'name', type: 'string', versions: '0+' },
      { name: 'partitionResponses', type: array([
        { name: 'index', type: 'int32', versions: '0+' },
        { name: 'errorCode', type: 'int16', versions: '0+' },
        { name: 'baseOffset', type: 'int64', versions: '0+' },
        { name: 'logAppendTimeMs', type: 'int64', versions: '2+', default: -1 },
        { name: 'logStartOffset', type: 'int64', versions: '5+', default: -1 },
      ]), versions: '0+' },
    ]), versions: '0+' },
    { name: 'throttleTimeMs', type: 'int32', versions: '1+', default: 0 },
  ]),
);

export type ProduceRequest = RequestOf<typeof produce>;
export type ProduceResponse = ResponseOf<typeof produce>;
