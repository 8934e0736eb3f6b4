/**
 * What a row's `_change_type` asks of an upsert, so a changelog (a tail of a primary-key table, a
 * delta join's output) can be written into another table as it is: `+I` and `+U` (or none) upsert,
 * `-D` deletes the key, `-U` (a before-image) is ignored. The HTTP upsert, the client's
 * `upsertWriter().toWritable()` and `lakestream upsert` all read it here, so they agree.
 */
export type UpsertAction = 'upsert' | 'delete' | 'skip';

export const UPSERT_CHANGE_TYPES_TEXT = '+I or +U (upsert), -D (delete the key), -U (ignored)';

/** The action of a `_change_type` value, or undefined when the value is not one of them. */
export function upsertAction(type: unknown): UpsertAction | undefined {
  switch (type) {
    case undefined: case null: case '+I': case '+U': return 'upsert';
    case '-D': return 'delete';
    case '-U': return 'skip';
    default: return undefined;
  }
}

/** The message for a `_change_type` that is none of them (the caller names the row). */
export function badChangeTypeMessage(type: unknown): string {
  return `_change_type ${JSON.stringify(type)?.slice(0, 40) ?? String(type)} is not one of ${UPSERT_CHANGE_TYPES_TEXT}`;
}
