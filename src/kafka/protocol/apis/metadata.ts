/** Metadata (key 3): brokers, topics and their partitions' leaders. */
import { api, array, message, type RequestOf, type ResponseOf } from '../schema.js';

export const metadata = api(3, 'Metadata',
  // v0: an empty topic list means all topics; v1+: null means all topics, empty means none.
  message('MetadataRequest', '0-8', '9+', [
    { name: 'topics', type: array([
      { name: 'name', type: 'string', versions: '0+' },
    ]), versions: '0+', nullable: '1+' },
    { name: 'allowAutoTopicCreation', type: 'bool', versions: '4+', default: true },
    { name: 'includeClusterAuthorizedOperations', type: 'bool', versions: '8-10' },
    { name: 'includeTopicAuthorizedOperations', type: 'bool', versions: '8+' },
  ]),
  message('MetadataResponse', '0-8', '9+', [
    { name: 'throttleTimeMs', type: 'int32', versions: '3+' },
    { name: 'brokers', type: array([
      { name: 'nodeId', type: 'int32', versions: '0+' },
      { name: 'host', type: 'string', versions: '0+' },
      { name: 'port', type: 'int32', versions: '0+' },
      { name: 'rack', type: 'string', versions: '1+', nullable: '1+', default: null },
    ]), versions: '0+' },
    { name: 'clusterId', type: 'string', versions: '2+', nullable: '2+', default: null },
    { name: 'controllerId', type: 'int32', versions: '1+', default: -1 },
    { name: 'topics', type: array([
      { name: 'errorCode', type: 'int16', versions: '0+' },
      { name: 'name', type: 'string', versions: '0+' },
      { name: 'isInternal', type: 'bool', versions: '1+', default: false },
      { name: 'partitions', type: array([
        { name: 'errorCode', type: 'int16', versions: '0+' },
        { name: 'partitionIndex', type: 'int32', versions: '0+' },
        { name: 'leaderId', type: 'int32', versions: '0+' },
        { name: 'leaderEpoch', type: 'int32', versions: '7+', default: -1 },
        { name: 'replicaNodes', type: array('int32'), versions: '0+' },
        { name: 'isrNodes', type: array('int32'), versions: '0+' },
        { name: 'offlineReplicas', type: array('int32'), versions: '5+' },
      ]), versions: '0+' },
      { name: 'topicAuthorizedOperations', type: 'int32', versions: '8+', default: -2147483648 },
    ]), versions: '0+' },
    { name: 'clusterAuthorizedOperations', type: 'int32', versions: '8-10', default: -2147483648 },
  ]),
);

export type MetadataRequest = RequestOf<typeof metadata>;
export type MetadataResponse = ResponseOf<typeof metadata>;
