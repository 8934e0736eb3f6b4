/** One key's acknowledged state: its stored row bytes, or undefined for a deleted key. */
export interface MemEntry {
  readonly key: Uint8Array;
  readonly value: Uint8Array | undefined;
  /** `keyId` of the key's bucket-key prefix, for tables that serve prefix lookups. */
  readonly prefixId?: string;
}

/** Bytes a Map entry, its key string and the entry object cost beyond the key and row bytes. */
const ENTRY_OVERHEAD = 120;

/**
 * Key states whose changelog is durable and acknowledged but which are not yet in LMDB, as the
 * memtable of an LSM tree: writes land here and reach the B-tree in large transactions,
 * where LMDB pays for each dirtied page once per flush instead of once per request. A flush
 * freezes one and drops it whole once LMDB holds it. Keyed by `keyId` (latin1 of the key bytes).
 */
export class Memtable {
  private readonly entries = new Map<string, MemEntry>();
  private readonly byPrefix = new Map<string, Set<string>>();
  private heldBytes = 0;

  get size(): number {
    return this.entries.size;
  }

  /** What the entries hold in memory, estimated: the back-pressure measure. */
  get bytes(): number {
    return this.heldBytes;
  }

  get(id: string): MemEntry | undefined {
    return this.entries.get(id);
  }

  set(id: string, entry: MemEntry): void {
    const old = this.entries.get(id);
    if (old) this.heldBytes -= sizeOf(old);
    this.entries.set(id, entry);
    this.heldBytes += sizeOf(entry);
    if (entry.prefixId === undefined) return;
    let ids = this.byPrefix.get(entry.prefixId);
    if (!ids) this.byPrefix.set(entry.prefixId, (ids = new Set()));
    ids.add(id);
  }

  /** Every entry, in no particular order (the index writer sorts them). */
  list(): MemEntry[] {
    return [...this.entries.values()];
  }

  /** The entries (deleted keys included) under one bucket-key prefix, by id. */
  withPrefix(prefixId: string): Map<string, MemEntry> {
    const found = new Map<string, MemEntry>();
    for (const id of this.byPrefix.get(prefixId) ?? []) found.set(id, this.entries.get(id)!);
    return found;
  }
}

function sizeOf(e: MemEntry): number {
  return ENTRY_OVERHEAD + e.key.byteLength * 2 + (e.value?.byteLength ?? 0);
}
