import { copyInto } from '../common/bytes.js';
import { fail } from '../common/errors.js';

/**
 * The message a flush hands to the index writer thread: every key state of a frozen memtable in
 * one buffer, so it crosses threads as one transfer instead of a structured clone per row.
 *
 *   [count u32] then per entry [keyLength u16][valueLength i32, -1 for a deleted key][key][value]
 *
 * Little-endian. Keys fit u16: LMDB refuses keys over 511 bytes and the key encoder refuses them first.
 * The memtable keeps its records in the entry layout, so a batch is its live records copied whole.
 */
export interface IndexEntry {
  readonly key: Uint8Array;
  /** The stored row bytes, undefined for a deleted key. */
  readonly value: Uint8Array | undefined;
}

export const BATCH_HEAD = 4;
export const ENTRY_HEAD = 6;
const DELETED = -1;

/** The bytes one entry takes. */
export function entryBytes(key: Uint8Array, value: Uint8Array | undefined): number {
  return ENTRY_HEAD + key.byteLength + (value?.byteLength ?? 0);
}

/** Writes one entry at `at` (room checked by the caller); returns where the next one goes. */
export function writeEntry(bytes: Uint8Array, at: number, key: Uint8Array, value: Uint8Array | undefined): number {
  const valueLength = value === undefined ? DELETED : value.byteLength;
  bytes[at] = key.byteLength & 0xff;
  bytes[at + 1] = key.byteLength >>> 8;
  bytes[at + 2] = valueLength & 0xff;
  bytes[at + 3] = (valueLength >>> 8) & 0xff;
  bytes[at + 4] = (valueLength >>> 16) & 0xff;
  bytes[at + 5] = valueLength >>> 24;
  copyInto(bytes, at + ENTRY_HEAD, key);
  if (value !== undefined) copyInto(bytes, at + ENTRY_HEAD + key.byteLength, value);
  return at + ENTRY_HEAD + key.byteLength + Math.max(valueLength, 0);
}

export function keyLengthAt(bytes: Uint8Array, at: number): number {
  return bytes[at]! | (bytes[at + 1]! << 8);
}

/** The value length of the entry at `at`: -1 for a deleted key. */
export function valueLengthAt(bytes: Uint8Array, at: number): number {
  return bytes[at + 2]! | (bytes[at + 3]! << 8) | (bytes[at + 4]! << 16) | (bytes[at + 5]! << 24);
}

export function encodeIndexBatch(entries: readonly IndexEntry[]): Uint8Array {
  let size = BATCH_HEAD;
  for (const e of entries) size += entryBytes(e.key, e.value);
  const bytes = new Uint8Array(size);
  new DataView(bytes.buffer).setUint32(0, entries.length, true);
  let at = BATCH_HEAD;
  for (const e of entries) at = writeEntry(bytes, at, e.key, e.value);
  return bytes;
}

/** How many entries a batch holds (its header). */
export function indexBatchCount(bytes: Uint8Array): number {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0, true);
}

/** The entries, as views of `bytes`; a truncated or inconsistent batch is a STORAGE_ERROR. */
export function decodeIndexBatch(bytes: Uint8Array): IndexEntry[] {
  const damaged = (what: string): never => fail('STORAGE_ERROR', `index batch damaged: ${what}`);
  if (bytes.byteLength < BATCH_HEAD) damaged('no header');
  const count = indexBatchCount(bytes);
  const entries: IndexEntry[] = [];
  let at = BATCH_HEAD;
  for (let i = 0; i < count; i++) {
    if (at + ENTRY_HEAD > bytes.byteLength) damaged(`entry ${i} of ${count} starts past the end`);
    const keyLength = keyLengthAt(bytes, at);
    const valueLength = valueLengthAt(bytes, at);
    if (valueLength < DELETED) damaged(`entry ${i} has value length ${valueLength}`);
    const keyAt = at + ENTRY_HEAD;
    const valueAt = keyAt + keyLength;
    at = valueAt + Math.max(valueLength, 0);
    if (at > bytes.byteLength) damaged(`entry ${i} of ${count} ends past the end`);
    entries.push({
      key: bytes.subarray(keyAt, valueAt),
      value: valueLength === DELETED ? undefined : bytes.subarray(valueAt, at),
    });
  }
  if (at !== bytes.byteLength) damaged(`${bytes.byteLength - at} bytes after the last entry`);
  return entries;
}
