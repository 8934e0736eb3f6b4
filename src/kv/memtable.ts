import { keyId } from './changelog.js';
import { BATCH_HEAD, ENTRY_HEAD, entryBytes, keyLengthAt, valueLengthAt, writeEntry } from './index-batch.js';
import { doubledSlots, EMPTY_SLOT, keyHash } from './hash-table.js';

/** One key's state as a plan writes it: its stored row bytes, or undefined for a deleted key. */
export interface MemEntry {
  readonly key: Uint8Array;
  readonly value: Uint8Array | undefined;
}

/** Set in a record's key length (keys are under 512 bytes) once a newer record of its key exists. */
const REPLACED = 0x8000;
const MIN_SLOTS = 1 << 10;
const MIN_ARENA = 1 << 20;

/**
 * Key states whose changelog is durable and acknowledged but which are not yet in LMDB, as the
 * memtable of an LSM tree: writes land here and reach the B-tree in large transactions, where LMDB
 * pays for each dirtied page once per flush instead of once per request. A flush freezes one and
 * drops it whole once LMDB holds it.
 *
 * No JS object per key: a memtable lives for a second or more, so per-row objects would survive
 * into V8's old generation and be copied and marked on the way. Records are appended to one arena
 * in the index batch's entry layout (src/kv/index-batch.ts), so a flush copies the live ones whole;
 * an open-addressing table (linear probing; keys are never removed, a delete is a record) maps a
 * key's hash to its newest record. A record's bytes never change once written (a replaced one only
 * gets a flag in its header), so the views `get` returns stay true after later writes, and a flush
 * of a memtable that replaced nothing is one copy of its arena.
 */
export class Memtable {
  private arena = new Uint8Array(0);
  private used = 0;
  private slotAt: Uint32Array = new Uint32Array(MIN_SLOTS).fill(EMPTY_SLOT);
  private slotHash: Uint32Array = new Uint32Array(MIN_SLOTS);
  private mask = MIN_SLOTS - 1;
  private count = 0;
  /** Bytes of the newest records, what a flush writes. */
  private liveBytes = 0;
  /** For tables that serve prefix lookups: `keyId` of a bucket-key prefix -> the keys under it. */
  private readonly byPrefix = new Map<string, Map<string, Uint8Array>>();

  /** A key's hash as `get` takes it, to look a key up in several memtables for one hashing. */
  static hash(key: Uint8Array): number {
    return keyHash(0, key);
  }

  get size(): number {
    return this.count;
  }

  /** What the memtable holds in memory: the back-pressure measure. */
  get bytes(): number {
    return this.used + this.slotAt.length * 8;
  }

  /** The key's newest state: its row bytes, null when deleted, undefined when the memtable has no record of it. */
  get(key: Uint8Array, hash = Memtable.hash(key)): Uint8Array | null | undefined {
    const slot = this.find(key, hash);
    return slot < 0 ? undefined : this.valueAt(this.slotAt[slot]!);
  }

  /** Records the key's new state (`prefixId`: `keyId` of its bucket-key prefix, for prefix lookups). */
  set(key: Uint8Array, value: Uint8Array | undefined, prefixId?: string): void {
    const hash = Memtable.hash(key);
    let slot = this.find(key, hash);
    if (slot < 0 && (this.count + 1) * 2 > this.slotAt.length) {
      this.grow();
      slot = this.find(key, hash);
    }
    const at = this.append(key, value);
    if (slot >= 0) {
      const old = this.slotAt[slot]!;
      this.liveBytes -= this.recordBytes(old);
      this.arena[old + 1]! |= REPLACED >>> 8;
    } else {
      slot = -2 - slot;
      this.slotHash[slot] = hash;
      this.count++;
    }
    this.slotAt[slot] = at;
    this.liveBytes += this.recordBytes(at);
    if (prefixId === undefined) return;
    let keys = this.byPrefix.get(prefixId);
    if (!keys) this.byPrefix.set(prefixId, (keys = new Map()));
    keys.set(keyId(key), key);
  }

  /** Calls `visit` with every key's newest state (views into the memtable), in the order written. */
  forEach(visit: (key: Uint8Array, value: Uint8Array | undefined) => void): void {
    for (let at = 0; at < this.used; at += this.recordBytes(at)) {
      if (!this.replaced(at)) visit(this.keyAt(at), this.valueAt(at) ?? undefined);
    }
  }

  /** Every key's newest state as an index batch: the runs of records not replaced, copied whole. */
  toIndexBatch(): Uint8Array {
    const batch = new Uint8Array(BATCH_HEAD + this.liveBytes);
    new DataView(batch.buffer).setUint32(0, this.count, true);
    let out = BATCH_HEAD;
    let runStart = 0;
    const copyRun = (end: number) => {
      if (end > runStart) batch.set(this.arena.subarray(runStart, end), out);
      out += end - runStart;
    };
    for (let at = 0; at < this.used;) {
      const next = at + this.recordBytes(at);
      if (this.replaced(at)) {
        copyRun(at);
        runStart = next;
      }
      at = next;
    }
    copyRun(this.used);
    return batch;
  }

  /** The entries (deleted keys included) under one bucket-key prefix, by `keyId`. */
  withPrefix(prefixId: string): Map<string, MemEntry> {
    const found = new Map<string, MemEntry>();
    for (const [id, key] of this.byPrefix.get(prefixId) ?? []) found.set(id, { key, value: this.get(key) ?? undefined });
    return found;
  }

  private append(key: Uint8Array, value: Uint8Array | undefined): number {
    const size = entryBytes(key, value);
    if (this.used + size > this.arena.length) {
      // Doubling: each byte is copied about once more, and a frozen memtable is dropped whole.
      const grown = new Uint8Array(Math.max(MIN_ARENA, 2 * this.arena.length, this.used + size));
      grown.set(this.arena.subarray(0, this.used));
      this.arena = grown;
    }
    const at = this.used;
    this.used = writeEntry(this.arena, at, key, value);
    return at;
  }

  private keyLength(at: number): number {
    return keyLengthAt(this.arena, at) & ~REPLACED;
  }

  private replaced(at: number): boolean {
    return (keyLengthAt(this.arena, at) & REPLACED) !== 0;
  }

  private recordBytes(at: number): number {
    return ENTRY_HEAD + this.keyLength(at) + Math.max(valueLengthAt(this.arena, at), 0);
  }

  private keyAt(at: number): Uint8Array {
    return this.arena.subarray(at + ENTRY_HEAD, at + ENTRY_HEAD + this.keyLength(at));
  }

  private valueAt(at: number): Uint8Array | null {
    const valueLength = valueLengthAt(this.arena, at);
    if (valueLength < 0) return null;
    const start = at + ENTRY_HEAD + this.keyLength(at);
    return this.arena.subarray(start, start + valueLength);
  }

  /** The slot of the key's record, or when there is none `-2 - s` for the empty slot `s` that ends its probe run. */
  private find(key: Uint8Array, hash: number): number {
    const arena = this.arena;
    for (let slot = hash & this.mask; ; slot = (slot + 1) & this.mask) {
      const at = this.slotAt[slot]!;
      if (at === EMPTY_SLOT) return -2 - slot;
      // The newest record of a key is never flagged replaced, so its plain length compares.
      if (this.slotHash[slot] !== hash || keyLengthAt(arena, at) !== key.length) continue;
      const start = at + ENTRY_HEAD;
      let i = 0;
      while (i < key.length && arena[start + i] === key[i]) i++;
      if (i === key.length) return slot;
    }
  }

  private grow(): void {
    ({ slotAt: this.slotAt, slotHash: this.slotHash } = doubledSlots(this.slotAt, this.slotHash));
    this.mask = this.slotAt.length - 1;
  }
}
