/**
 * The canonical JSON of a key, as Kafka clients see a lakestream key: an object of the key columns in
 * key order, no spaces, int64 as a number when it is a safe integer and as a string otherwise,
 * binary as base64, timestamps as epoch milliseconds, dates as 'YYYY-MM-DD' (the table's JSON forms).
 * One spelling per key, so a standard producer hashing these bytes (murmur2) finds the key's bucket.
 */
import { rowToJson } from './json-values.js';
import type { Column } from './schema.js';
import type { Row } from './values.js';

const UTF8 = new TextEncoder();

export function canonicalKeyJson(keyColumns: readonly Column[], row: Row): string {
  return JSON.stringify(rowToJson(keyColumns, row));
}

export function canonicalKeyBytes(keyColumns: readonly Column[], row: Row): Uint8Array {
  return UTF8.encode(canonicalKeyJson(keyColumns, row));
}
