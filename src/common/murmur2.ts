/**
 * Kafka's key hash (Utils.murmur2 in Kafka's clients): 32-bit MurmurHash2 with seed 0x9747b28c,
 * computed on Java ints, so every multiplication wraps to 32 bits (Math.imul) and the result is a
 * signed int32. The default partitioner of the Java client, librdkafka's murmur2 partitioner and
 * kafkajs's DefaultPartitioner all send a keyed record to toPositive(murmur2(key)) % partitions;
 * a topic lakestream partitions must do the same, or keys land where clients do not look for them.
 */

const SEED = 0x9747b28c;
const M = 0x5bd1e995;
const R = 24;

/** Kafka's murmur2 of `data`, as the Java int it returns. */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  let h = SEED ^ length;
  const whole = length & ~3;
  for (let i = 0; i < whole; i += 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    k = Math.imul(k, M);
    k ^= k >>> R;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  // The trailing 1-3 bytes, as Java's fall-through switch on length % 4 mixes them.
  const tail = length & 3;
  if (tail === 3) h ^= data[whole + 2]! << 16;
  if (tail >= 2) h ^= data[whole + 1]! << 8;
  if (tail >= 1) {
    h ^= data[whole]!;
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/** Kafka's Utils.toPositive: clears the sign bit (not Math.abs, which would fold two hashes together). */
export function toPositive(n: number): number {
  return n & 0x7fffffff;
}

/** The partition Kafka's default partitioner picks for a non-null key. */
export function kafkaPartition(keyBytes: Uint8Array, partitions: number): number {
  if (!Number.isInteger(partitions) || partitions < 1) throw new RangeError(`kafkaPartition: ${partitions} partitions`);
  return toPositive(murmur2(keyBytes)) % partitions;
}
