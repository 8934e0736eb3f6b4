/** CreatePartitions (key 37): answered with errors only (a table's bucket count is fixed). */
import { api, array, message, type RequestOf, type ResponseOf } from '../schema.js';

export const createPartitions = api(37, 'CreatePartitions',
  message('CreatePartitionsRequest', '0-1', '2+', [
    { name: 'topics', type: array([
      { name: 'name', type: 'string', versions: '0+' },
      { name: 'count', type: 'int32', versions: '0+' },
      { name: 'assignments', type: array([
        { name: 'brokerIds', type: array('int32'), versions: '0+' },
      ]), versions: '0+', nullable: '0+' },
    ]), versions: '0+' },
    { name: 'timeoutMs', type: 'int32', versions: '0+' },
    { name: 'validateOnly', type: 'bool', versions: '0+' },
  ]),
  message('CreatePartitionsResponse', '0-1', '2+', [
    { name: 'throttleTimeMs', type: 'int32', versions: '0+' },
    { name: 'results', type: array([
      { name: 'name', type: 'string', versions: '0+' },
      { name: 'errorCode', type: 'int16', versions: '0+' },
      { name: 'errorMessage', type: 'string', versions: '0+', nullable: '0+', default: null },
    ]), versions: '0+' },
  ]),
);

export type CreatePartitionsRequest = RequestOf<typeof createPartitions>;
export type CreatePartitionsResponse = ResponseOf<typeof createPartitions>;
