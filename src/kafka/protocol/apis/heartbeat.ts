/** Heartbeat (key 12): a member is alive; the answer says whether a rebalance is under way. */
import { api, message, type RequestOf, type ResponseOf } from '../schema.js';

export const heartbeat = api(12, 'Heartbeat',
  message('HeartbeatRequest', '0-3', '4+', [
    { name: 'groupId', type: 'string', versions: '0+' },
    { name: 'generationId', type: 'int32', versions: '0+' },
    { name: 'memberId', type: 'string', versions: '0+' },
    { name: 'groupInstanceId', type: 'string', versions: '3+', nullable: '3+', default: null },
  ]),
  message('HeartbeatResponse', '0-3', '4+', [
    { name: 'throttleTimeMs', type: 'int32', versions: '1+' },
    { name: 'errorCode', type: 'int16', versions: '0+' },
  ]),
);

export type HeartbeatRequest = RequestOf<typeof heartbeat>;
export type HeartbeatResponse = ResponseOf<typeof heartbeat>;
