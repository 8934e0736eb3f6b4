/**
 * In-memory values, one representation per column type:
 * boolean -> boolean; int8/16/32, float32/64 -> number; int64 -> bigint; string -> string;
 * binary -> Uint8Array; date -> number (epoch ms at UTC midnight, as Arrow JS gives DateDay);
 * timestamp -> number (epoch ms, UTC). Null is null.
 */
export type Value = null | boolean | number | bigint | string | Uint8Array;
export type Row = Record<string, Value>;

/** Change types of the changelog, as Fluss writes them. */
export const CHANGE_TYPES = ['+A', '+I', '-U', '+U', '-D'] as const;
export type ChangeType = (typeof CHANGE_TYPES)[number];
