/** EndTxn (key 26): answered with errors only (no transactions). */
import { api, message, type RequestOf, type ResponseOf } from '../schema.js';

export const endTxn = api(26, 'EndTxn',
  message('EndTxnRequest', '0-1', '3+', [
    { name: 'transactionalId', type: 'string', versions: '0+' },
    { name: 'producerId', type: 'int64', versions: '0+' },
    { name: 'producerEpoch', type: 'int16', versions: '0+' },
    { name: 'committed', type: 'bool', versions: '0+' },
  ]),
  message('EndTxnResponse', '0-1', '3+', [
    { name: 'throttleTimeMs', type: 'int32', versions: '0+' },
    { name: 'errorCode', type: 'int16', versions: '0+' },
  ]),
);

export type EndTxnRequest = RequestOf<typeof endTxn>;
export type EndTxnResponse = ResponseOf<typeof endTxn>;
