/**
 * Sparse offset index of one segment: every `indexIntervalBytes` of log, one entry
 * (offset relative to the segment's base -> file position of the batch starting there). A lookup
 * finds the last entry at or before an offset; the segment then scans forward at most one interval.
 * In memory as two typed arrays; on disk as 8-byte entries (relOffset uint32, position uint32) plus
 * the common footer whose extra bytes hold the segment's end (next offset, relative).
 */
import { decodeIndexFile, encodeIndexFile, grow } from './index-file.js';

const MAGIC = 0x494f534c; // "LSOI"
const ENTRY_BYTES = 8;

export class OffsetIndex {
  private rel = new Uint32Array(16);
  private pos = new Uint32Array(16);
  private count = 0;

  get entries(): number {
    return this.count;
  }

  /** Entries must grow strictly in both offset and position. */
  append(relOffset: number, position: number): void {
    if (this.count > 0 && (relOffset <= this.rel[this.count - 1]! || position <= this.pos[this.count - 1]!)) {
      throw new Error(`offset index: entry (${relOffset}, ${position}) not after the last one`);
    }
    this.rel = grow(this.rel, this.count, (n) => new Uint32Array(n));
    this.pos = grow(this.pos, this.count, (n) => new Uint32Array(n));
    this.rel[this.count] = relOffset;
    this.pos[this.count] = position;
    this.count++;
  }

  /** File position of the last indexed batch starting at or before `relOffset` (0 if none). */
  lookup(relOffset: number): { relOffset: number; position: number } {
    let lo = 0;
    let hi = this.count - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.rel[mid]! <= relOffset) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found < 0 ? { relOffset: 0, position: 0 } : { relOffset: this.rel[found]!, position: this.pos[found]! };
  }

  last(): { relOffset: number; position: number } | undefined {
    return this.count === 0 ? undefined : { relOffset: this.rel[this.count - 1]!, position: this.pos[this.count - 1]! };
  }

  encode(logBytes: number, endRelOffset: number): Uint8Array {
    const body = new Uint8Array(this.count * ENTRY_BYTES);
    const dv = new DataView(body.buffer);
    for (let i = 0; i < this.count; i++) {
      dv.setUint32(i * ENTRY_BYTES, this.rel[i]!, true);
      dv.setUint32(i * ENTRY_BYTES + 4, this.pos[i]!, true);
    }
    return encodeIndexFile(MAGIC, body, this.count, logBytes, (x) => x.setBigUint64(0, BigInt(endRelOffset), true));
  }

  /**
   * Loads a persisted index for a log of `logBytes`; a reason string when it is stale, short or
   * inconsistent (entries not monotonic, positions outside the log, end before the last entry).
   */
  static decode(bytes: Uint8Array, logBytes: number): { index: OffsetIndex; endRelOffset: number } | string {
    const file = decodeIndexFile(bytes, MAGIC, ENTRY_BYTES, logBytes);
    if (typeof file === 'string') return file;
    const end = file.extra.getBigUint64(0, true);
    if (end > 0xffffffffn) return `index end offset ${end} out of range`;
    const endRelOffset = Number(end);
    const index = new OffsetIndex();
    for (let i = 0; i < file.entryCount; i++) {
      const rel = file.entries.getUint32(i * ENTRY_BYTES, true);
      const pos = file.entries.getUint32(i * ENTRY_BYTES + 4, true);
      const prev = index.last();
      if (prev && (rel <= prev.relOffset || pos <= prev.position)) return `index entry ${i} not monotonic`;
      if (pos >= logBytes || rel >= endRelOffset) return `index entry ${i} (${rel}, ${pos}) outside the segment`;
      index.append(rel, pos);
    }
    if (logBytes > 0 && endRelOffset === 0) return 'index of a non-empty segment ends at its base';
    return { index, endRelOffset };
  }
}
