/** DeleteTopics (key 20). */
import { api, array, message, type RequestOf, type ResponseOf } from '../schema.js';

export const deleteTopics = api(20, 'DeleteTopics',
  message('DeleteTopicsRequest', '0-3', '4+', [
    { name: 'topicNames', type: array('string'), versions: '0-5' },
    { name: 'timeoutMs', type: 'int32', versions: '0+' },
  ]),
  message('DeleteTopicsResponse', '0-3', '4+', [
    { name: 'throttleTimeMs', type: 'int32', versions: '1+' },
    { name: 'responses', type: array([
      { name: 'name', type: 'string', versions: '0+', nullable: '6+' },
      { name: 'errorCode', type: 'int16', versions: '0+' },
    ]), versions: '0+' },
  ]),
);

export type DeleteTopicsRequest = RequestOf<typeof deleteTopics>;
export type DeleteTopicsResponse = ResponseOf<typeof deleteTopics>;
