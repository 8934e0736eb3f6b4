/** ListGroups (key 16). */
import { api, array, message, type RequestOf, type ResponseOf } from '../schema.js';

export const listGroups = api(16, 'ListGroups',
  message('ListGroupsRequest', '0-2', '3+', []),
  message('ListGroupsResponse', '0-2', '3+', [
    { name: 'throttleTimeMs', type: 'int32', versions: '1+' },
    { name: 'errorCode', type: 'int16', versions: '0+' },
    { name: 'groups', type: array([
      { name: 'groupId', type: 'string', versions: '0+' },
      { name: 'protocolType', type: 'string', versions: '0+' },
    ]), versions: '0+' },
  ]),
);

export type ListGroupsRequest = RequestOf<typeof listGroups>;
export type ListGroupsResponse = ResponseOf<typeof listGroups>;
