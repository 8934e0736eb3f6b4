import { createRequire } from 'node:module';
import { describe, expect, test } from 'vitest';
import { kafkaPartition, murmur2, toPositive } from '../../src/common/murmur2.js';
import { int, mulberry32 } from './random-values.js';

const require = createRequire(import.meta.url);
/** kafkajs 2.2.4's Java-compatible murmur2 (its DefaultPartitioner's hash). */
const kafkajsMurmur2 = require('kafkajs/src/producer/partitioners/default/murmur2.js') as (key: Buffer) => number;
const DefaultPartitioner = require('kafkajs/src/producer/partitioners/default/index.js') as () => (args: object) => number;

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('murmur2', () => {
  test('murmur2: Kafka\'s own test vectors (UtilsTest.testMurmur2)', () => {
    const vectors: [Uint8Array, number][] = [
      [utf8('21'), -973932308],
      [utf8('foobar'), -790332482],
      [Uint8Array.of(12, 42, 56, 24, 109, 111), 274204207],
      [utf8('a-little-bit-long-string'), -985981536],
      [utf8('a-little-bit-longer-string'), -1486304829],
      [utf8('lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8'), -58897971],
      [utf8('abc'), 479470107],
    ];
    expect(vectors.map(([key]) => murmur2(key))).toEqual(vectors.map(([, hash]) => hash));
  });

  test('murmur2: matches kafkajs for every tail length and thousands of random keys', () => {
    const rng = mulberry32(0x6d75726d);
    const keys: Uint8Array[] = [new Uint8Array(0)];
    for (let length = 1; length <= 40; length++) keys.push(Uint8Array.from({ length }, () => int(rng, 0, 255)));
    for (let i = 0; i < 2000; i++) keys.push(Uint8Array.from({ length: int(rng, 0, 200) }, () => int(rng, 0, 255)));
    keys.push(new Uint8Array(64).fill(0xff), new Uint8Array(63).fill(0x80));
    expect(keys.map(murmur2)).toEqual(keys.map((k) => kafkajsMurmur2(Buffer.from(k))));
  });

  test('murmur2: toPositive clears the sign bit only', () => {
    expect([0, 1, -1, -2147483648, 2147483647, -973932308].map(toPositive)).toEqual([0, 1, 2147483647, 0, 2147483647, 1173551340]);
  });

  test('murmur2: kafkaPartition picks the partition kafkajs\'s default partitioner picks', () => {
    const rng = mulberry32(7);
    const partitioner = DefaultPartitioner();
    for (let i = 0; i < 500; i++) {
      const key = Buffer.from(`order-${int(rng, 0, 1_000_000)}`);
      const partitions = int(rng, 1, 64);
      const partitionMetadata = Array.from({ length: partitions }, (_, p) => ({ partitionId: p, leader: 0 }));
      expect(kafkaPartition(key, partitions)).toBe(partitioner({ topic: 't', partitionMetadata, message: { key } }));
    }
    expect(kafkaPartition(utf8('foobar'), 10)).toBe(6);
    expect(() => kafkaPartition(utf8('k'), 0)).toThrow(RangeError);
  });
});
