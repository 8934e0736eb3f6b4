/**
 * What the two sparse indexes share: the file footer that lets a loader tell a current index from a
 * stale, short or garbage one (they are replaced with `replaceFileUnsynced`). Index files are never fsynced: they can always
 * be rebuilt from the log, and the footer's `logBytes` makes an index written before a crash that lost
 * log bytes look stale rather than wrong.
 *
 *   footer (after the entries):  magic uint32 | entryCount uint32 | logBytes uint32 |
 *                                extra (8 bytes, index specific) | crc uint32 (CRC-32C of all before)
 */
import fs from 'node:fs';
import { crc32c } from '../common/crc32c.js';

export const FOOTER_MAGIC_OFFSET = 0;
export const FOOTER_ENTRY_COUNT_OFFSET = FOOTER_MAGIC_OFFSET + 4;
export const FOOTER_LOG_BYTES_OFFSET = FOOTER_ENTRY_COUNT_OFFSET + 4;
export const FOOTER_EXTRA_OFFSET = FOOTER_LOG_BYTES_OFFSET + 4;
export const FOOTER_CRC_OFFSET = FOOTER_EXTRA_OFFSET + 8;
export const FOOTER_BYTES = FOOTER_CRC_OFFSET + 4;

/** Largest index file we will read: far above any real segment's sparse index. */
export const INDEX_FILE_BYTES_MAX = 64 * 1024 * 1024;

export interface IndexFile {
  entries: DataView; // just the entries
  entryCount: number;
  extra: DataView; // the 8 index-specific footer bytes
}

/** Frames `entries` with a footer; `writeExtra` fills the 8 index-specific bytes. */
export function encodeIndexFile(
  magic: number, entries: Uint8Array, entryCount: number, logBytes: number, writeExtra: (dv: DataView) => void,
): Uint8Array {
  const out = new Uint8Array(entries.length + FOOTER_BYTES);
  out.set(entries, 0);
  const footer = new DataView(out.buffer, entries.length, FOOTER_BYTES);
  footer.setUint32(FOOTER_MAGIC_OFFSET, magic, true);
  footer.setUint32(FOOTER_ENTRY_COUNT_OFFSET, entryCount, true);
  footer.setUint32(FOOTER_LOG_BYTES_OFFSET, logBytes, true);
  writeExtra(new DataView(out.buffer, entries.length + FOOTER_EXTRA_OFFSET, 8));
  footer.setUint32(FOOTER_CRC_OFFSET, crc32c(out, 0, entries.length + FOOTER_CRC_OFFSET), true);
  return out;
}

/** Checks framing (size, magic, CRC, count, covered log size); returns a reason string when unusable. */
export function decodeIndexFile(
  bytes: Uint8Array, magic: number, entryBytes: number, logBytes: number,
): IndexFile | string {
  if (bytes.length < FOOTER_BYTES) return `index of ${bytes.length} bytes is shorter than its footer`;
  const entriesLength = bytes.length - FOOTER_BYTES;
  if (entriesLength % entryBytes !== 0) return `index entries of ${entriesLength} bytes are not whole`;
  const footer = new DataView(bytes.buffer, bytes.byteOffset + entriesLength, FOOTER_BYTES);
  if (footer.getUint32(FOOTER_MAGIC_OFFSET, true) !== magic) return 'index magic mismatch';
  if (footer.getUint32(FOOTER_CRC_OFFSET, true) !== crc32c(bytes, 0, entriesLength + FOOTER_CRC_OFFSET)) return 'index crc mismatch';
  const entryCount = footer.getUint32(FOOTER_ENTRY_COUNT_OFFSET, true);
  if (entryCount * entryBytes !== entriesLength) return `index claims ${entryCount} entries`;
  const covered = footer.getUint32(FOOTER_LOG_BYTES_OFFSET, true);
  if (covered !== logBytes) return `index covers ${covered} log bytes, the log has ${logBytes}`;
  return {
    entries: new DataView(bytes.buffer, bytes.byteOffset, entriesLength),
    entryCount,
    extra: new DataView(bytes.buffer, bytes.byteOffset + entriesLength + FOOTER_EXTRA_OFFSET, 8),
  };
}

/** Reads a whole small file, or undefined when it is missing or absurdly large. */
export function readSmallFile(path: string, bytesMax = INDEX_FILE_BYTES_MAX): Uint8Array | undefined {
  let size: number;
  try {
    size = fs.statSync(path).size;
  } catch {
    return undefined;
  }
  if (size > bytesMax) return undefined;
  try {
    return fs.readFileSync(path);
  } catch {
    return undefined;
  }
}

/** Doubles a typed array's capacity when full. */
export function grow<T extends Uint32Array | Float64Array>(arr: T, used: number, make: (n: number) => T): T {
  if (used < arr.length) return arr;
  const next = make(Math.max(16, arr.length * 2));
  next.set(arr);
  return next;
}
