/** SyncGroup (key 14): the leader hands out assignments; every member receives its own. */
import { api, array, message, type RequestOf, type ResponseOf } from '../schema.js';

export const syncGroup = api(14, 'SyncGroup',
  message('SyncGroupRequest', '0-3', '4+', [
    { name: 'groupId', type: 'string', versions: '0+' },
    { name: 'generationId', type: 'int32', versions: '0+' },
    { name: 'memberId', type: 'string', versions: '0+' },
    { name: 'groupInstanceId', type: 'string', versions: '3+', nullable: '3+', default: null },
    { name: 'assignments', type: array([
      { name: 'memberId', type: 'string', versions: '0+' },
      { name: 'assignment', type: 'bytes', versions: '0+' },
    ]), versions: '0+' },
  ]),
  message('SyncGroupResponse', '0-3', '4+', [
    { name: 'throttleTimeMs', type: 'int32', versions: '1+' },
    { name: 'errorCode', type: 'int16', versions: '0+' },
    { name: 'assignment', type: 'bytes', versions: '0+' },
  ]),
);

export type SyncGroupRequest = RequestOf<typeof syncGroup>;
export type SyncGroupResponse = ResponseOf<typeof syncGroup>;
