import { compareBytes } from '../common/key-encoding.js';

/**
 * The order of a batch of keys, for the index writer's sorted puts: an MSD sort that packs three
 * key bytes and the entry's position into one float64 per key, so the engine's native numeric sort
 * does the comparing (no comparator call, no string per key). Each byte is a digit 1..256, or 0
 * once the key has ended, so a key sorts before the longer keys it is a prefix of. Keys whose three
 * digits tie are ordered by the next three, from the first byte some of them differ in.
 */
const POSITION_BITS = 21;
const POSITIONS = 2 ** POSITION_BITS;
const DIGITS = 3;
/** Below this many keys, insertion sort beats packing. */
const SMALL = 8;

export function keyOrder(keys: readonly Uint8Array[]): Uint32Array {
  const order = Uint32Array.from({ length: keys.length }, (_, i) => i);
  // 257^3 digit values times 2^21 positions stay under 2^53; a larger batch takes a comparator sort.
  if (keys.length > POSITIONS) return order.sort((a, b) => compareBytes(keys[a]!, keys[b]!));
  sortFrom(keys, order, sharedPrefix(keys));
  return order;
}

function sortFrom(keys: readonly Uint8Array[], order: Uint32Array, depth: number): void {
  const n = order.length;
  if (n < 2) return;
  if (n <= SMALL) {
    insertionSort(keys, order);
    return;
  }
  const packed = new Float64Array(n);
  for (let j = 0; j < n; j++) packed[j] = digits(keys[order[j]!]!, depth) * POSITIONS + j;
  packed.sort();
  const before = order.slice();
  for (let j = 0; j < n; j++) order[j] = before[packed[j]! % POSITIONS]!;
  for (let start = 0; start < n;) {
    const value = Math.floor(packed[start]! / POSITIONS);
    let end = start + 1;
    while (end < n && Math.floor(packed[end]! / POSITIONS) === value) end++;
    // A last digit of 0 means the keys ended within these bytes, all alike: they are equal.
    if (end - start > 1 && value % 257 !== 0) sortFrom(keys, order.subarray(start, end), depth + DIGITS);
    start = end;
  }
}

/** Bytes depth..depth+2 as base-257 digits: byte + 1, or 0 past the key's end. */
function digits(key: Uint8Array, depth: number): number {
  let v = 0;
  for (let d = 0; d < DIGITS; d++) v = v * 257 + (depth + d < key.length ? key[depth + d]! + 1 : 0);
  return v;
}

function insertionSort(keys: readonly Uint8Array[], order: Uint32Array): void {
  for (let j = 1; j < order.length; j++) {
    const x = order[j]!;
    let k = j - 1;
    while (k >= 0 && compareBytes(keys[order[k]!]!, keys[x]!) > 0) {
      order[k + 1] = order[k]!;
      k--;
    }
    order[k + 1] = x;
  }
}

/** How many leading bytes every key has in common. */
function sharedPrefix(keys: readonly Uint8Array[]): number {
  if (keys.length === 0) return 0;
  const first = keys[0]!;
  let shared = first.length;
  for (let i = 1; i < keys.length && shared > 0; i++) {
    const k = keys[i]!;
    const limit = Math.min(shared, k.length);
    let j = 0;
    while (j < limit && k[j] === first[j]) j++;
    shared = j;
  }
  return shared;
}
