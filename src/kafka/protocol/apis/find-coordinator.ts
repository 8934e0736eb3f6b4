/** FindCoordinator (key 10): which broker coordinates a group (keyType 0) or a transaction (1). */
import { api, message, type RequestOf, type ResponseOf } from '../schema.js';

export const findCoordinator = api(10, 'FindCoordinator',
  message('FindCoordinatorRequest', '0-2', '3+', [
    { name: 'key', type: 'string', versions: '0-3' },
    { name: 'keyType', type: 'int8', versions: '1+', default: 0 },
  ]),
  message('FindCoordinatorResponse', '0-2', '3+', [
    { name: 'throttleTimeMs', type: 'int32', versions: '1+' },
    { name: 'errorCode', type: 'int16', versions: '0-3' },
    { name: 'errorMessage', type: 'string', versions: '1-3', nullable: '1-3' },
    { name: 'nodeId', type: 'int32', versions: '0-3' },
    { name: 'host', type: 'string', versions: '0-3' },
    { name: 'port', type: 'int32', versions: '0-3' },
  ]),
);

export type FindCoordinatorRequest = RequestOf<typeof findCoordinator>;
export type FindCoordinatorResponse = ResponseOf<typeof findCoordinator>;
