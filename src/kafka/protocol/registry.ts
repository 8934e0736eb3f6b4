/**
 * The Kafka APIs lakestream serves, by api key, with the versions it serves (each request and
 * response description's `versions`).
 *
 * The protocol room (sans-IO: bytes in, objects out, and back):
 *
 *   primitives.ts     KafkaReader / KafkaWriter (bounds-checked wire primitives), KafkaProtocolError
 *   schema.ts         the description types (fields, types, versions, nullable, tagged, defaults)
 *                     and the JS shapes inferred from them (RequestOf, ResponseOf)
 *   codec.ts          decode / encode of any description at any described version
 *   header.ts         request and response headers, and which header version each API version uses
 *   apis/<api>.ts     one API each: its request and response descriptions, from Kafka's message
 *                     definitions (clients/src/main/resources/common/message/<Api>{Request,Response}.json)
 *   registry.ts       this file: API_SPECS, servedVersionRange, servedApiVersions
 *   frame.ts          decodeRequest (frame -> header + body, typed refusals) and encodeResponse
 *   error-codes.ts    Kafka's error codes by Kafka's names
 *
 * Only the versions served are described, but every field keeps Kafka's own version range, so
 * serving another version is adding the fields it brings and widening `versions`.
 */
import { addOffsetsToTxn } from './apis/add-offsets-to-txn.js';
import { addPartitionsToTxn } from './apis/add-partitions-to-txn.js';
import { apiVersions } from './apis/api-versions.js';
import { createPartitions } from './apis/create-partitions.js';
import { createTopics } from './apis/create-topics.js';
import { deleteTopics } from './apis/delete-topics.js';
import { describeConfigs } from './apis/describe-configs.js';
import { describeGroups } from './apis/describe-groups.js';
import { endTxn } from './apis/end-txn.js';
import { fetch } from './apis/fetch.js';
import { findCoordinator } from './apis/find-coordinator.js';
import { heartbeat } from './apis/heartbeat.js';
import { initProducerId } from './apis/init-producer-id.js';
import { joinGroup } from './apis/join-group.js';
import { leaveGroup } from './apis/leave-group.js';
import { listGroups } from './apis/list-groups.js';
import { listOffsets } from './apis/list-offsets.js';
import { metadata } from './apis/metadata.js';
import { offsetCommit } from './apis/offset-commit.js';
import { offsetFetch } from './apis/offset-fetch.js';
import { produce } from './apis/produce.js';
import { saslAuthenticate } from './apis/sasl-authenticate.js';
import { saslHandshake } from './apis/sasl-handshake.js';
import { syncGroup } from './apis/sync-group.js';
import { txnOffsetCommit } from './apis/txn-offset-commit.js';
import { parseVersions, type ApiSpec, type VersionRange } from './schema.js';

export const API_SPECS = {
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
} as const;

export type ApiSpecs = typeof API_SPECS;
export type ServedApiKey = keyof ApiSpecs;

export function apiSpec(apiKey: number): ApiSpec | undefined {
  return Object.hasOwn(API_SPECS, apiKey) ? API_SPECS[apiKey as ServedApiKey] : undefined;
}

/** The versions of an API lakestream serves, or undefined for an API it does not serve. */
export function servedVersionRange(apiKey: number): VersionRange | undefined {
  const spec = apiSpec(apiKey);
  return spec && parseVersions(spec.request.versions);
}

/** The `apiKeys` list of an ApiVersions response. */
export function servedApiVersions(): { apiKey: number; minVersion: number; maxVersion: number }[] {
  return Object.values(API_SPECS).map((spec) => {
    const r = parseVersions(spec.request.versions);
    return { apiKey: spec.apiKey, minVersion: r.min, maxVersion: r.max };
  });
}
