/** LeaveGroup (key 13): one member (v0-2) or several (v3+) leave a group. */
import { api, array, message, type RequestOf, type ResponseOf } from '../schema.js';

export const leaveGroup = api(13, 'LeaveGroup',
  message('LeaveGroupRequest', '0-3', '4+', [
    { name: 'groupId', type: 'string', versions: '0+' },
    { name: 'memberId', type: 'string', versions: '0-2' },
    { name: 'members', type: array([
      { name: 'memberId', type: 'string', versions: '3+' },
      { name: 'groupInstanceId', type: 'string', versions: '3+', nullable: '3+', default: null },
    ]), versions: '3+' },
  ]),
  message('LeaveGroupResponse', '0-3', '4+', [
    { name: 'throttleTimeMs', type: 'int32', versions: '1+' },
    { name: 'errorCode', type: 'int16', versions: '0+' },
    { name: 'members', type: array([
      { name: 'memberId', type: 'string', versions: '3+' },
      { name: 'groupInstanceId', type: 'string', versions: '3+', nullable: '3+' },
      { name: 'errorCode', type: 'int16', versions: '3+' },
    ]), versions: '3+' },
  ]),
);

export type LeaveGroupRequest = RequestOf<typeof leaveGroup>;
export type LeaveGroupResponse = ResponseOf<typeof leaveGroup>;
