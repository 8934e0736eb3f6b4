/**
 * The consumer-group side of the broker: the coordinator (membership, rebalances) and the durable
 * store of committed offsets it guards.
 */
import type { GroupCoordinator } from '../groups/coordinator.js';
import type { OffsetStore } from '../groups/offsets.js';

export interface GroupServices {
  readonly coordinator: GroupCoordinator;
  readonly offsets: OffsetStore;
}
