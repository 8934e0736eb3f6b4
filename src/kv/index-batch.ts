import { fail } from '../common/errors.js';

/**
 * The message a flush hands to the index writer thread: every key state of a frozen memtable in
 * one buffer, so it crosses threads as one transfer instead of a structured clone per row.
 *
 *   [count u32] then per entry [keyLength u16][valueLength i32, -1 for a deleted key][key][value]
 *
 * Little-endian. Keys fit u16: LMDB refuses keys over 511 bytes and the key encoder refuses them first.
 */
export interface IndexEntry {
  readonly key: Uint8Array;
  /** The stored row bytes, undefined for a deleted key. */
  readonly value: Uint8Array | undefined;
}

const HEAD = 4;
const ENTRY_HEAD = 6;
const DELETED = -1;

export function encodeIndexBatch(entries: readonly IndexEntry[]): Uint8Array {
  let size = HEAD;
  for (const e of entries) size += ENTRY_HEAD + e.key.byteLength + (e.value?.byteLength ?? 0);
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, entries.length, true);
  let at = HEAD;
  for (const e of entries) {
    view.setUint16(at, e.key.byteLength, true);
    view.setInt32(at + 2, e.value === undefined ? DELETED : e.value.byteLength, true);
    bytes.set(e.key, at + ENTRY_HEAD);
    at += ENTRY_HEAD + e.key.byteLength;
    if (e.value !== undefined) {
      bytes.set(e.value, at);
      at += e.value.byteLength;
    }
  }
  return bytes;
}

/** The entries, as views of `bytes`; a truncated or inconsistent batch is a STORAGE_ERROR. */
export function decodeIndexBatch(bytes: Uint8Array): IndexEntry[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const damaged = (what: string): never => fail('STORAGE_ERROR', `index batch damaged: ${what}`);
  if (bytes.byteLength < HEAD) damaged('no header');
  const count = view.getUint32(0, true);
  const entries: IndexEntry[] = [];
  let at = HEAD;
  for (let i = 0; i < count; i++) {
    if (at + ENTRY_HEAD > bytes.byteLength) damaged(`entry ${i} of ${count} starts past the end`);
    const keyLength = view.getUint16(at, true);
    const valueLength = view.getInt32(at + 2, true);
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
