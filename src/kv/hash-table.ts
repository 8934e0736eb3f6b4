/**
 * Pieces of the in-memory hash tables (row cache, memtable, key filter): a 32-bit key hash, and
 * the slot arrays of open addressing with linear probing, `slotAt` (a record's offset, or
 * EMPTY_SLOT) beside `slotHash` (its key's hash, so a probe compares keys only on a hash match).
 */
export const EMPTY_SLOT = 0xffff_ffff;

/** FNV-1a over the bytes, finished with murmur3's mixer so the low bits a table masks with are spread. */
export function keyHash(seed: number, key: Uint8Array): number {
  let h = Math.imul(0x811c9dc5 ^ seed, 16777619);
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key[i]!, 16777619);
  return mix32(h);
}

/** murmur3's 32-bit finalizer. */
export function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** The first empty slot of `hash`'s probe run. */
export function freeSlot(slotAt: Uint32Array, hash: number): number {
  const mask = slotAt.length - 1;
  let slot = hash & mask;
  while (slotAt[slot] !== EMPTY_SLOT) slot = (slot + 1) & mask;
  return slot;
}

/** The slot arrays at twice the size, every entry placed again. */
export function doubledSlots(slotAt: Uint32Array, slotHash: Uint32Array): { slotAt: Uint32Array; slotHash: Uint32Array } {
  const grown = { slotAt: new Uint32Array(slotAt.length * 2).fill(EMPTY_SLOT), slotHash: new Uint32Array(slotAt.length * 2) };
  for (let i = 0; i < slotAt.length; i++) {
    if (slotAt[i] === EMPTY_SLOT) continue;
    const slot = freeSlot(grown.slotAt, slotHash[i]!);
    grown.slotAt[slot] = slotAt[i]!;
    grown.slotHash[slot] = slotHash[i]!;
  }
  return grown;
}
