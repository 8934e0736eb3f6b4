/** ApiVersions (key 18): the first request of every client, so it must answer versions it does not know. */
import { api, array, message, type RequestOf, type ResponseOf } from '../schema.js';

export const apiVersions = api(18, 'ApiVersions',
  message('ApiVersionsRequest', '0-3', '3+', [
    { name: 'clientSoftwareName', type: 'string', versions: '3+' },
    { name: 'clientSoftwareVersion', type: 'string', versions: '3+' },
  ]),
  message('ApiVersionsResponse', '0-3', '3+', [
    { name: 'errorCode', type: 'int16', versions: '0+' },
    { name: 'apiKeys', type: array([
      { name: 'apiKey', type: 'int16', versions: '0+' },
      { name: 'minVersion', type: 'int16', versions: '0+' },
      { name: 'maxVersion', type: 'int16', versions: '0+' },
    ]), versions: '0+' },
    { name: 'throttleTimeMs', type: 'int32', versions: '1+' },
    { name: 'supportedFeatures', type: array([
      { name: 'name', type: 'string', versions: '3+' },
      { name: 'minVersion', type: 'int16', versions: '3+' },
      { name: 'maxVersion', type: 'int16', versions: '3+' },
    ]), versions: '3+', tag: 0, tagged: '3+' },
    { name: 'finalizedFeaturesEpoch', type: 'int64', versions: '3+', tag: 1, tagged: '3+', default: -1 },
    { name: 'finalizedFeatures', type: array([
      { name: 'name', type: 'string', versions: '3+' },
      { name: 'maxVersionLevel', type: 'int16', versions: '3+' },
      { name: 'minVersionLevel', type: 'int16', versions: '3+' },
    ]), versions: '3+', tag: 2, tagged: '3+' },
    { name: 'zkMigrationReady', type: 'bool', versions: '3+', tag: 3, tagged: '3+', default: false },
  ]),
);

export type ApiVersionsRequest = RequestOf<typeof apiVersions>;
export type ApiVersionsResponse = ResponseOf<typeof apiVersions>;
