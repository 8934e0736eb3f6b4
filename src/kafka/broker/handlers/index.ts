/** Every served API's handler, by API key (the versions come from protocol/registry.ts). */
import type { ServedApiKey } from '../../protocol/registry.js';
import { apiVersions } from './api-versions.js';
import { fetch } from './fetch.js';
import { describeGroups, findCoordinator, heartbeat, joinGroup, leaveGroup, listGroups, syncGroup } from './groups.js';
import type { Handler } from './handler.js';
import { initProducerId } from './init-producer-id.js';
import { listOffsets } from './list-offsets.js';
import { metadata } from './metadata.js';
import { offsetCommit, offsetFetch } from './offsets.js';
import { produce } from './produce.js';
import { addOffsetsToTxn, addPartitionsToTxn, createPartitions, endTxn, txnOffsetCommit } from './refused.js';
import { saslAuthenticate, saslHandshake } from './sasl.js';
import { createTopics, deleteTopics, describeConfigs } from './topics-admin.js';

export const HANDLERS: { readonly [K in ServedApiKey]: Handler<K> } = {
  0: produce,
  1: fetch,
  2: listOffsets,
  3: metadata,
  8: offsetCommit,
  9: offsetFetch,
  10: findCoordinator,
  11: joinGroup,
  12: heartbeat,
  13: leaveGroup,
  14: syncGroup,
  15: describeGroups,
  16: listGroups,
  17: saslHandshake,
  18: apiVersions,
  19: createTopics,
  20: deleteTopics,
  22: initProducerId,
  24: addPartitionsToTxn,
  25: addOffsetsToTxn,
  26: endTxn,
  28: txnOffsetCommit,
  32: describeConfigs,
  36: saslAuthenticate,
  37: createPartitions,
};
