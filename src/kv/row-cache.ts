import { copyInto } from '../common/bytes.js';
import { doubledSlots, EMPTY_SLOT, freeSlot, keyHash } from './hash-table.js';

/**
 * Rows of every primary-key bucket kept in memory in front of LMDB, as a storage engine's row
 * cache: a lookup that hits costs a hash probe and a key compare instead of a B-tree descent,
 * whose cache and TLB misses are most of a lookup's price once the index outgrows the CPU caches.
 *
 * Layout, so that a million rows cost a few typed arrays and no JS objects per row:
 *   - records `[partition u32][key length u16][value length u32][key][value]` are appended to
 *     fixed-size segments of one buffer; the segments are evicted whole, oldest first (a FIFO by
 *     segment, as log-structured caches do), and an evicted segment takes the next records;
 *   - an open-addressing hash table with linear probing maps (partition, key) to the newest
 *     record; a replaced record stays in its segment as garbage until that segment goes.
 *
 * A value may be "absent" (the key is known not to exist), so misses of deleted or never-written
 * keys are answered too. Keys are exact byte strings; a partition is one bucket, never reused.
 */
const HEADER_BYTES = 10;
const ABSENT_LENGTH = 0xffff_ffff;
const MAX_KEY_BYTES = 0xffff;
const MIN_SLOTS = 1 << 12;

/** Small enough that evicting one (a probe per record it holds) is a short pause in some read. */
export const DEFAULT_SEGMENT_BYTES = 1024 * 1024;
/** Slots hold 32-bit offsets into the cache's memory. */
export const ROW_CACHE_MAX_BYTES = 2 ** 32 - 1;

export class RowCache {
  private readonly segmentBytes: number;
  private readonly segmentCount: number;
  /**
   * All segments, one after the other, in one buffer: every cached row shares it, so a reader
   * that wants a DataView of a row's buffer makes one for all of them. The zero-filled allocation
   * is only address space until records are written into it.
   */
  private memory: Uint8Array | undefined;
  private readonly used: Uint32Array;
  /** Segments in use, oldest first; the last one takes new records. */
  private readonly order: number[] = [];
  private slotAt: Uint32Array = new Uint32Array(MIN_SLOTS).fill(EMPTY_SLOT);
  private slotHash: Uint32Array = new Uint32Array(MIN_SLOTS);
  private mask = MIN_SLOTS - 1;
  private count = 0;
  /** Entries per partition: a bucket the cache holds nothing of skips refreshing its flushes. */
  private readonly partitionCounts: number[] = [];
  hits = 0;
  misses = 0;

  constructor(capacityBytes: number, segmentBytes = DEFAULT_SEGMENT_BYTES) {
    const capacity = Math.min(capacityBytes, ROW_CACHE_MAX_BYTES);
    this.segmentBytes = Math.min(segmentBytes, capacity);
    this.segmentCount = this.segmentBytes > 0 ? Math.floor(capacity / this.segmentBytes) : 0;
    this.used = new Uint32Array(this.segmentCount);
  }

  /** Whether the cache holds anything at all (a size of 0 turns it off). */
  get enabled(): boolean {
    return this.segmentCount > 0;
  }

  /** Memory the records have reached so far (segments written at least once). */
  get allocatedBytes(): number {
    return this.order.length * this.segmentBytes;
  }

  /** Rows (and known-absent keys) the cache answers for. */
  get entries(): number {
    return this.count;
  }

  /** A fresh namespace for one bucket's keys. */
  newPartition(): number {
    return this.partitionCounts.push(0) - 1;
  }

  /** Whether the cache answers for any key of the partition. */
  holdsAny(partition: number): boolean {
    return this.partitionCounts[partition]! > 0;
  }

  /**
   * The cached value of a key: its bytes (a view into the cache's memory, valid until the next put,
   * so use or copy them at once), null when the key is known absent, undefined when the cache does
   * not know.
   */
  get(partition: number, key: Uint8Array): Uint8Array | null | undefined {
    const slot = this.find(partition, key, keyHash(partition, key));
    if (slot < 0) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    const memory = this.memory!;
    const at = this.slotAt[slot]!;
    const valueLength = readU32(memory, at + 6);
    if (valueLength === ABSENT_LENGTH) return null;
    const start = at + HEADER_BYTES + key.length;
    return memory.subarray(start, start + valueLength);
  }

  /** Records the key's current value (null: known absent), replacing what the cache held for it. */
  put(partition: number, key: Uint8Array, value: Uint8Array | null): void {
    if (this.enabled) this.store(partition, key, value, keyHash(partition, key));
  }

  /** Replaces the value of a key the cache answers for; a key it does not know stays out. */
  refresh(partition: number, key: Uint8Array, value: Uint8Array | null): void {
    const hash = keyHash(partition, key);
    if (this.find(partition, key, hash) >= 0) this.store(partition, key, value, hash);
  }

  private store(partition: number, key: Uint8Array, value: Uint8Array | null, hash: number): void {
    const size = HEADER_BYTES + key.length + (value?.length ?? 0);
    if (key.length > MAX_KEY_BYTES || size > this.segmentBytes) {
      // Too big to cache: what the cache held for the key is stale now.
      this.removeHashed(partition, key, hash);
      return;
    }
    const at = this.reserve(size);
    const memory = this.memory!;
    writeU32(memory, at, partition);
    memory[at + 4] = key.length >>> 8;
    memory[at + 5] = key.length & 0xff;
    writeU32(memory, at + 6, value === null ? ABSENT_LENGTH : value.length);
    copyInto(memory, at + HEADER_BYTES, key);
    if (value !== null) copyInto(memory, at + HEADER_BYTES + key.length, value);
    let slot = this.find(partition, key, hash);
    if (slot < 0) {
      if ((this.count + 1) * 2 > this.slotAt.length) {
        this.grow();
        slot = freeSlot(this.slotAt, hash);
      } else {
        slot = -2 - slot;
      }
      this.count++;
      this.partitionCounts[partition]!++;
    }
    this.slotAt[slot] = at;
    this.slotHash[slot] = hash;
  }

  /** Forgets a key (its next get is a miss). */
  remove(partition: number, key: Uint8Array): void {
    this.removeHashed(partition, key, keyHash(partition, key));
  }

  private removeHashed(partition: number, key: Uint8Array, hash: number): void {
    const slot = this.find(partition, key, hash);
    if (slot >= 0) this.clearSlot(slot);
  }

  /**
   * The slot of the key's newest record, or when there is none `-2 - s` for the empty slot `s`
   * that ends its probe run (where an insert goes): always negative.
   */
  private find(partition: number, key: Uint8Array, hash: number): number {
    const mask = this.mask;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const at = this.slotAt[slot]!;
      if (at === EMPTY_SLOT) return -2 - slot;
      if (this.slotHash[slot] === hash && this.recordIs(at, partition, key)) return slot;
    }
  }

  private recordIs(at: number, partition: number, key: Uint8Array): boolean {
    const memory = this.memory!;
    if (readU32(memory, at) !== partition || ((memory[at + 4]! << 8) | memory[at + 5]!) !== key.length) return false;
    const start = at + HEADER_BYTES;
    for (let i = 0; i < key.length; i++) if (memory[start + i] !== key[i]) return false;
    return true;
  }

  /** Backward-shift deletion: later entries of the probe run move up, so no tombstones build up. */
  private clearSlot(slot: number): void {
    this.partitionCounts[readU32(this.memory!, this.slotAt[slot]!)]!--;
    const mask = this.mask;
    let hole = slot;
    for (let next = (hole + 1) & mask; this.slotAt[next] !== EMPTY_SLOT; next = (next + 1) & mask) {
      const home = this.slotHash[next]! & mask;
      // The entry at `next` may fill the hole unless its home lies cyclically in (hole, next].
      const stays = hole <= next ? home > hole && home <= next : home > hole || home <= next;
      if (stays) continue;
      this.slotAt[hole] = this.slotAt[next]!;
      this.slotHash[hole] = this.slotHash[next]!;
      hole = next;
    }
    this.slotAt[hole] = EMPTY_SLOT;
    this.count--;
  }

  private grow(): void {
    ({ slotAt: this.slotAt, slotHash: this.slotHash } = doubledSlots(this.slotAt, this.slotHash));
    this.mask = this.slotAt.length - 1;
  }

  /** Where a record of `size` bytes goes: the newest segment, the next unused one, or the oldest, evicted. */
  private reserve(size: number): number {
    this.memory ??= new Uint8Array(this.segmentCount * this.segmentBytes);
    let segment = this.order[this.order.length - 1];
    if (segment === undefined || this.used[segment]! + size > this.segmentBytes) {
      if (this.order.length < this.segmentCount) {
        segment = this.order.length;
      } else {
        segment = this.order.shift()!;
        this.evict(segment);
      }
      this.order.push(segment);
    }
    const at = segment * this.segmentBytes + this.used[segment]!;
    this.used[segment] += size;
    return at;
  }

  /** Drops the entries whose newest record is in the segment and empties it. */
  private evict(segment: number): void {
    const memory = this.memory!;
    const start = segment * this.segmentBytes;
    const end = start + this.used[segment]!;
    for (let at = start; at < end;) {
      const partition = readU32(memory, at);
      const keyLength = (memory[at + 4]! << 8) | memory[at + 5]!;
      const valueLength = readU32(memory, at + 6);
      const key = memory.subarray(at + HEADER_BYTES, at + HEADER_BYTES + keyLength);
      const slot = this.find(partition, key, keyHash(partition, key));
      if (slot >= 0 && this.slotAt[slot] === at) this.clearSlot(slot);
      at += HEADER_BYTES + keyLength + (valueLength === ABSENT_LENGTH ? 0 : valueLength);
    }
    this.used[segment] = 0;
  }
}

function readU32(bytes: Uint8Array, at: number): number {
  return ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
}

function writeU32(bytes: Uint8Array, at: number, v: number): void {
  bytes[at] = v >>> 24;
  bytes[at + 1] = (v >>> 16) & 0xff;
  bytes[at + 2] = (v >>> 8) & 0xff;
  bytes[at + 3] = v & 0xff;
}
