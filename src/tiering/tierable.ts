import type { TableDefinition } from '../common/schema.js';
import type { BucketLog } from '../log/bucket-log.js';

/** What tiering needs of an open table: its name, definition and bucket logs. */
export interface TierableTable {
  readonly tableId: number;
  readonly database: string;
  readonly name: string;
  readonly definition: TableDefinition;
  readonly logs: readonly BucketLog[];
}
