/**
 * The classic consumer-group APIs, passed to the coordinator (groups/coordinator.ts). A group is a
 * resource of its own in Kafka; lakestream grants are per table, so joining and describing a group
 * need only an authenticated principal, while committing or fetching a partition's offset needs
 * `read` on its table.
 */
import { KafkaError } from '../../protocol/error-codes.js';
import type { Handler } from './handler.js';

/** FindCoordinator keyType 1: a transactional id, for transactions, which are not served. */
const TRANSACTION_KEY = 1;

export const findCoordinator: Handler<10> = async (ctx, conn, { body }) => {
  if (body.keyType === TRANSACTION_KEY) {
    ctx.log.warn({ remote: conn.remote, transactionalId: body.key }, 'kafka: refused a transaction coordinator lookup: lakestream does not serve Kafka transactions');
    return { throttleTimeMs: 0, errorCode: KafkaError.COORDINATOR_NOT_AVAILABLE, errorMessage: 'Kafka transactions are not supported by lakestream', nodeId: -1, host: '', port: -1 };
  }
  const c = ctx.cluster.coordinatorOf(body.key);
  return { throttleTimeMs: 0, errorCode: KafkaError.NONE, errorMessage: null, nodeId: c.nodeId, host: c.host, port: c.port };
};

export const joinGroup: Handler<11> = async (ctx, conn, { header, body }) => {
  const result = await ctx.groups.coordinator.joinGroup({
    groupId: body.groupId,
    sessionTimeoutMs: body.sessionTimeoutMs,
    rebalanceTimeoutMs: body.rebalanceTimeoutMs,
    memberId: body.memberId,
    groupInstanceId: body.groupInstanceId,
    protocolType: body.protocolType,
    protocols: body.protocols,
    clientId: header.clientId ?? '',
    clientHost: conn.socket.remoteAddress ?? '',
    requireKnownMemberId: header.requestApiVersion >= 4,
  });
  return { throttleTimeMs: 0, ...result, protocolName: result.protocolName ?? '', members: [...result.members] };
};

export const syncGroup: Handler<14> = async (ctx, _conn, { body }) => {
  const result = await ctx.groups.coordinator.syncGroup({
    groupId: body.groupId, generationId: body.generationId, memberId: body.memberId,
    groupInstanceId: body.groupInstanceId, protocolType: null, protocolName: null, assignments: body.assignments,
  });
  return { throttleTimeMs: 0, errorCode: result.errorCode, assignment: result.assignment };
};

export const heartbeat: Handler<12> = async (ctx, _conn, { body }) => ({
  throttleTimeMs: 0,
  errorCode: ctx.groups.coordinator.heartbeat({ groupId: body.groupId, generationId: body.generationId, memberId: body.memberId, groupInstanceId: body.groupInstanceId }).errorCode,
});

export const leaveGroup: Handler<13> = async (ctx, _conn, { header, body }) => {
  const result = header.requestApiVersion >= 3
    ? ctx.groups.coordinator.leaveGroup({ groupId: body.groupId, members: body.members })
    : ctx.groups.coordinator.leaveGroup({ groupId: body.groupId, memberId: body.memberId });
  return { throttleTimeMs: 0, errorCode: result.errorCode, members: [...result.members] };
};

export const listGroups: Handler<16> = async (ctx) => {
  const { errorCode, groups } = ctx.groups.coordinator.listGroups();
  return { throttleTimeMs: 0, errorCode, groups: groups.map((g) => ({ groupId: g.groupId, protocolType: g.protocolType })) };
};

export const describeGroups: Handler<15> = async (ctx, _conn, { body }) => ({
  throttleTimeMs: 0,
  groups: ctx.groups.coordinator.describeGroups(body.groups).map((g) => ({ ...g, members: [...g.members], authorizedOperations: -2147483648 })),
});
