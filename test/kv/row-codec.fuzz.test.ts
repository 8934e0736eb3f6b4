import { describe, expect, test } from 'vitest';
import { LakestreamError } from '../../src/common/errors.js';
import { COLUMN_TYPES, type Column } from '../../src/common/schema.js';
import type { Row } from '../../src/common/values.js';
import { decodeRow, encodeRow } from '../../src/kv/row-codec.js';
import { int, mulberry32, pick, randomValue, type Rng } from '../common/random-values.js';

const SEED = Number(process.env.FUZZ_SEED ?? 0x20c0dec);

function randomColumns(rng: Rng): Column[] {
  return Array.from({ length: int(rng, 1, 10) }, (_, i) => ({ name: `c${i}`, type: pick(rng, COLUMN_TYPES), nullable: rng() < 0.5 }));
}

function randomRow(rng: Rng, columns: readonly Column[]): Row {
  const row: Row = {};
  for (const c of columns) row[c.name] = c.nullable && rng() < 0.3 ? null : randomValue(rng, c.type);
  return row;
}

function sameRow(columns: readonly Column[], a: Row, b: Row): boolean {
  return columns.every((c) => {
    const x = a[c.name];
    const y = b[c.name];
    if (x instanceof Uint8Array && y instanceof Uint8Array) return Buffer.from(x).equals(Buffer.from(y));
    return Object.is(x, y);
  });
}

/** decodeRow either refuses with a LakestreamError or returns a row that survives another round trip. */
function probe(columns: Column[], bytes: Uint8Array, where: string): 'decoded' | 'refused' {
  let row: Row;
  try {
    row = decodeRow(columns, bytes);
  } catch (e) {
    if (!(e instanceof LakestreamError)) expect.fail(`${where}: ${(e as Error).name} ${(e as Error).message}`);
    return 'refused';
  }
  const again = decodeRow(columns, encodeRow(columns, row));
  if (!sameRow(columns, row, again)) expect.fail(`${where}: the decoded row does not round-trip`);
  return 'decoded';
}

describe('row codec fuzz', () => {
  test(`row codec: mutated stored rows decode to a valid row or are refused, never another exception (seed ${SEED})`, () => {
    const rng = mulberry32(SEED);
    const seen = { decoded: 0, refused: 0 };
    for (let i = 0; i < 20_000; i++) {
      const columns = randomColumns(rng);
      const valid = encodeRow(columns, randomRow(rng, columns));
      let bytes: Uint8Array;
      const kind = int(rng, 0, 4);
      if (kind === 0) {
        bytes = Uint8Array.from(valid);
        for (let j = int(rng, 1, 3); j > 0; j--) bytes[int(rng, 0, bytes.length - 1)]! ^= 1 << int(rng, 0, 7);
      } else if (kind === 1) bytes = valid.slice(0, int(rng, 0, valid.length - 1));
      else if (kind === 2) bytes = Buffer.concat([valid, Uint8Array.from({ length: int(rng, 1, 4) }, () => int(rng, 0, 255))]);
      else if (kind === 3) {
        // A varint length byte set huge: the decoder must check it against the bytes left.
        bytes = Uint8Array.from(valid);
        const at = int(rng, 1, bytes.length - 1);
        bytes.set([0xff, 0xff, 0xff, 0xff, 0x0f].slice(0, bytes.length - at), at);
      } else bytes = Uint8Array.from({ length: int(rng, 0, 60) }, () => int(rng, 0, 255));
      seen[probe(columns, bytes, `seed ${SEED} case ${i} kind ${kind} [${columns.map((c) => `${c.type}${c.nullable ? '?' : ''}`)}] ${Buffer.from(bytes).toString('hex').slice(0, 200)}`)]++;
    }
    expect(seen.refused).toBeGreaterThan(5_000);
    expect(seen.decoded).toBeGreaterThan(100);
  });
});
