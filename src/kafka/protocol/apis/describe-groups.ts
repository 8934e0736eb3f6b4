/** DescribeGroups (key 15): state, protocol and members of groups. */
import { api, array, message, type RequestOf, type ResponseOf } from '../schema.js';

export const describeGroups = api(15, 'DescribeGroups',
  message('DescribeGroupsRequest', '0-4', '5+', [
    { name: 'groups', type: array('string'), versions: '0+' },
    { name: 'includeAuthorizedOperations', type: 'bool', versions: '3+' },
  ]),
  message('DescribeGroupsResponse', '0-4', '5+', [
    { name: 'throttleTimeMs', type: 'int32', versions: '1+' },
    { name: 'groups', type: array([
      { name: 'errorCode', type: 'int16', versions: '0+' },
      { name: 'groupId', type: 'string', versions: '0+' },
      { name: 'groupState', type: 'string', versions: '0+' },
      { name: 'protocolType', type: 'string', versions: '0+' },
      { name: 'protocolData', type: 'string', versions: '0+' },
      { name: 'members', type: array([
        { name: 'memberId', type: 'string', versions: '0+' },
        { name: 'groupInstanceId', type: 'string', versions: '4+', nullable: '4+', default: null },
        { name: 'clientId', type: 'string', versions: '0+' },
        { name: 'clientHost', type: 'string', versions: '0+' },
        { name: 'memberMetadata', type: 'bytes', versions: '0+' },
        { name: 'memberAssignment', type: 'bytes', versions: '0+' },
      ]), versions: '0+' },
      { name: 'authorizedOperations', type: 'int32', versions: '3+', default: -2147483648 },
    ]), versions: '0+' },
  ]),
);

export type DescribeGroupsRequest = RequestOf<typeof describeGroups>;
export type DescribeGroupsResponse = ResponseOf<typeof describeGroups>;
