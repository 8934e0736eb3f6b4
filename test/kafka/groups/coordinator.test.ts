import { describe, expect, it } from 'vitest';
import { GroupCoordinator, type GroupCoordinatorOptions } from '../../../src/kafka/groups/coordinator.js';
import { KafkaError as GroupError } from '../../../src/kafka/protocol/error-codes.js';
import type { GroupProtocol, JoinGroupRequest, JoinGroupResult, SyncGroupResult } from '../../../src/kafka/groups/messages.js';
import { TestingScheduler } from '../../../src/kafka/groups/testing-scheduler.js';

const GROUP = 'orders-app';
const SESSION_MS = 10_000;
const REBALANCE_MS = 30_000;
const RANGE: GroupProtocol = { name: 'range', metadata: Uint8Array.of(1, 2) };

function setup(options: GroupCoordinatorOptions = {}) {
  const clock = new TestingScheduler();
  const coordinator = new GroupCoordinator({ scheduler: clock, groupInitialRebalanceDelayMs: 0, ...options });
  return { clock, coordinator };
}

function joinRequest(over: Partial<JoinGroupRequest> = {}): JoinGroupRequest {
  return {
    groupId: GROUP, sessionTimeoutMs: SESSION_MS, rebalanceTimeoutMs: REBALANCE_MS, memberId: '', groupInstanceId: null,
    protocolType: 'consumer', protocols: [RANGE], clientId: 'client', clientHost: '/127.0.0.1', requireKnownMemberId: true, ...over,
  };
}

const PENDING = Symbol('pending');

/** The promise's value if it has settled once the microtasks queued so far have run, else PENDING. */
async function peek<T>(p: Promise<T>): Promise<T | typeof PENDING> {
  return Promise.race([p, new Promise<typeof PENDING>((resolve) => setImmediate(() => resolve(PENDING)))]);
}

/** Lets every callback already queued run (the coordinator's expiry hook runs in promise callbacks). */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** A new member's two JoinGroups (KIP-394): the first hands out the id, the second waits for the join phase. */
async function joinNew(coordinator: GroupCoordinator, over: Partial<JoinGroupRequest> = {}): Promise<{ memberId: string; joined: Promise<JoinGroupResult> }> {
  const first = await coordinator.joinGroup(joinRequest(over));
  expect(first.errorCode).toBe(GroupError.MEMBER_ID_REQUIRED);
  return { memberId: first.memberId, joined: coordinator.joinGroup(joinRequest({ ...over, memberId: first.memberId })) };
}

function rejoin(coordinator: GroupCoordinator, memberId: string, over: Partial<JoinGroupRequest> = {}): Promise<JoinGroupResult> {
  return coordinator.joinGroup(joinRequest({ ...over, memberId }));
}

function sync(coordinator: GroupCoordinator, memberId: string, generationId: number, assignments: { memberId: string; assignment: Uint8Array }[] = []): Promise<SyncGroupResult> {
  return coordinator.syncGroup({ groupId: GROUP, generationId, memberId, groupInstanceId: null, protocolType: 'consumer', protocolName: null, assignments });
}

function heartbeat(coordinator: GroupCoordinator, memberId: string, generationId: number): number {
  return coordinator.heartbeat({ groupId: GROUP, generationId, memberId }).errorCode;
}

/** Two members through a whole rebalance to Stable: a is the leader; each is assigned its own name. */
async function stableGroupOfTwo(coordinator: GroupCoordinator, clock: TestingScheduler, over: Partial<JoinGroupRequest> = {}) {
  const a = await joinNew(coordinator, { ...over, clientId: 'a' });
  const b = await joinNew(coordinator, { ...over, clientId: 'b' });
  clock.advance(0);
  const [ja, jb] = await Promise.all([a.joined, b.joined]);
  const followerSync = sync(coordinator, b.memberId, jb.generationId);
  const leaderSync = sync(coordinator, a.memberId, ja.generationId, [
    { memberId: a.memberId, assignment: new TextEncoder().encode('a') },
    { memberId: b.memberId, assignment: new TextEncoder().encode('b') },
  ]);
  await Promise.all([followerSync, leaderSync]);
  return { a: a.memberId, b: b.memberId, generationId: ja.generationId };
}

describe('group coordinator: join and sync', () => {
  it('two members join and sync: the leader gets the members, both get their assignment', async () => {
    const { coordinator, clock } = setup();
    const a = await joinNew(coordinator, { clientId: 'a', protocols: [{ name: 'range', metadata: Uint8Array.of(0xa) }] });
    expect(a.memberId).toMatch(/^a-[0-9a-f-]{36}$/);
    const b = await joinNew(coordinator, { clientId: 'b', protocols: [{ name: 'range', metadata: Uint8Array.of(0xb) }] });
    expect(await peek(a.joined)).toBe(PENDING);
    clock.advance(0);
    const [ja, jb] = await Promise.all([a.joined, b.joined]);
    expect(ja).toMatchObject({ errorCode: 0, generationId: 1, protocolType: 'consumer', protocolName: 'range', leader: a.memberId, memberId: a.memberId });
    expect(ja.members).toEqual([
      { memberId: a.memberId, groupInstanceId: null, metadata: Uint8Array.of(0xa) },
      { memberId: b.memberId, groupInstanceId: null, metadata: Uint8Array.of(0xb) },
    ]);
    expect(jb).toMatchObject({ errorCode: 0, generationId: 1, leader: a.memberId, memberId: b.memberId, members: [] });
    expect(coordinator.describeGroups([GROUP])[0]!.groupState).toBe('CompletingRebalance');

    const followerSync = sync(coordinator, b.memberId, 1);
    expect(await peek(followerSync)).toBe(PENDING);
    const leaderSync = sync(coordinator, a.memberId, 1, [
      { memberId: a.memberId, assignment: Uint8Array.of(1) },
      { memberId: b.memberId, assignment: Uint8Array.of(2) },
      { memberId: 'not-a-member', assignment: Uint8Array.of(3) },
    ]);
    expect(await leaderSync).toEqual({ errorCode: 0, protocolType: 'consumer', protocolName: 'range', assignment: Uint8Array.of(1) });
    expect(await followerSync).toEqual({ errorCode: 0, protocolType: 'consumer', protocolName: 'range', assignment: Uint8Array.of(2) });
    const described = coordinator.describeGroups([GROUP])[0]!;
    expect(described).toMatchObject({ errorCode: 0, groupState: 'Stable', protocolType: 'consumer', protocolData: 'range' });
    expect(described.members.map((m) => [m.memberId, m.clientId, [...m.memberMetadata], [...m.memberAssignment]])).toEqual([
      [a.memberId, 'a', [0xa], [1]], [b.memberId, 'b', [0xb], [2]],
    ]);
    // A sync in Stable answers the member's assignment at once.
    expect((await sync(coordinator, b.memberId, 1)).assignment).toEqual(Uint8Array.of(2));
    expect(heartbeat(coordinator, a.memberId, 1)).toBe(GroupError.NONE);
    expect(coordinator.listGroups()).toEqual({ errorCode: 0, groups: [{ groupId: GROUP, protocolType: 'consumer', groupState: 'Stable' }] });
  });

  it('a third member joining starts a rebalance: heartbeats answer REBALANCE_IN_PROGRESS, everyone rejoins into a new generation', async () => {
    const { coordinator, clock } = setup();
    const g = await stableGroupOfTwo(coordinator, clock);
    const c = await joinNew(coordinator, { clientId: 'c' });
    expect(coordinator.describeGroups([GROUP])[0]!.groupState).toBe('PreparingRebalance');
    expect(heartbeat(coordinator, g.a, g.generationId)).toBe(GroupError.REBALANCE_IN_PROGRESS);
    expect(heartbeat(coordinator, g.b, g.generationId)).toBe(GroupError.REBALANCE_IN_PROGRESS);
    expect((await sync(coordinator, g.a, g.generationId)).errorCode).toBe(GroupError.REBALANCE_IN_PROGRESS);
    const ra = rejoin(coordinator, g.a);
    expect(await peek(c.joined)).toBe(PENDING);
    const rb = rejoin(coordinator, g.b);
    const results = await Promise.all([ra, rb, c.joined]);
    expect(results.map((r) => [r.errorCode, r.generationId, r.leader])).toEqual([[0, 2, g.a], [0, 2, g.a], [0, 2, g.a]]);
    expect(results[0]!.members.map((m) => m.memberId)).toEqual([g.a, g.b, c.memberId]);
  });

  it('a member that leaves starts a rebalance; LeaveGroup v0-2 and v3 answer per member', async () => {
    const { coordinator, clock } = setup();
    const g = await stableGroupOfTwo(coordinator, clock);
    expect(coordinator.leaveGroup({ groupId: GROUP, members: [{ memberId: g.b, groupInstanceId: null }, { memberId: 'who', groupInstanceId: 'i-1' }] })).toEqual({
      errorCode: 0, members: [{ memberId: g.b, groupInstanceId: null, errorCode: 0 }, { memberId: 'who', groupInstanceId: 'i-1', errorCode: GroupError.UNKNOWN_MEMBER_ID }],
    });
    expect(coordinator.leaveGroup({ groupId: GROUP, memberId: g.b }).errorCode).toBe(GroupError.UNKNOWN_MEMBER_ID);
    expect(coordinator.leaveGroup({ groupId: 'no-such-group', memberId: g.b }).errorCode).toBe(GroupError.UNKNOWN_MEMBER_ID);
    expect(heartbeat(coordinator, g.a, g.generationId)).toBe(GroupError.REBALANCE_IN_PROGRESS);
    const r = await rejoin(coordinator, g.a);
    expect(r).toMatchObject({ errorCode: 0, generationId: g.generationId + 1, leader: g.a });
    expect(r.members.map((m) => m.memberId)).toEqual([g.a]);
    // The last member leaving ends the group's join phase at once: it is Empty.
    expect(coordinator.leaveGroup({ groupId: GROUP, memberId: g.a })).toEqual({ errorCode: 0, members: [{ memberId: g.a, groupInstanceId: null, errorCode: 0 }] });
    expect(coordinator.describeGroups([GROUP])[0]).toMatchObject({ groupState: 'Empty', members: [] });
  });

  it('a member that stops heartbeating expires after its session timeout and the group rebalances', async () => {
    const { coordinator, clock } = setup();
    const g = await stableGroupOfTwo(coordinator, clock);
    for (let t = 0; t < 3; t++) {
      clock.advance(3_000);
      expect(heartbeat(coordinator, g.a, g.generationId)).toBe(GroupError.NONE);
    }
    clock.advance(SESSION_MS - 9_000);
    expect(heartbeat(coordinator, g.a, g.generationId)).toBe(GroupError.REBALANCE_IN_PROGRESS);
    expect(heartbeat(coordinator, g.b, g.generationId)).toBe(GroupError.UNKNOWN_MEMBER_ID);
    const r = await rejoin(coordinator, g.a);
    expect(r.members.map((m) => m.memberId)).toEqual([g.a]);
    expect(r.generationId).toBe(g.generationId + 1);
  });

  it('a member that joins while it is already waiting replaces its earlier JoinGroup, which is answered', async () => {
    const { coordinator, clock } = setup();
    const g = await stableGroupOfTwo(coordinator, clock);
    const first = rejoin(coordinator, g.a);
    const second = rejoin(coordinator, g.a);
    expect((await first).errorCode).toBe(GroupError.REBALANCE_IN_PROGRESS);
    await rejoin(coordinator, g.b);
    expect((await second).errorCode).toBe(GroupError.NONE);
  });

  it('in Stable a follower with unchanged metadata rejoins at once; the leader rejoining forces a rebalance', async () => {
    const { coordinator, clock } = setup();
    const g = await stableGroupOfTwo(coordinator, clock);
    expect(await rejoin(coordinator, g.b)).toMatchObject({ errorCode: 0, generationId: g.generationId, leader: g.a, members: [] });
    expect(coordinator.describeGroups([GROUP])[0]!.groupState).toBe('Stable');
    const leader = rejoin(coordinator, g.a);
    expect(coordinator.describeGroups([GROUP])[0]!.groupState).toBe('PreparingRebalance');
    await rejoin(coordinator, g.b);
    expect((await leader).generationId).toBe(g.generationId + 1);
  });

  it('in CompletingRebalance a member rejoining with the same metadata gets the current generation again', async () => {
    const { coordinator, clock } = setup();
    const a = await joinNew(coordinator, { clientId: 'a' });
    clock.advance(0);
    const first = await a.joined;
    const again = await rejoin(coordinator, a.memberId);
    expect(again).toEqual(first);
  });

  it('JoinGroup before v4 gets its member id in the first answer', async () => {
    const { coordinator, clock } = setup();
    const joined = coordinator.joinGroup(joinRequest({ clientId: 'old', requireKnownMemberId: false, rebalanceTimeoutMs: -1 }));
    clock.advance(0);
    const r = await joined;
    expect(r).toMatchObject({ errorCode: 0, generationId: 1, leader: r.memberId });
    expect(r.memberId).toMatch(/^old-/);
  });
});

describe('group coordinator: member ids (KIP-394)', () => {
  it('a member id handed out with MEMBER_ID_REQUIRED expires after a session timeout unless the member rejoins with it', async () => {
    const { coordinator, clock } = setup();
    const first = await coordinator.joinGroup(joinRequest({ clientId: 'slow' }));
    expect(first).toMatchObject({ errorCode: GroupError.MEMBER_ID_REQUIRED, generationId: -1, leader: '', members: [] });
    expect(first.memberId).toMatch(/^slow-/);
    clock.advance(SESSION_MS);
    expect((await rejoin(coordinator, first.memberId)).errorCode).toBe(GroupError.UNKNOWN_MEMBER_ID);
  });

  it('a join phase waits for a handed-out member id until it joins or expires', async () => {
    const { coordinator, clock } = setup();
    const g = await stableGroupOfTwo(coordinator, clock);
    const pending = await coordinator.joinGroup(joinRequest({ clientId: 'c' }));
    const ra = rejoin(coordinator, g.a);
    const rb = rejoin(coordinator, g.b);
    clock.advance(SESSION_MS - 1);
    expect(await peek(ra)).toBe(PENDING);
    clock.advance(1);
    const [a, b] = await Promise.all([ra, rb]);
    expect([a.generationId, b.generationId]).toEqual([g.generationId + 1, g.generationId + 1]);
    expect(a.members.map((m) => m.memberId)).toEqual([g.a, g.b]);
    expect((await rejoin(coordinator, pending.memberId)).errorCode).toBe(GroupError.UNKNOWN_MEMBER_ID);
  });

  it('a member with a made-up id gets UNKNOWN_MEMBER_ID, from an unknown group too', async () => {
    const { coordinator, clock } = setup();
    expect((await rejoin(coordinator, 'made-up')).errorCode).toBe(GroupError.UNKNOWN_MEMBER_ID);
    const g = await stableGroupOfTwo(coordinator, clock);
    expect((await rejoin(coordinator, 'made-up')).errorCode).toBe(GroupError.UNKNOWN_MEMBER_ID);
    expect(heartbeat(coordinator, 'made-up', g.generationId)).toBe(GroupError.UNKNOWN_MEMBER_ID);
    expect((await sync(coordinator, 'made-up', g.generationId)).errorCode).toBe(GroupError.UNKNOWN_MEMBER_ID);
    expect((await coordinator.syncGroup({ groupId: 'nope', generationId: 1, memberId: g.a, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] })).errorCode)
      .toBe(GroupError.UNKNOWN_MEMBER_ID);
  });
});

describe('group coordinator: refusals', () => {
  it('INCONSISTENT_GROUP_PROTOCOL for a member that shares no protocol or type with the group', async () => {
    const { coordinator, clock } = setup();
    const g = await stableGroupOfTwo(coordinator, clock);
    const other = { name: 'roundrobin', metadata: new Uint8Array(0) };
    expect((await coordinator.joinGroup(joinRequest({ protocols: [other] }))).errorCode).toBe(GroupError.INCONSISTENT_GROUP_PROTOCOL);
    expect((await coordinator.joinGroup(joinRequest({ protocolType: 'connect' }))).errorCode).toBe(GroupError.INCONSISTENT_GROUP_PROTOCOL);
    expect((await rejoin(coordinator, g.b, { protocols: [other] })).errorCode).toBe(GroupError.INCONSISTENT_GROUP_PROTOCOL);
    expect((await coordinator.joinGroup(joinRequest({ groupId: 'fresh', protocolType: '' }))).errorCode).toBe(GroupError.INCONSISTENT_GROUP_PROTOCOL);
    expect((await coordinator.joinGroup(joinRequest({ groupId: 'fresh', protocols: [] }))).errorCode).toBe(GroupError.INCONSISTENT_GROUP_PROTOCOL);
    const wrongName = await coordinator.syncGroup({ groupId: GROUP, generationId: g.generationId, memberId: g.b, groupInstanceId: null, protocolType: 'consumer', protocolName: 'roundrobin', assignments: [] });
    expect(wrongName.errorCode).toBe(GroupError.INCONSISTENT_GROUP_PROTOCOL);
    expect(coordinator.describeGroups([GROUP])[0]!.groupState).toBe('Stable');
  });

  it('ILLEGAL_GENERATION for a heartbeat, sync or commit of another generation', async () => {
    const { coordinator, clock } = setup();
    const g = await stableGroupOfTwo(coordinator, clock);
    expect(heartbeat(coordinator, g.a, g.generationId + 1)).toBe(GroupError.ILLEGAL_GENERATION);
    expect((await sync(coordinator, g.a, g.generationId - 1)).errorCode).toBe(GroupError.ILLEGAL_GENERATION);
    expect(coordinator.validateCommit(GROUP, g.generationId + 5, g.a)).toBe(GroupError.ILLEGAL_GENERATION);
    expect(coordinator.validateCommit('no-such-group', 3, 'm')).toBe(GroupError.ILLEGAL_GENERATION);
  });

  it('INVALID_SESSION_TIMEOUT outside the configured range; INVALID_GROUP_ID for an empty or over-long id; INVALID_REQUEST past the metadata bounds', async () => {
    const { coordinator } = setup({ memberMetadataBytesMax: 4, protocolsPerMemberMax: 2 });
    expect((await coordinator.joinGroup(joinRequest({ sessionTimeoutMs: 5_999 }))).errorCode).toBe(GroupError.INVALID_SESSION_TIMEOUT);
    expect((await coordinator.joinGroup(joinRequest({ sessionTimeoutMs: 1_800_001 }))).errorCode).toBe(GroupError.INVALID_SESSION_TIMEOUT);
    expect((await coordinator.joinGroup(joinRequest({ groupId: '' }))).errorCode).toBe(GroupError.INVALID_GROUP_ID);
    expect((await coordinator.joinGroup(joinRequest({ groupId: 'g'.repeat(513) }))).errorCode).toBe(GroupError.INVALID_GROUP_ID);
    expect(heartbeat(coordinator, 'm', 1)).toBe(GroupError.UNKNOWN_MEMBER_ID);
    expect(coordinator.heartbeat({ groupId: '', generationId: 1, memberId: 'm' }).errorCode).toBe(GroupError.INVALID_GROUP_ID);
    expect((await coordinator.joinGroup(joinRequest({ protocols: [{ name: 'big', metadata: new Uint8Array(5) }] }))).errorCode).toBe(GroupError.INVALID_REQUEST);
    const three = ['a', 'b', 'c'].map((name) => ({ name, metadata: new Uint8Array(0) }));
    expect((await coordinator.joinGroup(joinRequest({ protocols: three }))).errorCode).toBe(GroupError.INVALID_REQUEST);
    expect(coordinator.listGroups().groups).toEqual([]);
  });

  it('GROUP_MAX_SIZE_REACHED for a member beyond group.max.size', async () => {
    const { coordinator, clock } = setup({ groupMaxSize: 2 });
    const g = await stableGroupOfTwo(coordinator, clock);
    expect(await coordinator.joinGroup(joinRequest())).toMatchObject({ errorCode: GroupError.GROUP_MAX_SIZE_REACHED, memberId: '' });
    expect(heartbeat(coordinator, g.a, g.generationId)).toBe(GroupError.NONE);
  });

  it('a new group beyond groupsMax is COORDINATOR_NOT_AVAILABLE', async () => {
    const { coordinator } = setup({ groupsMax: 1 });
    expect((await coordinator.joinGroup(joinRequest())).errorCode).toBe(GroupError.MEMBER_ID_REQUIRED);
    expect((await coordinator.joinGroup(joinRequest({ groupId: 'second' }))).errorCode).toBe(GroupError.COORDINATOR_NOT_AVAILABLE);
    expect(coordinator.validateCommit('second', -1, '')).toBe(GroupError.COORDINATOR_NOT_AVAILABLE);
  });

  it('a leader assignment larger than groupAssignmentBytesMax is refused, and the group rebalances without the leader', async () => {
    const { coordinator, clock } = setup({ groupAssignmentBytesMax: 8 });
    const a = await joinNew(coordinator, { clientId: 'a' });
    const b = await joinNew(coordinator, { clientId: 'b' });
    clock.advance(0);
    await Promise.all([a.joined, b.joined]);
    const followerSync = sync(coordinator, b.memberId, 1);
    expect((await sync(coordinator, a.memberId, 1, [{ memberId: b.memberId, assignment: new Uint8Array(9) }])).errorCode).toBe(GroupError.INVALID_REQUEST);
    // The refused leader is not waiting for anything, so its session runs out.
    clock.advance(SESSION_MS);
    expect((await followerSync).errorCode).toBe(GroupError.REBALANCE_IN_PROGRESS);
    const r = await rejoin(coordinator, b.memberId);
    expect(r).toMatchObject({ generationId: 2, leader: b.memberId });
  });
});

describe('group coordinator: timeouts', () => {
  it('the rebalance timeout removes a member that did not rejoin, even one that kept heartbeating', async () => {
    const { coordinator, clock } = setup();
    const g = await stableGroupOfTwo(coordinator, clock);
    const ra = rejoin(coordinator, g.a);
    for (let t = 0; t < REBALANCE_MS; t += 5_000) {
      expect(heartbeat(coordinator, g.b, g.generationId)).toBe(GroupError.REBALANCE_IN_PROGRESS);
      clock.advance(5_000);
    }
    const r = await ra;
    expect(r).toMatchObject({ errorCode: 0, generationId: g.generationId + 1, leader: g.a });
    expect(r.members.map((m) => m.memberId)).toEqual([g.a]);
    expect(heartbeat(coordinator, g.b, g.generationId)).toBe(GroupError.UNKNOWN_MEMBER_ID);
  });

  it('a member that does not sync within the rebalance timeout is removed and the group rebalances', async () => {
    const { coordinator, clock } = setup();
    const timeouts = { sessionTimeoutMs: 45_000, rebalanceTimeoutMs: 10_000 };
    const a = await joinNew(coordinator, { ...timeouts, clientId: 'a' });
    const b = await joinNew(coordinator, { ...timeouts, clientId: 'b' });
    clock.advance(0);
    await Promise.all([a.joined, b.joined]);
    const leaderSync = sync(coordinator, a.memberId, 1, []);
    expect((await leaderSync).errorCode).toBe(GroupError.NONE);
    clock.advance(9_999);
    expect(coordinator.describeGroups([GROUP])[0]).toMatchObject({ groupState: 'Stable' });
    clock.advance(1);
    expect(coordinator.describeGroups([GROUP])[0]).toMatchObject({ groupState: 'PreparingRebalance' });
    expect(heartbeat(coordinator, b.memberId, 1)).toBe(GroupError.UNKNOWN_MEMBER_ID);
    expect(heartbeat(coordinator, a.memberId, 1)).toBe(GroupError.REBALANCE_IN_PROGRESS);
  });

  it('the initial rebalance delay waits again while new members keep arriving', async () => {
    const { coordinator, clock } = setup({ groupInitialRebalanceDelayMs: 3_000 });
    const a = coordinator.joinGroup(joinRequest({ clientId: 'a', requireKnownMemberId: false }));
    clock.advance(2_000);
    const b = coordinator.joinGroup(joinRequest({ clientId: 'b', requireKnownMemberId: false }));
    clock.advance(3_999);
    expect(await peek(a)).toBe(PENDING);
    clock.advance(1);
    const [ja, jb] = await Promise.all([a, b]);
    expect([ja.generationId, jb.generationId, ja.members.length]).toEqual([1, 1, 2]);
  });

  it('a new member whose join phase never ends is dropped after newMemberJoinTimeoutMs', async () => {
    const { coordinator, clock } = setup({ newMemberJoinTimeoutMs: 40_000 });
    const long = { rebalanceTimeoutMs: 100_000 };
    const g = await stableGroupOfTwo(coordinator, clock, long);
    const c = await joinNew(coordinator, { ...long, clientId: 'c' });
    const ra = rejoin(coordinator, g.a, long);
    for (let t = 0; t < 40_000; t += 5_000) {
      heartbeat(coordinator, g.b, g.generationId);
      clock.advance(5_000);
    }
    expect(await c.joined).toMatchObject({ errorCode: GroupError.UNKNOWN_MEMBER_ID, memberId: '' });
    // b stops heartbeating: once its session is over, a alone has rejoined and the phase ends.
    clock.advance(SESSION_MS);
    expect((await ra).members.map((m) => m.memberId)).toEqual([g.a]);
  });
});

describe('group coordinator: protocol selection', () => {
  const p = (name: string): GroupProtocol => ({ name, metadata: new TextEncoder().encode(name) });

  it('each member votes for its most preferred common protocol and the most votes win', async () => {
    const { coordinator, clock } = setup();
    const a = await joinNew(coordinator, { clientId: 'a', protocols: [p('sticky'), p('range'), p('roundrobin')] });
    const b = await joinNew(coordinator, { clientId: 'b', protocols: [p('roundrobin'), p('range')] });
    const c = await joinNew(coordinator, { clientId: 'c', protocols: [p('roundrobin'), p('range'), p('sticky')] });
    clock.advance(0);
    const [ja] = await Promise.all([a.joined, b.joined, c.joined]);
    expect(ja.protocolName).toBe('roundrobin');
    expect(ja.members.map((m) => new TextDecoder().decode(m.metadata))).toEqual(['roundrobin', 'roundrobin', 'roundrobin']);
  });

  it('a tie goes to the protocol voted for first', async () => {
    const { coordinator, clock } = setup();
    const a = await joinNew(coordinator, { clientId: 'a', protocols: [p('range'), p('roundrobin')] });
    const b = await joinNew(coordinator, { clientId: 'b', protocols: [p('roundrobin'), p('range')] });
    clock.advance(0);
    const [ja] = await Promise.all([a.joined, b.joined]);
    expect(ja.protocolName).toBe('range');
  });
});

describe('group coordinator: offset commits', () => {
  it('validates commits against the group as Kafka does', async () => {
    const { coordinator, clock } = setup();
    expect(coordinator.validateCommit('simple', -1, '')).toBe(GroupError.NONE);
    expect(coordinator.listGroups().groups).toEqual([{ groupId: 'simple', protocolType: '', groupState: 'Empty' }]);
    expect(coordinator.validateCommit('', -1, '')).toBe(GroupError.NONE);
    const a = await joinNew(coordinator, { clientId: 'a' });
    clock.advance(0);
    const ja = await a.joined;
    expect(coordinator.validateCommit(GROUP, 1, a.memberId)).toBe(GroupError.REBALANCE_IN_PROGRESS);
    await sync(coordinator, a.memberId, 1, []);
    expect(coordinator.validateCommit(GROUP, ja.generationId, a.memberId)).toBe(GroupError.NONE);
    expect(coordinator.validateCommit(GROUP, -1, '')).toBe(GroupError.UNKNOWN_MEMBER_ID);
    expect(coordinator.validateCommit(GROUP, ja.generationId, 'stranger')).toBe(GroupError.UNKNOWN_MEMBER_ID);
    // A commit counts as a heartbeat.
    clock.advance(SESSION_MS - 1);
    expect(coordinator.validateCommit(GROUP, ja.generationId, a.memberId)).toBe(GroupError.NONE);
    clock.advance(SESSION_MS - 1);
    expect(heartbeat(coordinator, a.memberId, ja.generationId)).toBe(GroupError.NONE);
  });
});

describe('group coordinator: expiry and shutdown', () => {
  const DAY_MS = 86_400_000;
  const CHECK_MS = 600_000;

  it('an Empty group with offsets expires after the retention: Dead while its offsets are deleted, then gone', async () => {
    const expired: string[] = [];
    let finish!: () => void;
    const { coordinator, clock } = setup({ offsetsRetentionMs: DAY_MS, onGroupExpired: async (id) => { expired.push(id); await new Promise<void>((r) => { finish = r; }); } });
    expect(coordinator.validateCommit('simple', -1, '')).toBe(GroupError.NONE);
    clock.advance(DAY_MS - CHECK_MS);
    expect(coordinator.validateCommit('simple', -1, '')).toBe(GroupError.NONE);
    clock.advance(DAY_MS - 1);
    await settle();
    expect(expired).toEqual([]);
    clock.advance(CHECK_MS);
    await settle();
    expect(expired).toEqual(['simple']);
    expect(coordinator.describeGroups(['simple'])[0]!.groupState).toBe('Dead');
    expect(coordinator.validateCommit('simple', -1, '')).toBe(GroupError.COORDINATOR_NOT_AVAILABLE);
    expect((await coordinator.joinGroup(joinRequest({ groupId: 'simple' }))).errorCode).toBe(GroupError.COORDINATOR_NOT_AVAILABLE);
    finish();
    await settle();
    expect(coordinator.listGroups().groups).toEqual([]);
    expect(coordinator.validateCommit('simple', -1, '')).toBe(GroupError.NONE);
  });

  it('a failed deletion brings the group back Empty, and the next check tries again; groups without offsets just go', async () => {
    let calls = 0;
    const { coordinator, clock } = setup({ offsetsRetentionMs: DAY_MS, onGroupExpired: async () => { calls++; if (calls === 1) throw new Error('disk full'); } });
    coordinator.restoreGroupsWithOffsets(['restored']);
    await coordinator.joinGroup(joinRequest({ groupId: 'no-offsets', protocolType: '' }));
    expect(coordinator.listGroups().groups.map((g) => g.groupId)).toEqual(['restored', 'no-offsets']);
    clock.advance(CHECK_MS);
    expect(coordinator.listGroups().groups.map((g) => g.groupId)).toEqual(['restored']);
    clock.advance(DAY_MS);
    await settle();
    expect(calls).toBe(1);
    expect(coordinator.listGroups().groups).toEqual([{ groupId: 'restored', protocolType: '', groupState: 'Empty' }]);
    clock.advance(CHECK_MS);
    await settle();
    expect(calls).toBe(2);
    expect(coordinator.listGroups().groups).toEqual([]);
  });

  it('a group with members does not expire', async () => {
    const { coordinator, clock } = setup({ offsetsRetentionMs: CHECK_MS });
    const g = await stableGroupOfTwo(coordinator, clock);
    expect(coordinator.validateCommit(GROUP, g.generationId, g.a)).toBe(GroupError.NONE);
    // Heartbeating every 3 s for 30 minutes of fake time.
    for (let t = 0; t < 3 * CHECK_MS; t += 3_000) {
      clock.advance(3_000);
      heartbeat(coordinator, g.a, g.generationId);
      heartbeat(coordinator, g.b, g.generationId);
    }
    expect(coordinator.describeGroups([GROUP])[0]!.groupState).toBe('Stable');
  });

  it('shutdown answers every waiting call with COORDINATOR_NOT_AVAILABLE and clears every timer', async () => {
    const { coordinator, clock } = setup();
    const g = await stableGroupOfTwo(coordinator, clock);
    const c = await joinNew(coordinator, { groupId: 'other', clientId: 'c' });
    const ra = rejoin(coordinator, g.a);
    const pending = await coordinator.joinGroup(joinRequest());
    expect(pending.errorCode).toBe(GroupError.MEMBER_ID_REQUIRED);
    coordinator.shutdown();
    expect(await c.joined).toMatchObject({ errorCode: GroupError.COORDINATOR_NOT_AVAILABLE, memberId: c.memberId });
    expect((await ra).errorCode).toBe(GroupError.COORDINATOR_NOT_AVAILABLE);
    expect(clock.pending).toBe(0);
    expect(heartbeat(coordinator, g.b, g.generationId)).toBe(GroupError.COORDINATOR_NOT_AVAILABLE);
    expect((await coordinator.joinGroup(joinRequest())).errorCode).toBe(GroupError.COORDINATOR_NOT_AVAILABLE);
    expect(coordinator.validateCommit(GROUP, -1, '')).toBe(GroupError.COORDINATOR_NOT_AVAILABLE);
    expect(coordinator.listGroups()).toEqual({ errorCode: GroupError.COORDINATOR_NOT_AVAILABLE, groups: [] });
    expect(coordinator.describeGroups([GROUP])[0]).toMatchObject({ errorCode: GroupError.COORDINATOR_NOT_AVAILABLE, groupState: '' });
  });

  it('shutdown answers a follower waiting for the leader\'s assignment', async () => {
    const { coordinator, clock } = setup();
    const a = await joinNew(coordinator, { clientId: 'a' });
    const b = await joinNew(coordinator, { clientId: 'b' });
    clock.advance(0);
    await Promise.all([a.joined, b.joined]);
    const followerSync = sync(coordinator, b.memberId, 1);
    expect(await peek(followerSync)).toBe(PENDING);
    coordinator.shutdown();
    expect((await followerSync).errorCode).toBe(GroupError.COORDINATOR_NOT_AVAILABLE);
  });

  it('describes an unknown group as Dead, as Kafka does before DescribeGroups v6', () => {
    const { coordinator } = setup();
    expect(coordinator.describeGroups(['nobody'])).toEqual([{ errorCode: 0, groupId: 'nobody', groupState: 'Dead', protocolType: '', protocolData: '', members: [] }]);
  });
});
