/** InitProducerId (key 22): a producer id and epoch for an idempotent (or transactional) producer. */
import { api, message, type RequestOf, type ResponseOf } from '../schema.js';

export const initProducerId = api(22, 'InitProducerId',
  message('InitProducerIdRequest', '0-1', '2+', [
    { name: 'transactionalId', type: 'string', versions: '0+', nullable: '0+' },
    { name: 'transactionTimeoutMs', type: 'int32', versions: '0+' },
  ]),
  message('InitProducerIdResponse', '0-1', '2+', [
    { name: 'throttleTimeMs', type: 'int32', versions: '0+' },
    { name: 'errorCode', type: 'int16', versions: '0+' },
    { name: 'producerId', type: 'int64', versions: '0+', default: -1 },
    { name: 'producerEpoch', type: 'int16', versions: '0+' },
  ]),
);

export type InitProducerIdRequest = RequestOf<typeof initProducerId>;
export type InitProducerIdResponse = ResponseOf<typeof initProducerId>;
