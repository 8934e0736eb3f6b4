import { randomUUID } from 'node:crypto';
import { KafkaError as GroupError } from '../protocol/error-codes.js';
import { Group, joinError, Member, syncError } from './group.js';
import type {
  DescribedGroup, HeartbeatRequest, JoinGroupRequest, JoinGroupResult, LeaveGroupMember,
  LeaveGroupMemberResult, LeaveGroupRequest, LeaveGroupResult, ListedGroup, SyncGroupRequest, SyncGroupResult,
} from './messages.js';
import { systemScheduler, type Scheduler, type TimerHandle } from './scheduler.js';

export interface GroupCoordinatorOptions {
  readonly scheduler?: Scheduler;
  /** group.min.session.timeout.ms: a shorter session timeout is INVALID_SESSION_TIMEOUT. */
  readonly groupMinSessionTimeoutMs?: number;
  /** group.max.session.timeout.ms: a longer session timeout is INVALID_SESSION_TIMEOUT. */
  readonly groupMaxSessionTimeoutMs?: number;
  /** group.initial.rebalance.delay.ms: how long a group's first join phase waits for more members. */
  readonly groupInitialRebalanceDelayMs?: number;
  /** group.max.size: members per group; one more is GROUP_MAX_SIZE_REACHED. */
  readonly groupMaxSize?: number;
  /** Groups held at once; a new one beyond is COORDINATOR_NOT_AVAILABLE until one expires. */
  readonly groupsMax?: number;
  /** offsets.retention.minutes, in ms: an Empty group with offsets expires this long after it was last used. */
  readonly offsetsRetentionMs?: number;
  /** offsets.retention.check.interval.ms: how often expired groups are looked for. */
  readonly offsetsRetentionCheckIntervalMs?: number;
  /** How long a new member's JoinGroup may wait in a join phase (Kafka's NewMemberJoinTimeoutMs). */
  readonly newMemberJoinTimeoutMs?: number;
  /** Protocols one JoinGroup may offer; more is INVALID_REQUEST. */
  readonly protocolsPerMemberMax?: number;
  /** Metadata bytes of all protocols one JoinGroup offers; more is INVALID_REQUEST. */
  readonly memberMetadataBytesMax?: number;
  /** Bytes of the leader's assignment for the whole group; more is INVALID_REQUEST to the leader. */
  readonly groupAssignmentBytesMax?: number;
  /**
   * Called when an Empty group's offsets expire, to delete them (OffsetStore.deleteGroup). The group
   * is Dead until it settles (its member ids and commits are refused); a rejection brings it back
   * Empty, so the next check tries again.
   */
  readonly onGroupExpired?: (groupId: string) => Promise<void>;
}

/** Kafka's defaults, except the initial rebalance delay (Kafka: 3000 ms), which is short for a single server. */
export const GROUP_COORDINATOR_DEFAULTS = {
  groupMinSessionTimeoutMs: 6_000,
  groupMaxSessionTimeoutMs: 1_800_000,
  groupInitialRebalanceDelayMs: 300,
  groupMaxSize: 1_000,
  groupsMax: 100_000,
  offsetsRetentionMs: 7 * 24 * 3_600_000,
  offsetsRetentionCheckIntervalMs: 600_000,
  newMemberJoinTimeoutMs: 300_000,
  protocolsPerMemberMax: 64,
  memberMetadataBytesMax: 1 << 20,
  groupAssignmentBytesMax: 64 << 20,
} as const;

/**
 * The longest group id (UTF-8 bytes) served: with a topic name (at most 249 characters in Kafka)
 * it must fit the offsets table's primary key, whose encoding is at most 1978 bytes.
 */
export const GROUP_ID_BYTES_MAX = 512;

type Settings = Required<Omit<GroupCoordinatorOptions, 'onGroupExpired' | 'scheduler'>>;
type JoinCallback = (result: JoinGroupResult) => void;
type SyncCallback = (result: SyncGroupResult) => void;

/**
 * The classic consumer-group protocol (JoinGroup, SyncGroup, Heartbeat, LeaveGroup) as Kafka's
 * GroupCoordinator runs it, over an injected clock. A rebalance: a membership change moves the group
 * to PreparingRebalance; every member must rejoin within the rebalance timeout (those that do not are
 * removed); the join phase ends with a new generation, a chosen protocol and a leader, who gets the
 * members' metadata and answers with SyncGroup carrying everyone's assignment; the group is Stable
 * once it arrives. Members heartbeat within their session timeout or are removed. Every call is
 * answered: waiting ones when the phase they wait for ends, a newer request of the same member
 * replaces them, the member is removed, or the coordinator shuts down.
 */
export class GroupCoordinator {
  private readonly groups = new Map<string, Group>();
  private readonly scheduler: Scheduler;
  private readonly settings: Settings;
  private readonly onGroupExpired: ((groupId: string) => Promise<void>) | undefined;
  private active = true;
  private sweepTimer: TimerHandle | undefined;

  constructor(options: GroupCoordinatorOptions = {}) {
    const { scheduler, onGroupExpired, ...rest } = options;
    this.scheduler = scheduler ?? systemScheduler;
    this.onGroupExpired = onGroupExpired;
    this.settings = { ...GROUP_COORDINATOR_DEFAULTS, ...definedOnly(rest) };
    this.scheduleSweep();
  }

  joinGroup(request: JoinGroupRequest): Promise<JoinGroupResult> {
    return new Promise((resolve) => this.join(request, resolve));
  }

  syncGroup(request: SyncGroupRequest): Promise<SyncGroupResult> {
    return new Promise((resolve) => this.sync(request, resolve));
  }

  heartbeat(request: HeartbeatRequest): { errorCode: number } {
    return { errorCode: this.heartbeatError(request) };
  }

  leaveGroup(request: LeaveGroupRequest): LeaveGroupResult {
    const single = 'memberId' in request;
    const identities = single ? [{ memberId: request.memberId, groupInstanceId: null }] : request.members;
    const error = this.requestError(request.groupId, false);
    const result = error !== GroupError.NONE ? { errorCode: error, members: [] } : this.leave(request.groupId, identities);
    if (!single) return result;
    return { errorCode: result.errorCode || (result.members[0]?.errorCode ?? GroupError.NONE), members: result.members };
  }

  listGroups(): { errorCode: number; groups: ListedGroup[] } {
    if (!this.active) return { errorCode: GroupError.COORDINATOR_NOT_AVAILABLE, groups: [] };
    return { errorCode: GroupError.NONE, groups: [...this.groups.values()].map((g) => g.listed()) };
  }

  describeGroups(groupIds: readonly string[]): DescribedGroup[] {
    return groupIds.map((groupId) => {
      const errorCode = this.requestError(groupId, true);
      if (errorCode !== GroupError.NONE) return { errorCode, groupId, groupState: '', protocolType: '', protocolData: '', members: [] };
      return this.groups.get(groupId)?.described() ?? { errorCode, groupId, groupState: 'Dead', protocolType: '', protocolData: '', members: [] };
    });
  }

  /**
   * May an OffsetCommit of this member and generation be stored? As Kafka: an Empty group (or none
   * yet) takes "simple" commits with generation -1; otherwise the member and its generation must be
   * current, and not while the leader's assignment is awaited. A commit admitted counts as the
   * member's heartbeat, creates the group if there was none, and marks it as having offsets.
   */
  validateCommit(groupId: string, generationId: number, memberId: string, groupInstanceId: string | null = null): number {
    const error = this.requestError(groupId, true);
    if (error !== GroupError.NONE) return error;
    let group = this.groups.get(groupId);
    if (!group) {
      if (generationId >= 0) return GroupError.ILLEGAL_GENERATION;
      group = this.createGroup(groupId);
      if (!group) return GroupError.COORDINATOR_NOT_AVAILABLE;
    }
    const errorCode = this.commitError(group, generationId, memberId, groupInstanceId);
    if (errorCode === GroupError.NONE) {
      group.hasOffsets = true;
      group.lastCommitMs = this.scheduler.now();
    }
    return errorCode;
  }

  /** Groups whose offsets are stored (OffsetStore.groupsWithOffsets at start-up): Empty, so they list and expire. */
  restoreGroupsWithOffsets(groupIds: Iterable<string>): void {
    for (const groupId of groupIds) {
      if (this.groups.has(groupId)) continue;
      const group = new Group(groupId, this.scheduler.now());
      group.hasOffsets = true;
      this.groups.set(groupId, group);
    }
  }

  /** Answers every waiting call with COORDINATOR_NOT_AVAILABLE, clears every timer; later calls get the same. */
  shutdown(): void {
    this.active = false;
    if (this.sweepTimer) this.scheduler.clearTimeout(this.sweepTimer);
    this.sweepTimer = undefined;
    for (const group of this.groups.values()) {
      this.clearJoinTimer(group);
      this.clearSyncTimer(group);
      for (const handle of group.pendingMembers.values()) this.scheduler.clearTimeout(handle);
      group.pendingMembers.clear();
      for (const member of group.members.values()) this.settle(member, GroupError.COORDINATOR_NOT_AVAILABLE);
    }
    this.groups.clear();
  }

  // ----------------------------------------------------------------------------------------------
  // JoinGroup

  private join(req: JoinGroupRequest, respond: JoinCallback): void {
    const error = this.joinRequestError(req);
    if (error !== GroupError.NONE) return respond(joinError(req.memberId, error));
    const isNewMember = req.memberId === '';
    let group = this.groups.get(req.groupId);
    if (!group) {
      if (!isNewMember) return respond(joinError(req.memberId, GroupError.UNKNOWN_MEMBER_ID));
      group = this.createGroup(req.groupId);
      if (!group) return respond(joinError(req.memberId, GroupError.COORDINATOR_NOT_AVAILABLE));
    }
    if (!this.acceptsJoiningMember(group, req.memberId)) {
      this.forget(group, req.memberId);
      respond(joinError('', GroupError.GROUP_MAX_SIZE_REACHED));
    } else if (isNewMember) {
      this.joinNewMember(group, req, respond);
    } else {
      this.joinCurrentMember(group, req, respond);
    }
    if (group.is('PreparingRebalance')) this.tryCompleteJoin(group);
  }

  private joinRequestError(req: JoinGroupRequest): number {
    const error = this.requestError(req.groupId, false);
    if (error !== GroupError.NONE) return error;
    const { groupMinSessionTimeoutMs: min, groupMaxSessionTimeoutMs: max } = this.settings;
    if (req.sessionTimeoutMs < min || req.sessionTimeoutMs > max) return GroupError.INVALID_SESSION_TIMEOUT;
    const metadataBytes = req.protocols.reduce((n, p) => n + p.metadata.length, 0);
    if (req.protocols.length > this.settings.protocolsPerMemberMax || metadataBytes > this.settings.memberMetadataBytesMax) {
      return GroupError.INVALID_REQUEST;
    }
    return GroupError.NONE;
  }

  /**
   * Room for the joining member, as Kafka counts it: during a join phase, by the members that have
   * rejoined (so an over-full group sheds the last to rejoin); otherwise by the members. A new member
   * also counts the member ids handed out and not yet joined with, so MEMBER_ID_REQUIRED cannot pile up.
   */
  private acceptsJoiningMember(group: Group, memberId: string): boolean {
    const max = this.settings.groupMaxSize;
    const handedOut = memberId === '' ? group.pendingMembers.size : 0;
    switch (group.state) {
      case 'Empty':
      case 'Dead':
        return true;
      case 'PreparingRebalance':
        return group.members.get(memberId)?.awaitingJoin !== undefined || group.numAwaitingJoin() + handedOut < max;
      case 'CompletingRebalance':
      case 'Stable':
        return group.members.has(memberId) || group.members.size + handedOut < max;
    }
  }

  private joinNewMember(group: Group, req: JoinGroupRequest, respond: JoinCallback): void {
    if (group.is('Dead')) return respond(joinError('', GroupError.COORDINATOR_NOT_AVAILABLE));
    if (!group.supportsProtocols(req.protocolType, req.protocols)) return respond(joinError('', GroupError.INCONSISTENT_GROUP_PROTOCOL));
    const memberId = `${req.clientId}-${randomUUID()}`;
    if (!req.requireKnownMemberId) return this.addMemberAndRebalance(group, memberId, req, respond);
    // KIP-394: the member rejoins with this id; until then it is pending, for one session timeout.
    group.pendingMembers.set(memberId, this.scheduler.setTimeout(() => this.expirePendingMember(group, memberId), req.sessionTimeoutMs));
    respond(joinError(memberId, GroupError.MEMBER_ID_REQUIRED));
  }

  private joinCurrentMember(group: Group, req: JoinGroupRequest, respond: JoinCallback): void {
    if (group.is('Dead')) return respond(joinError(req.memberId, GroupError.COORDINATOR_NOT_AVAILABLE));
    if (!group.supportsProtocols(req.protocolType, req.protocols)) return respond(joinError(req.memberId, GroupError.INCONSISTENT_GROUP_PROTOCOL));
    if (group.pendingMembers.has(req.memberId)) return this.addMemberAndRebalance(group, req.memberId, req, respond);
    const member = group.members.get(req.memberId);
    if (!member) return respond(joinError(req.memberId, GroupError.UNKNOWN_MEMBER_ID));
    switch (group.state) {
      case 'PreparingRebalance':
        return this.updateMemberAndRebalance(group, member, req, respond);
      case 'CompletingRebalance':
        // Same metadata: the member missed the join answer; give it the current generation again.
        if (member.matches(req.protocols)) return respond(group.joinResult(member.memberId));
        return this.updateMemberAndRebalance(group, member, req, respond);
      case 'Stable':
        // The leader's join forces a rebalance: that is how it reacts to changes its metadata does not show.
        if (group.isLeader(member.memberId) || !member.matches(req.protocols)) return this.updateMemberAndRebalance(group, member, req, respond);
        return respond(group.joinResult(member.memberId));
      case 'Empty':
      case 'Dead':
        return respond(joinError(req.memberId, GroupError.UNKNOWN_MEMBER_ID));
    }
  }

  private addMemberAndRebalance(group: Group, memberId: string, req: JoinGroupRequest, respond: JoinCallback): void {
    const member = new Member(memberId, req.groupInstanceId, req.clientId, req.clientHost, rebalanceTimeoutOf(req), req.sessionTimeoutMs, req.protocolType, req.protocols);
    if (group.is('PreparingRebalance') && group.generationId === 0) group.newMemberAdded = true;
    const pending = group.pendingMembers.get(memberId);
    if (pending) this.scheduler.clearTimeout(pending);
    group.add(member);
    member.awaitingJoin = respond;
    // A new member cannot heartbeat before its first generation; its join may wait this long.
    this.scheduleHeartbeat(group, member, this.settings.newMemberJoinTimeoutMs);
    this.maybePrepareRebalance(group);
  }

  private updateMemberAndRebalance(group: Group, member: Member, req: JoinGroupRequest, respond: JoinCallback): void {
    member.protocols = req.protocols;
    member.rebalanceTimeoutMs = rebalanceTimeoutOf(req);
    member.sessionTimeoutMs = req.sessionTimeoutMs;
    member.awaitingJoin?.(joinError(member.memberId, GroupError.REBALANCE_IN_PROGRESS));
    member.awaitingJoin = respond;
    this.maybePrepareRebalance(group);
  }

  private expirePendingMember(group: Group, memberId: string): void {
    if (!group.pendingMembers.delete(memberId)) return;
    if (group.is('PreparingRebalance')) this.tryCompleteJoin(group);
  }

  // ----------------------------------------------------------------------------------------------
  // The join phase

  private maybePrepareRebalance(group: Group): void {
    if (group.canRebalance) this.prepareRebalance(group);
  }

  private prepareRebalance(group: Group): void {
    // Members waiting for the leader's assignment must rejoin instead.
    if (group.is('CompletingRebalance')) this.resetAndPropagateAssignmentError(group, GroupError.REBALANCE_IN_PROGRESS);
    this.clearSyncTimer(group);
    group.pendingSyncMembers.clear();
    const wasEmpty = group.is('Empty');
    const rebalanceTimeoutMs = group.rebalanceTimeoutMs();
    group.transitionTo('PreparingRebalance', this.scheduler.now());
    if (wasEmpty) {
      const delayMs = this.settings.groupInitialRebalanceDelayMs;
      this.startInitialDelay(group, delayMs, Math.max(rebalanceTimeoutMs - delayMs, 0));
    } else {
      this.setJoinTimer(group, false, rebalanceTimeoutMs, () => this.completeJoin(group));
      this.tryCompleteJoin(group);
    }
  }

  /**
   * A new group's first join phase waits `delayMs` for more members, and again while members keep
   * arriving, up to the rebalance timeout (Kafka's InitialDelayedJoin), so a consumer group starting
   * all at once gets one rebalance instead of one per member.
   */
  private startInitialDelay(group: Group, delayMs: number, remainingMs: number): void {
    this.setJoinTimer(group, true, delayMs, () => {
      if (group.newMemberAdded && remainingMs !== 0) {
        group.newMemberAdded = false;
        this.startInitialDelay(group, Math.min(this.settings.groupInitialRebalanceDelayMs, remainingMs), Math.max(remainingMs - delayMs, 0));
      } else {
        this.completeJoin(group);
      }
    });
  }

  private setJoinTimer(group: Group, initial: boolean, ms: number, fire: () => void): void {
    this.clearJoinTimer(group);
    const handle = this.scheduler.setTimeout(() => {
      group.joinTimer = undefined;
      fire();
    }, ms);
    group.joinTimer = { handle, initial };
  }

  private clearJoinTimer(group: Group): void {
    if (group.joinTimer) this.scheduler.clearTimeout(group.joinTimer.handle);
    group.joinTimer = undefined;
  }

  /** The join phase ends early once everyone expected has rejoined (never during the initial delay). */
  private tryCompleteJoin(group: Group): void {
    if (group.joinTimer && !group.joinTimer.initial && group.hasAllMembersJoined()) this.completeJoin(group);
  }

  /** Ends the join phase: members that did not rejoin are out; the rest get the new generation. */
  private completeJoin(group: Group): void {
    this.clearJoinTimer(group);
    for (const member of [...group.members.values()]) if (!member.awaitingJoin) this.dropMember(group, member);
    group.initNextGeneration(this.scheduler.now());
    if (group.is('Empty')) return;
    for (const member of group.members.values()) {
      const respond = member.awaitingJoin!;
      member.awaitingJoin = undefined;
      respond(group.joinResult(member.memberId));
      this.scheduleHeartbeat(group, member, member.sessionTimeoutMs);
      member.isNew = false;
      group.pendingSyncMembers.add(member.memberId);
    }
    this.scheduleSyncExpiration(group);
  }

  // ----------------------------------------------------------------------------------------------
  // SyncGroup

  private sync(req: SyncGroupRequest, respond: SyncCallback): void {
    const error = this.requestError(req.groupId, false);
    if (error !== GroupError.NONE) return respond(syncError(error));
    const group = this.groups.get(req.groupId);
    if (!group) return respond(syncError(GroupError.UNKNOWN_MEMBER_ID));
    if (group.is('Dead')) return respond(syncError(GroupError.COORDINATOR_NOT_AVAILABLE));
    const member = group.members.get(req.memberId);
    if (!member) return respond(syncError(GroupError.UNKNOWN_MEMBER_ID));
    if (req.generationId !== group.generationId) return respond(syncError(GroupError.ILLEGAL_GENERATION));
    if ((req.protocolType !== null && req.protocolType !== group.protocolType) || (req.protocolName !== null && req.protocolName !== group.protocolName)) {
      return respond(syncError(GroupError.INCONSISTENT_GROUP_PROTOCOL));
    }
    switch (group.state) {
      case 'Empty':
      case 'Dead':
        return respond(syncError(GroupError.UNKNOWN_MEMBER_ID));
      case 'PreparingRebalance':
        return respond(syncError(GroupError.REBALANCE_IN_PROGRESS));
      case 'CompletingRebalance':
        return this.syncAwaitingAssignment(group, member, req, respond);
      case 'Stable':
        this.removePendingSyncMember(group, member.memberId);
        respond({ errorCode: GroupError.NONE, protocolType: group.protocolType, protocolName: group.protocolName, assignment: member.assignment });
        return this.scheduleHeartbeat(group, member, member.sessionTimeoutMs);
    }
  }

  /** A follower waits for the leader; the leader's assignment (missing members get none) makes the group Stable. */
  private syncAwaitingAssignment(group: Group, member: Member, req: SyncGroupRequest, respond: SyncCallback): void {
    const assignment = group.isLeader(member.memberId) ? this.groupAssignment(group, req.assignments) : undefined;
    if (assignment === null) return respond(syncError(GroupError.INVALID_REQUEST));
    member.awaitingSync?.(syncError(GroupError.REBALANCE_IN_PROGRESS));
    member.awaitingSync = respond;
    this.removePendingSyncMember(group, member.memberId);
    if (!assignment) return;
    for (const m of group.members.values()) m.assignment = assignment.get(m.memberId) ?? new Uint8Array(0);
    this.propagateAssignment(group, GroupError.NONE);
    group.transitionTo('Stable', this.scheduler.now());
  }

  /** The leader's assignment of the group's members (others ignored, the last one of a member kept); null when too large. */
  private groupAssignment(group: Group, assignments: SyncGroupRequest['assignments']): Map<string, Uint8Array> | null {
    const byMember = new Map<string, Uint8Array>();
    for (const a of assignments) if (group.members.has(a.memberId)) byMember.set(a.memberId, a.assignment);
    let bytes = 0;
    for (const a of byMember.values()) bytes += a.length;
    return bytes > this.settings.groupAssignmentBytesMax ? null : byMember;
  }

  private resetAndPropagateAssignmentError(group: Group, errorCode: number): void {
    for (const m of group.members.values()) m.assignment = new Uint8Array(0);
    this.propagateAssignment(group, errorCode);
  }

  /** Answers every waiting SyncGroup; each answered member's session starts again from now. */
  private propagateAssignment(group: Group, errorCode: number): void {
    const ok = errorCode === GroupError.NONE;
    for (const member of group.members.values()) {
      const respond = member.awaitingSync;
      if (!respond) continue;
      member.awaitingSync = undefined;
      respond({ errorCode, protocolType: ok ? group.protocolType : null, protocolName: ok ? group.protocolName : null, assignment: member.assignment });
      this.scheduleHeartbeat(group, member, member.sessionTimeoutMs);
    }
  }

  /** Members that do not send SyncGroup within the rebalance timeout are removed, and the group rebalances. */
  private scheduleSyncExpiration(group: Group): void {
    const generationId = group.generationId;
    this.clearSyncTimer(group);
    group.syncTimer = this.scheduler.setTimeout(() => {
      group.syncTimer = undefined;
      if (generationId !== group.generationId || !(group.is('CompletingRebalance') || group.is('Stable'))) return;
      for (const id of [...group.pendingSyncMembers]) this.dropMember(group, group.members.get(id)!);
      this.prepareRebalance(group);
    }, group.rebalanceTimeoutMs());
  }

  private removePendingSyncMember(group: Group, memberId: string): void {
    group.pendingSyncMembers.delete(memberId);
    if (group.pendingSyncMembers.size === 0) this.clearSyncTimer(group);
  }

  private clearSyncTimer(group: Group): void {
    if (group.syncTimer) this.scheduler.clearTimeout(group.syncTimer);
    group.syncTimer = undefined;
  }

  // ----------------------------------------------------------------------------------------------
  // Heartbeats, leaving, removal

  private heartbeatError(req: HeartbeatRequest): number {
    const error = this.requestError(req.groupId, false);
    if (error !== GroupError.NONE) return error;
    const group = this.groups.get(req.groupId);
    if (!group) return GroupError.UNKNOWN_MEMBER_ID;
    if (group.is('Dead')) return GroupError.COORDINATOR_NOT_AVAILABLE;
    const member = group.members.get(req.memberId);
    if (!member) return GroupError.UNKNOWN_MEMBER_ID;
    if (req.generationId !== group.generationId) return GroupError.ILLEGAL_GENERATION;
    switch (group.state) {
      case 'Empty':
      case 'Dead':
        return GroupError.UNKNOWN_MEMBER_ID;
      case 'PreparingRebalance':
        this.scheduleHeartbeat(group, member, member.sessionTimeoutMs);
        return GroupError.REBALANCE_IN_PROGRESS;
      case 'CompletingRebalance':
      case 'Stable':
        this.scheduleHeartbeat(group, member, member.sessionTimeoutMs);
        return GroupError.NONE;
    }
  }

  /** The member is removed unless a new heartbeat (or a waiting rebalance call) keeps it alive. */
  private scheduleHeartbeat(group: Group, member: Member, timeoutMs: number): void {
    if (member.heartbeatTimer) this.scheduler.clearTimeout(member.heartbeatTimer);
    member.heartbeatTimer = this.scheduler.setTimeout(() => {
      member.heartbeatTimer = undefined;
      if (group.members.get(member.memberId) === member && !member.heartbeatSatisfiedByWaiting) this.removeMemberAndUpdateGroup(group, member);
    }, timeoutMs);
  }

  private leave(groupId: string, identities: readonly LeaveGroupMember[]): LeaveGroupResult {
    const group = this.groups.get(groupId);
    const answer = (m: LeaveGroupMember, errorCode: number): LeaveGroupMemberResult => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, errorCode });
    if (!group) return { errorCode: GroupError.NONE, members: identities.map((m) => answer(m, GroupError.UNKNOWN_MEMBER_ID)) };
    if (group.is('Dead')) return { errorCode: GroupError.COORDINATOR_NOT_AVAILABLE, members: [] };
    // Removal by group instance id alone (memberId '') is static membership, which is not served.
    const members = identities.map((identity) => answer(identity, this.forget(group, identity.memberId) ? GroupError.NONE : GroupError.UNKNOWN_MEMBER_ID));
    return { errorCode: GroupError.NONE, members };
  }

  /** Removes a member or a member id handed out and not yet joined with; false when there was neither. */
  private forget(group: Group, memberId: string): boolean {
    const pending = group.pendingMembers.get(memberId);
    if (pending) {
      this.scheduler.clearTimeout(pending);
      this.expirePendingMember(group, memberId);
      return true;
    }
    const member = group.members.get(memberId);
    if (member) this.removeMemberAndUpdateGroup(group, member);
    return member !== undefined;
  }

  private removeMemberAndUpdateGroup(group: Group, member: Member): void {
    this.dropMember(group, member);
    switch (group.state) {
      case 'Stable':
      case 'CompletingRebalance':
        return this.maybePrepareRebalance(group);
      case 'PreparingRebalance':
        return this.tryCompleteJoin(group);
      case 'Empty':
      case 'Dead':
        return;
    }
  }

  /** Takes the member out; its waiting calls are answered UNKNOWN_MEMBER_ID, so a live client joins again. */
  private dropMember(group: Group, member: Member): void {
    this.settle(member, GroupError.UNKNOWN_MEMBER_ID);
    group.remove(member.memberId);
  }

  /**
   * Answers the member's waiting calls with an error and stops its heartbeat timer. A removed
   * member's join is answered without its id, as Kafka does, so the client starts afresh.
   */
  private settle(member: Member, errorCode: number): void {
    const { awaitingJoin, awaitingSync } = member;
    member.awaitingJoin = undefined;
    member.awaitingSync = undefined;
    awaitingJoin?.(joinError(errorCode === GroupError.UNKNOWN_MEMBER_ID ? '' : member.memberId, errorCode));
    awaitingSync?.(syncError(errorCode));
    if (member.heartbeatTimer) this.scheduler.clearTimeout(member.heartbeatTimer);
    member.heartbeatTimer = undefined;
  }

  // ----------------------------------------------------------------------------------------------
  // Offset commits and group expiry

  private commitError(group: Group, generationId: number, memberId: string, groupInstanceId: string | null): number {
    if (group.is('Dead')) return GroupError.COORDINATOR_NOT_AVAILABLE;
    if (generationId < 0 && group.is('Empty')) return GroupError.NONE;
    const member = group.members.get(memberId);
    if (generationId >= 0 || memberId !== '' || groupInstanceId !== null) {
      if (!member) return GroupError.UNKNOWN_MEMBER_ID;
      if (generationId !== group.generationId) return GroupError.ILLEGAL_GENERATION;
    } else if (!group.is('Empty')) {
      // A commit without member and generation is accepted only while no one is a member.
      return GroupError.UNKNOWN_MEMBER_ID;
    }
    if (group.is('CompletingRebalance')) return GroupError.REBALANCE_IN_PROGRESS;
    // Stable or PreparingRebalance: the commit is a sign of life; a heartbeat tells the member of a rebalance.
    if (member) this.scheduleHeartbeat(group, member, member.sessionTimeoutMs);
    return GroupError.NONE;
  }

  private scheduleSweep(): void {
    this.sweepTimer = this.scheduler.setTimeout(() => {
      this.sweep();
      this.scheduleSweep();
    }, this.settings.offsetsRetentionCheckIntervalMs);
  }

  /**
   * Empty groups without offsets go at once, as Kafka's offset expiry removes them; Empty groups
   * with offsets go once the retention has passed since they became Empty or last took a commit,
   * whichever is later (Kafka counts per offset; here the group's offsets go together). A group
   * that handed out a member id waits for that member (or the id's expiry) first.
   */
  private sweep(): void {
    const now = this.scheduler.now();
    for (const group of [...this.groups.values()]) {
      if (!group.is('Empty') || group.pendingMembers.size > 0) continue;
      if (!group.hasOffsets) this.groups.delete(group.groupId);
      else if (now >= Math.max(group.stateSinceMs, group.lastCommitMs) + this.settings.offsetsRetentionMs) this.expire(group);
    }
  }

  private expire(group: Group): void {
    const { groupId, stateSinceMs, lastCommitMs } = group;
    group.transitionTo('Dead', this.scheduler.now());
    const hook = this.onGroupExpired;
    if (!hook) {
      this.groups.delete(groupId);
      return;
    }
    Promise.resolve().then(() => hook(groupId)).then(
      () => {
        if (this.groups.get(groupId) === group) this.groups.delete(groupId);
      },
      () => {
        if (this.groups.get(groupId) !== group) return;
        // Its offsets are still stored: it is Empty again, as expired as before, for the next sweep.
        const back = new Group(groupId, stateSinceMs);
        back.hasOffsets = true;
        back.lastCommitMs = lastCommitMs;
        this.groups.set(groupId, back);
      },
    );
  }

  // ----------------------------------------------------------------------------------------------

  /** Kafka's first checks of every group request: the group id, then whether the coordinator serves. */
  private requestError(groupId: string, allowEmpty: boolean): number {
    if ((!allowEmpty && groupId === '') || Buffer.byteLength(groupId, 'utf8') > GROUP_ID_BYTES_MAX) return GroupError.INVALID_GROUP_ID;
    if (!this.active) return GroupError.COORDINATOR_NOT_AVAILABLE;
    return GroupError.NONE;
  }

  private createGroup(groupId: string): Group | undefined {
    if (this.groups.size >= this.settings.groupsMax) return undefined;
    const group = new Group(groupId, this.scheduler.now());
    this.groups.set(groupId, group);
    return group;
  }
}

/** JoinGroup v0 carries no rebalance timeout: the session timeout serves as one, as in Kafka. */
function rebalanceTimeoutOf(req: { readonly rebalanceTimeoutMs: number; readonly sessionTimeoutMs: number }): number {
  return req.rebalanceTimeoutMs < 0 ? req.sessionTimeoutMs : req.rebalanceTimeoutMs;
}

function definedOnly<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as Partial<T>;
}
