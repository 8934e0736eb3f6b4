/** JoinGroup (key 11): a member joins a classic consumer group and waits for the rebalance. */
import { api, array, message, type RequestOf, type ResponseOf } from '../schema.js';

export const joinGroup = api(11, 'JoinGroup',
  message('JoinGroupRequest', '0-5', '6+', [
    { name: 'groupId', type: 'string', versions: '0+' },
    { name: 'sessionTimeoutMs', type: 'int32', versions: '0+' },
    { name: 'rebalanceTimeoutMs', type: 'int32', versions: '1+', default: -1 },
    { name: 'memberId', type: 'string', versions: '0+' },
    { name: 'groupInstanceId', type: 'string', versions: '5+', nullable: '5+', default: null },
    { name: 'protocolType', type: 'string', versions: '0+' },
    { name: 'protocols', type: array([
      { name: 'name', type: 'string', versions: '0+' },
      { name: 'metadata', type: 'bytes', versions: '0+' },
    ]), versions: '0+' },
  ]),
  message('JoinGroupResponse', '0-5', '6+', [
    { name: 'throttleTimeMs', type: 'int32', versions: '2+' },
    { name: 'errorCode', type: 'int16', versions: '0+' },
    { name: 'generationId', type: 'int32', versions: '0+', default: -1 },
    { name: 'protocolName', type: 'string', versions: '0+', nullable: '7+' },
    { name: 'leader', type: 'string', versions: '0+' },
    { name: 'memberId', type: 'string', versions: '0+' },
    { name: 'members', type: array([
      { name: 'memberId', type: 'string', versions: '0+' },
      { name: 'groupInstanceId', type: 'string', versions: '5+', nullable: '5+', default: null },
      { name: 'metadata', type: 'bytes', versions: '0+' },
    ]), versions: '0+' },
  ]),
);

export type JoinGroupRequest = RequestOf<typeof joinGroup>;
export type JoinGroupResponse = ResponseOf<typeof joinGroup>;
