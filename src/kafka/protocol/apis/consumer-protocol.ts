/**
 * The consumer protocol's assignment (ConsumerProtocolAssignment.json): the bytes a group leader
 * hands each member through SyncGroup when the protocol type is "consumer". Not an API of its own:
 * the broker only reads it to show which partitions a member holds. Prefixed by its int16 version.
 */
import { message, array } from '../schema.js';

export const CONSUMER_PROTOCOL_ASSIGNMENT = message('ConsumerProtocolAssignment', '0-3', 'none', [
  { name: 'assignedPartitions', type: array([
    { name: 'topic', type: 'string', versions: '0+' },
    { name: 'partitions', type: array('int32'), versions: '0+' },
  ]), versions: '0+' },
  { name: 'userData', type: 'bytes', versions: '0+', nullable: '0+', default: null },
]);
