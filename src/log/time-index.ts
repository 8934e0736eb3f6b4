/**
 * Sparse time index of one segment: entries (maxTimestamp, relOffset) where maxTimestamp is the newest
 * commit timestamp of any batch up to and including the one starting at relOffset. So every batch
 * before relOffset is no newer than maxTimestamp, and a search for "first batch at or after ts" may
 * start at the last entry whose maxTimestamp < ts. An entry is added with each offset-index entry, and
 * only when maxTimestamp grew, so entries are strictly increasing in both fields.
 * On disk: 12-byte entries (timestamp int64, relOffset uint32) plus the common footer whose extra bytes
 * hold the segment's newest commit timestamp (what retention asks of a closed segment).
 */
import { decodeIndexFile, encodeIndexFile, grow } from './index-file.js';

const MAGIC = 0x4954534c; // "LSTI"
const ENTRY_BYTES = 12;
/** Timestamp of a segment with no batches: older than anything. */
export const NO_TIMESTAMP = -1;

export class TimeIndex {
  private ts = new Float64Array(16);
  private rel = new Uint32Array(16);
  private count = 0;

  get entries(): number {
    return this.count;
  }

  /** Adds (maxTimestamp, relOffset) unless maxTimestamp did not grow since the last entry. */
  maybeAppend(maxTimestamp: number, relOffset: number): void {
    if (this.count > 0 && (maxTimestamp <= this.ts[this.count - 1]! || relOffset <= this.rel[this.count - 1]!)) return;
    this.ts = grow(this.ts, this.count, (n) => new Float64Array(n));
    this.rel = grow(this.rel, this.count, (n) => new Uint32Array(n));
    this.ts[this.count] = maxTimestamp;
    this.rel[this.count] = relOffset;
    this.count++;
  }

  /** Relative offset from which to scan for the first batch with commit timestamp >= `timestamp`. */
  scanStart(timestamp: number): number {
    let lo = 0;
    let hi = this.count - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ts[mid]! < timestamp) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found < 0 ? 0 : this.rel[found]!;
  }

  encode(logBytes: number, maxTimestamp: number): Uint8Array {
    const body = new Uint8Array(this.count * ENTRY_BYTES);
    const dv = new DataView(body.buffer);
    for (let i = 0; i < this.count; i++) {
      dv.setBigInt64(i * ENTRY_BYTES, BigInt(this.ts[i]!), true);
      dv.setUint32(i * ENTRY_BYTES + 8, this.rel[i]!, true);
    }
    return encodeIndexFile(MAGIC, body, this.count, logBytes, (x) => x.setBigInt64(0, BigInt(maxTimestamp), true));
  }

  /** Loads a persisted index; a reason string when it is stale, short or inconsistent. */
  static decode(bytes: Uint8Array, logBytes: number, endRelOffset: number): { index: TimeIndex; maxTimestamp: number } | string {
    const file = decodeIndexFile(bytes, MAGIC, ENTRY_BYTES, logBytes);
    if (typeof file === 'string') return file;
    const maxTimestamp = Number(file.extra.getBigInt64(0, true));
    if (!Number.isSafeInteger(maxTimestamp) || maxTimestamp < NO_TIMESTAMP) return `max timestamp ${maxTimestamp}`;
    if (logBytes > 0 && maxTimestamp === NO_TIMESTAMP) return 'non-empty segment without a timestamp';
    const index = new TimeIndex();
    for (let i = 0; i < file.entryCount; i++) {
      const ts = Number(file.entries.getBigInt64(i * ENTRY_BYTES, true));
      const rel = file.entries.getUint32(i * ENTRY_BYTES + 8, true);
      const before = index.count;
      if (!Number.isSafeInteger(ts) || ts > maxTimestamp || rel >= endRelOffset) return `time index entry ${i} out of range`;
      index.maybeAppend(ts, rel);
      if (index.count === before) return `time index entry ${i} not monotonic`;
    }
    return { index, maxTimestamp };
  }
}
