import { mix32 } from './hash-table.js';

/**
 * A blocked Bloom filter over index keys: "certainly absent" or "maybe present". The write planner
 * asks it before LMDB, so a new key (half of a typical upsert stream, all of an insert stream)
 * costs a probe of one cache line instead of a B-tree descent that finds nothing.
 *
 * Blocked (Putze, Sanders, Singler 2007): a key's bits all fall in one 512-bit block, one cache
 * miss per probe instead of one per bit, for a false-positive rate of about 1% at 10 bits a key
 * (an unblocked filter gets 0.8%). A false positive costs only the LMDB read it would have saved.
 */
const BLOCK_BITS = 512;
const BLOCK_WORDS = BLOCK_BITS / 32;
const BITS_PER_KEY = 10;
const PROBES = 7;

export class KeyFilter {
  private readonly words: Uint32Array;
  private readonly blocks: number;
  private added = 0;

  /** Sized for `capacity` keys; more still work, with a rising false-positive rate (see `full`). */
  constructor(readonly capacity: number) {
    this.blocks = Math.max(1, Math.ceil((capacity * BITS_PER_KEY) / BLOCK_BITS));
    this.words = new Uint32Array(this.blocks * BLOCK_WORDS);
  }

  /** Holding more keys than it was sized for: time to build a larger one. */
  get full(): boolean {
    return this.added > this.capacity;
  }

  get bytes(): number {
    return this.words.byteLength;
  }

  /** The bits, to hand a filter filled on another thread to `absorb`. */
  get bits(): Uint32Array {
    return this.words;
  }

  /** Adds every key of a filter of the same capacity, given its bits and key count. */
  absorb(bits: Uint32Array, keys: number): void {
    if (bits.length !== this.words.length) throw new Error(`key filter: ${bits.length} words absorbed into ${this.words.length}`);
    for (let i = 0; i < bits.length; i++) this.words[i]! |= bits[i]!;
    this.added += keys;
  }

  add(key: Uint8Array): void {
    const [block, a, b] = hashes(key, this.blocks);
    const base = block * BLOCK_WORDS;
    for (let i = 0, bit = a; i < PROBES; i++, bit = (bit + b) & (BLOCK_BITS - 1)) this.words[base + (bit >>> 5)]! |= 1 << (bit & 31);
    this.added++;
  }

  mightContain(key: Uint8Array): boolean {
    const [block, a, b] = hashes(key, this.blocks);
    const base = block * BLOCK_WORDS;
    for (let i = 0, bit = a; i < PROBES; i++, bit = (bit + b) & (BLOCK_BITS - 1)) {
      if ((this.words[base + (bit >>> 5)]! & (1 << (bit & 31))) === 0) return false;
    }
    return true;
  }
}

const scratch: [number, number, number] = [0, 0, 0];

/**
 * Two independent 32-bit hashes of the key (FNV-1a, and the same walk with murmur2's multiplier, each finished with murmur3's
 * mix): one picks the block, the other the probe sequence inside it (double hashing with an odd
 * step, so the probes differ). Returns a shared tuple: read it at once.
 */
function hashes(key: Uint8Array, blocks: number): [number, number, number] {
  let h1 = 0x811c9dc5;
  let h2 = 0x050c5d1f;
  for (let i = 0; i < key.length; i++) {
    h1 = Math.imul(h1 ^ key[i]!, 16777619);
    h2 = Math.imul(h2 ^ key[i]!, 0x5bd1e995);
  }
  h1 = mix32(h1);
  h2 = mix32(h2 ^ 0x9e3779b9);
  scratch[0] = Math.floor((h1 / 2 ** 32) * blocks);
  scratch[1] = h2 & (BLOCK_BITS - 1);
  scratch[2] = (h2 >>> 16) | 1;
  return scratch;
}
