import { describe, expect, test } from 'vitest';
import { LakestreamError } from '../../src/common/errors.js';
import { decodeKey, encodeKey } from '../../src/common/key-encoding.js';
import { COLUMN_TYPES, type Column } from '../../src/common/schema.js';
import { int, mulberry32, pick, randomValue, type Rng } from './random-values.js';

const SEED = Number(process.env.FUZZ_SEED ?? 0x6e7);

function randomColumns(rng: Rng): Column[] {
  return Array.from({ length: int(rng, 1, 4) }, (_, i) => ({ name: `k${i}`, type: pick(rng, COLUMN_TYPES), nullable: false }));
}

/** decodeKey either refuses with INVALID_KEY or returns values that encode back to exactly the same bytes. */
function probe(columns: Column[], bytes: Uint8Array, where: string): 'decoded' | 'refused' {
  let values;
  try {
    values = decodeKey(columns, bytes);
  } catch (e) {
    if (!(e instanceof LakestreamError)) expect.fail(`${where}: ${(e as Error).name} ${(e as Error).message}`);
    expect(e.code, where).toBe('INVALID_KEY');
    return 'refused';
  }
  const again = encodeKey(columns, values);
  if (!Buffer.from(again).equals(Buffer.from(bytes))) expect.fail(`${where}: decoded to values that encode differently (not canonical)`);
  return 'decoded';
}

describe('key encoding fuzz', () => {
  test(`key encoding: 30,000 random byte strings decode canonically or are refused with INVALID_KEY (seed ${SEED})`, () => {
    const rng = mulberry32(SEED);
    const seen = { decoded: 0, refused: 0 };
    for (let i = 0; i < 30_000; i++) {
      const columns = randomColumns(rng);
      const bytes = Uint8Array.from({ length: int(rng, 0, 40) }, () => (rng() < 0.3 ? pick(rng, [0, 1, 0x80, 0xff]) : int(rng, 0, 255)));
      seen[probe(columns, bytes, `seed ${SEED} case ${i} [${columns.map((c) => c.type)}] ${Buffer.from(bytes).toString('hex')}`)]++;
    }
    expect(seen.refused).toBeGreaterThan(1000);
    expect(seen.decoded).toBeGreaterThan(100);
  });

  test(`key encoding: mutated valid keys decode canonically or are refused (seed ${SEED})`, () => {
    const rng = mulberry32(SEED + 1);
    let refused = 0;
    for (let i = 0; i < 30_000; i++) {
      const columns = randomColumns(rng);
      const valid = encodeKey(columns, columns.map((c) => randomValue(rng, c.type)));
      let bytes: Uint8Array;
      const kind = int(rng, 0, 3);
      if (kind === 0 && valid.length > 0) {
        bytes = Uint8Array.from(valid);
        bytes[int(rng, 0, bytes.length - 1)]! ^= 1 << int(rng, 0, 7);
      } else if (kind === 1) bytes = valid.slice(0, int(rng, 0, valid.length));
      else if (kind === 2) bytes = Buffer.concat([valid, Uint8Array.from({ length: int(rng, 1, 3) }, () => int(rng, 0, 255))]);
      else {
        bytes = Uint8Array.from(valid);
        if (bytes.length > 0) bytes[int(rng, 0, bytes.length - 1)] = pick(rng, [0x00, 0x01, 0xff, 0xc0, 0xed]);
      }
      if (probe(columns, bytes, `seed ${SEED} case ${i} kind ${kind} [${columns.map((c) => c.type)}] ${Buffer.from(bytes).toString('hex')}`) === 'refused') refused++;
    }
    expect(refused).toBeGreaterThan(5_000);
  });
});
