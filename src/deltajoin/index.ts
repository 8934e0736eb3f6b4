/** Delta join: the operator, its pure algebra and planning, the sink applier and the offset store. */
export { DeltaJoin, deltaJoin, DELTA_JOIN_DEFAULTS } from './operator.js';
export type { DeltaJoinOptions, DeltaJoinStart, DeltaJoinStats, JoinBatch, JoinedChange } from './operator.js';
export { JoinSink } from './sink.js';
export type { SinkBatchResult } from './sink.js';
export { OffsetStore, OFFSETS_DATABASE, OFFSETS_TABLE } from './offsets.js';
export type { SavedOffsets } from './offsets.js';
export { planJoin, parseOn, joinedColumns } from './spec.js';
export type { JoinPair, JoinPlan, OutputColumn, RetractMode, Side, SidePlan, TableShape } from './spec.js';
export { applyOps, changeOps, joinRow, matches, naiveJoin, outputKeyOf, retractKey } from './algebra.js';
export type { JoinOp } from './algebra.js';
export { runJoin } from './run.js';
export type { RunJoinOptions, RunJoinProgress } from './run.js';
