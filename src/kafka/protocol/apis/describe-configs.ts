/** DescribeConfigs (key 32): topic (resourceType 2) and broker (4) configurations. */
import { api, array, message, type RequestOf, type ResponseOf } from '../schema.js';

export const describeConfigs = api(32, 'DescribeConfigs',
  message('DescribeConfigsRequest', '0-2', '4+', [
    { name: 'resources', type: array([
      { name: 'resourceType', type: 'int8', versions: '0+' },
      { name: 'resourceName', type: 'string', versions: '0+' },
      { name: 'configurationKeys', type: array('string'), versions: '0+', nullable: '0+' },
    ]), versions: '0+' },
    { name: 'includeSynonyms', type: 'bool', versions: '1+', default: false },
  ]),
  message('DescribeConfigsResponse', '0-2', '4+', [
    { name: 'throttleTimeMs', type: 'int32', versions: '0+' },
    { name: 'results', type: array([
      { name: 'errorCode', type: 'int16', versions: '0+' },
      { name: 'errorMessage', type: 'string', versions: '0+', nullable: '0+' },
      { name: 'resourceType', type: 'int8', versions: '0+' },
      { name: 'resourceName', type: 'string', versions: '0+' },
      { name: 'configs', type: array([
        { name: 'name', type: 'string', versions: '0+' },
        { name: 'value', type: 'string', versions: '0+', nullable: '0+' },
        { name: 'readOnly', type: 'bool', versions: '0+' },
        { name: 'isDefault', type: 'bool', versions: '0' },
        { name: 'configSource', type: 'int8', versions: '1+', default: -1 },
        { name: 'isSensitive', type: 'bool', versions: '0+' },
        { name: 'synonyms', type: array([
          { name: 'name', type: 'string', versions: '1+' },
          { name: 'value', type: 'string', versions: '1+', nullable: '0+' },
          { name: 'source', type: 'int8', versions: '1+' },
        ]), versions: '1+' },
      ]), versions: '0+' },
    ]), versions: '0+' },
  ]),
);

export type DescribeConfigsRequest = RequestOf<typeof describeConfigs>;
export type DescribeConfigsResponse = ResponseOf<typeof describeConfigs>;
