/**
 * 32-bit hashes of index keys for the in-memory tables (row cache, memtable, key filter): FNV-1a
 * over the bytes, finished with murmur3's mixer so the low bits a table masks with are spread.
 */
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
