/**
 * What the coordinator takes and answers, field for field the Kafka JoinGroup, SyncGroup,
 * Heartbeat, LeaveGroup, ListGroups and DescribeGroups messages (names lower-camel as the
 * protocol codecs decode them), so a handler passes a decoded body in and encodes the answer.
 * Error codes are Kafka's numbers (protocol/error-codes.ts).
 */

export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';

export interface GroupProtocol {
  readonly name: string;
  readonly metadata: Uint8Array;
}

export interface JoinGroupRequest {
  readonly groupId: string;
  readonly sessionTimeoutMs: number;
  /** JoinGroup v0 has none: a negative value (the decoder's default, -1) means the session timeout, as Kafka does for v0. */
  readonly rebalanceTimeoutMs: number;
  /** '' for a member that has none yet. */
  readonly memberId: string;
  /** Static membership (KIP-345) is answered as dynamic: the id is kept and shown, nothing more. */
  readonly groupInstanceId: string | null;
  readonly protocolType: string;
  /** In the member's order of preference. */
  readonly protocols: readonly GroupProtocol[];
  readonly clientId: string;
  readonly clientHost: string;
  /** JoinGroup v4+ (KIP-394): a new member first gets MEMBER_ID_REQUIRED and an id to rejoin with. */
  readonly requireKnownMemberId: boolean;
}

export interface JoinGroupResponseMember {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly metadata: Uint8Array;
}

export interface JoinGroupResult {
  readonly errorCode: number;
  readonly generationId: number;
  /** null when the join failed; JoinGroup below v7 writes null as ''. */
  readonly protocolType: string | null;
  /** null when the join failed; JoinGroup below v7 writes null as ''. */
  readonly protocolName: string | null;
  readonly leader: string;
  readonly memberId: string;
  /** Only the leader's answer lists the members (with their metadata for the chosen protocol). */
  readonly members: readonly JoinGroupResponseMember[];
}

export interface SyncGroupAssignment {
  readonly memberId: string;
  readonly assignment: Uint8Array;
}

export interface SyncGroupRequest {
  readonly groupId: string;
  readonly generationId: number;
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  /** SyncGroup v5+; null when the request has none (then it is not checked). */
  readonly protocolType: string | null;
  /** SyncGroup v5+; null when the request has none (then it is not checked). */
  readonly protocolName: string | null;
  /** The leader's assignment; followers send none. */
  readonly assignments: readonly SyncGroupAssignment[];
}

export interface SyncGroupResult {
  readonly errorCode: number;
  readonly protocolType: string | null;
  readonly protocolName: string | null;
  readonly assignment: Uint8Array;
}

export interface HeartbeatRequest {
  readonly groupId: string;
  readonly generationId: number;
  readonly memberId: string;
  readonly groupInstanceId?: string | null;
}

export interface LeaveGroupMember {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
}

/** LeaveGroup v0-2 names one member; v3+ a list. */
export type LeaveGroupRequest =
  | { readonly groupId: string; readonly memberId: string }
  | { readonly groupId: string; readonly members: readonly LeaveGroupMember[] };

export interface LeaveGroupMemberResult extends LeaveGroupMember {
  readonly errorCode: number;
}

export interface LeaveGroupResult {
  /**
   * v3+: the request's error. For the v0-2 form, as Kafka answers it, the request's error or else
   * the member's.
   */
  readonly errorCode: number;
  readonly members: readonly LeaveGroupMemberResult[];
}

export interface ListedGroup {
  readonly groupId: string;
  readonly protocolType: string;
  readonly groupState: GroupState;
}

export interface DescribedGroupMember {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly clientId: string;
  readonly clientHost: string;
  /** Empty unless the group is Stable, as Kafka describes it. */
  readonly memberMetadata: Uint8Array;
  /** Empty unless the group is Stable, as Kafka describes it. */
  readonly memberAssignment: Uint8Array;
}

export interface DescribedGroup {
  readonly errorCode: number;
  readonly groupId: string;
  /** '' when the coordinator is not available. */
  readonly groupState: GroupState | '';
  readonly protocolType: string;
  /** The chosen protocol while Stable, else ''. */
  readonly protocolData: string;
  readonly members: readonly DescribedGroupMember[];
}
