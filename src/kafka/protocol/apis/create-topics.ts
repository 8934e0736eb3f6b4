/** CreateTopics (key 19). */
import { api, array, message, type RequestOf, type ResponseOf } from '../schema.js';

export const createTopics = api(19, 'CreateTopics',
  message('CreateTopicsRequest', '0-4', '5+', [
    { name: 'topics', type: array([
      { name: 'name', type: 'string', versions: '0+' },
      { name: 'numPartitions', type: 'int32', versions: '0+' },
      { name: 'replicationFactor', type: 'int16', versions: '0+' },
      { name: 'assignments', type: array([
        { name: 'partitionIndex', type: 'int32', versions: '0+' },
        { name: 'brokerIds', type: array('int32'), versions: '0+' },
      ]), versions: '0+' },
      { name: 'configs', type: array([
        { name: 'name', type: 'string', versions: '0+' },
        { name: 'value', type: 'string', versions: '0+', nullable: '0+' },
      ]), versions: '0+' },
    ]), versions: '0+' },
    // Kafka's definition spells these two with a lower-case first letter already.
    { name: 'timeoutMs', type: 'int32', versions: '0+', default: 60000 },
    { name: 'validateOnly', type: 'bool', versions: '1+', default: false },
  ]),
  message('CreateTopicsResponse', '0-4', '5+', [
    { name: 'throttleTimeMs', type: 'int32', versions: '2+' },
    { name: 'topics', type: array([
      { name: 'name', type: 'string', versions: '0+' },
      { name: 'errorCode', type: 'int16', versions: '0+' },
      { name: 'errorMessage', type: 'string', versions: '1+', nullable: '0+' },
    ]), versions: '0+' },
  ]),
);

export type CreateTopicsRequest = RequestOf<typeof createTopics>;
export type CreateTopicsResponse = ResponseOf<typeof createTopics>;
