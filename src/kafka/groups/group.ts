import type { TimerHandle } from './scheduler.js';
import type {
  DescribedGroup, GroupProtocol, GroupState, JoinGroupResponseMember, JoinGroupResult, ListedGroup, SyncGroupResult,
} from './messages.js';
import { KafkaError as GroupError } from '../protocol/error-codes.js';

/**
 * The states a group may enter each state from, as Kafka's GroupMetadata: Empty -> PreparingRebalance
 * (a member joins) -> CompletingRebalance (the join phase is over, the leader assigns) -> Stable (the
 * leader's assignment arrived); any of them -> PreparingRebalance again when membership changes; Empty
 * -> Dead when the group expires.
 */
const VALID_PREVIOUS: Readonly<Record<GroupState, readonly GroupState[]>> = {
  Dead: ['Stable', 'PreparingRebalance', 'CompletingRebalance', 'Empty', 'Dead'],
  CompletingRebalance: ['PreparingRebalance'],
  Stable: ['CompletingRebalance'],
  PreparingRebalance: ['Stable', 'CompletingRebalance', 'Empty'],
  Empty: ['PreparingRebalance'],
};

const NO_BYTES = new Uint8Array(0);

export function joinError(memberId: string, errorCode: number): JoinGroupResult {
  return { errorCode, generationId: -1, protocolType: null, protocolName: null, leader: '', memberId, members: [] };
}

export function syncError(errorCode: number): SyncGroupResult {
  return { errorCode, protocolType: null, protocolName: null, assignment: NO_BYTES };
}

/** One member of a group: its protocols, timeouts, assignment and the requests it has waiting. */
export class Member {
  assignment: Uint8Array = NO_BYTES;
  /** Set while its JoinGroup waits for the join phase to end. */
  awaitingJoin: ((result: JoinGroupResult) => void) | undefined;
  /** Set while its SyncGroup waits for the leader's assignment. */
  awaitingSync: ((result: SyncGroupResult) => void) | undefined;
  /** Joined, and not yet through a completed join phase: it cannot heartbeat, so it expires on its own timer. */
  isNew = true;
  heartbeatTimer: TimerHandle | undefined;

  constructor(
    readonly memberId: string,
    readonly groupInstanceId: string | null,
    readonly clientId: string,
    readonly clientHost: string,
    public rebalanceTimeoutMs: number,
    public sessionTimeoutMs: number,
    readonly protocolType: string,
    public protocols: readonly GroupProtocol[],
  ) {}

  /** Same protocols, in the same order, with the same metadata bytes. */
  matches(protocols: readonly GroupProtocol[]): boolean {
    return protocols.length === this.protocols.length
      && protocols.every((p, i) => p.name === this.protocols[i]!.name && sameBytes(p.metadata, this.protocols[i]!.metadata));
  }

  metadata(protocol: string): Uint8Array {
    const found = this.protocols.find((p) => p.name === protocol);
    if (!found) throw new Error(`member ${this.memberId} does not support protocol ${protocol}`);
    return found.metadata;
  }

  /** Its most preferred protocol among the candidates. */
  vote(candidates: ReadonlySet<string>): string {
    const found = this.protocols.find((p) => candidates.has(p.name));
    if (!found) throw new Error(`member ${this.memberId} supports none of the candidate protocols`);
    return found.name;
  }

  /**
   * Whether its heartbeat deadline passes without removing it: a member waiting in a rebalance is
   * alive by waiting, unless it is new (a new member's join may wait only so long).
   */
  get heartbeatSatisfiedByWaiting(): boolean {
    return !this.isNew && (this.awaitingJoin !== undefined || this.awaitingSync !== undefined);
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * One consumer group's membership and generation (Kafka's GroupMetadata). Pure bookkeeping: the
 * coordinator decides when things happen and owns the timers kept here.
 */
export class Group {
  private currentState: GroupState = 'Empty';
  /** When the group entered its current state (offset retention counts from when it became Empty). */
  stateSinceMs: number;
  generationId = 0;
  protocolType: string | null = null;
  protocolName: string | null = null;
  leaderId: string | null = null;
  /** In join order: the leader's successor is the oldest remaining member. */
  readonly members = new Map<string, Member>();
  /** Member ids handed out with MEMBER_ID_REQUIRED and not yet joined with, each with its expiry timer. */
  readonly pendingMembers = new Map<string, TimerHandle>();
  /** Members of this generation that have not sent SyncGroup yet. */
  readonly pendingSyncMembers = new Set<string>();
  /** A member joined during the initial delay, so the join phase waits another delay. */
  newMemberAdded = false;
  /** The join phase's timer (the initial delay or the rebalance timeout). */
  joinTimer: { handle: TimerHandle; initial: boolean } | undefined;
  syncTimer: TimerHandle | undefined;
  /** Offsets were committed for this group (so its expiry deletes them). */
  hasOffsets = false;
  lastCommitMs = 0;

  constructor(readonly groupId: string, nowMs: number) {
    this.stateSinceMs = nowMs;
  }

  get state(): GroupState {
    return this.currentState;
  }

  is(state: GroupState): boolean {
    return this.currentState === state;
  }

  transitionTo(state: GroupState, nowMs: number): void {
    if (!VALID_PREVIOUS[state].includes(this.currentState)) {
      throw new Error(`group ${this.groupId}: cannot move from ${this.currentState} to ${state}`);
    }
    this.currentState = state;
    this.stateSinceMs = nowMs;
  }

  get canRebalance(): boolean {
    return VALID_PREVIOUS.PreparingRebalance.includes(this.currentState);
  }

  isLeader(memberId: string): boolean {
    return this.leaderId === memberId;
  }

  add(member: Member): void {
    if (this.members.size === 0) this.protocolType = member.protocolType;
    if (this.protocolType !== member.protocolType || !this.supportsProtocols(member.protocolType, member.protocols)) {
      throw new Error(`group ${this.groupId}: member ${member.memberId} does not fit the group's protocols`);
    }
    this.leaderId ??= member.memberId;
    this.members.set(member.memberId, member);
    this.pendingMembers.delete(member.memberId);
  }

  /** Removes the member from the books; its waiting requests and timers are the caller's to settle. */
  remove(memberId: string): void {
    this.members.delete(memberId);
    this.pendingSyncMembers.delete(memberId);
    if (this.leaderId === memberId) this.leaderId = this.members.keys().next().value ?? null;
  }

  /** Protocols every member supports. */
  private candidateProtocols(): Set<string> {
    let common: Set<string> | undefined;
    for (const m of this.members.values()) {
      const names = new Set(m.protocols.map((p) => p.name));
      common = common ? new Set([...common].filter((n) => names.has(n))) : names;
    }
    return common ?? new Set();
  }

  /**
   * Whether a member with these protocols may join: into an Empty group any non-empty protocol type
   * with a protocol; otherwise the group's type and a protocol every member supports, as Kafka checks.
   */
  supportsProtocols(protocolType: string, protocols: readonly GroupProtocol[]): boolean {
    if (this.is('Empty')) return protocolType !== '' && protocols.length > 0;
    if (this.protocolType !== protocolType) return false;
    if (this.members.size === 0) return protocols.length > 0;
    const candidates = this.candidateProtocols();
    return protocols.some((p) => candidates.has(p.name));
  }

  /**
   * The protocol of the next generation: each member votes for its most preferred protocol among
   * those all members support, and the most votes win; a tie goes to the protocol voted for first
   * in join order (Kafka leaves ties to hash order).
   */
  selectProtocol(): string {
    const candidates = this.candidateProtocols();
    const votes = new Map<string, number>();
    for (const m of this.members.values()) {
      const choice = m.vote(candidates);
      votes.set(choice, (votes.get(choice) ?? 0) + 1);
    }
    let best: string | undefined;
    for (const [name, n] of votes) if (best === undefined || n > votes.get(best)!) best = name;
    if (best === undefined) throw new Error(`group ${this.groupId}: no protocol to select for an empty group`);
    return best;
  }

  /** Every member has rejoined and no member id handed out is still expected. */
  hasAllMembersJoined(): boolean {
    if (this.pendingMembers.size > 0) return false;
    for (const m of this.members.values()) if (!m.awaitingJoin) return false;
    return true;
  }

  numAwaitingJoin(): number {
    let n = 0;
    for (const m of this.members.values()) if (m.awaitingJoin) n++;
    return n;
  }

  /** The longest rebalance timeout of the members: how long a join phase may wait. */
  rebalanceTimeoutMs(): number {
    let max = 0;
    for (const m of this.members.values()) max = Math.max(max, m.rebalanceTimeoutMs);
    return max;
  }

  /** Starts the next generation once the join phase is over. */
  initNextGeneration(nowMs: number): void {
    this.generationId += 1;
    if (this.members.size > 0) {
      this.protocolName = this.selectProtocol();
      this.transitionTo('CompletingRebalance', nowMs);
    } else {
      this.protocolName = null;
      this.transitionTo('Empty', nowMs);
    }
    this.pendingSyncMembers.clear();
  }

  /** The members as the leader's JoinGroup answer lists them, with their metadata for the chosen protocol. */
  joinMembers(): JoinGroupResponseMember[] {
    return [...this.members.values()].map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, metadata: m.metadata(this.protocolName!) }));
  }

  /** The JoinGroup answer of the current generation for one member. */
  joinResult(memberId: string): JoinGroupResult {
    return {
      errorCode: GroupError.NONE,
      generationId: this.generationId,
      protocolType: this.protocolType,
      protocolName: this.protocolName,
      leader: this.leaderId ?? '',
      memberId,
      members: this.isLeader(memberId) ? this.joinMembers() : [],
    };
  }

  listed(): ListedGroup {
    return { groupId: this.groupId, protocolType: this.protocolType ?? '', groupState: this.currentState };
  }

  /** DescribeGroups: member metadata and assignments only while Stable, as Kafka's summary. */
  described(): DescribedGroup {
    const stable = this.is('Stable');
    return {
      errorCode: GroupError.NONE,
      groupId: this.groupId,
      groupState: this.currentState,
      protocolType: this.protocolType ?? '',
      protocolData: stable ? this.protocolName ?? '' : '',
      members: [...this.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        memberMetadata: stable ? m.metadata(this.protocolName!) : NO_BYTES,
        memberAssignment: stable ? m.assignment : NO_BYTES,
      })),
    };
  }
}
