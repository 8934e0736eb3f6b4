import type { ChangeType, Row } from '../common/values.js';

/** A row of the lake's live state, with the offset and time of the change that produced it. */
export interface LiveRow {
  readonly row: Row;
  readonly offset: bigint;
  readonly timestamp: number;
}

/**
 * Folds changelog records into live rows by key, pure: `+I`/`+U` set the row, `-D` removes it, `-U`
 * is a before-image and changes nothing. Records must come in offset order; a base of already live
 * rows (the previous compaction) goes first.
 */
export function foldChangelog(
  state: Map<string, LiveRow>,
  keyOf: (row: Row) => string,
  records: { rows: readonly Row[]; offsets: readonly bigint[]; timestamps: readonly number[]; changeTypes: readonly ChangeType[] | null },
): void {
  for (let i = 0; i < records.rows.length; i++) {
    const type = records.changeTypes?.[i] ?? '+I';
    if (type === '-U') continue;
    const row = records.rows[i]!;
    const key = keyOf(row);
    if (type === '-D') state.delete(key);
    else state.set(key, { row, offset: records.offsets[i]!, timestamp: records.timestamps[i]! });
  }
}

/** Live rows in the order a Parquet file needs them: by offset. */
export function liveRowsByOffset(state: Map<string, LiveRow>): LiveRow[] {
  return [...state.values()].sort((a, b) => (a.offset < b.offset ? -1 : a.offset > b.offset ? 1 : 0));
}
