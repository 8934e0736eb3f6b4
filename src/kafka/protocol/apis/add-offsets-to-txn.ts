/** AddOffsetsToTxn (key 25): answered with errors only (no transactions). */
import { api, message, type RequestOf, type ResponseOf } from '../schema.js';

export const addOffsetsToTxn = api(25, 'AddOffsetsToTxn',
  message('AddOffsetsToTxnRequest', '0-1', '3+', [
    { name: 'transactionalId', type: 'string', versions: '0+' },
    { name: 'producerId', type: 'int64', versions: '0+' },
    { name: 'producerEpoch', type: 'int16', versions: '0+' },
    { name: 'groupId', type: 'string', versions: '0+' },
  ]),
  message('AddOffsetsToTxnResponse', '0-1', '3+', [
    { name: 'throttleTimeMs', type: 'int32', versions: '0+' },
    { name: 'errorCode', type: 'int16', versions: '0+' },
  ]),
);

export type AddOffsetsToTxnRequest = RequestOf<typeof addOffsetsToTxn>;
export type AddOffsetsToTxnResponse = ResponseOf<typeof addOffsetsToTxn>;
