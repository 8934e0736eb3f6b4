import { describe, expect, test } from 'vitest';
import { batchRows, batchToIpc, conformBatch, ipcToBatches, rowsToBatch } from '../../src/common/arrow.js';
import { LakestreamError } from '../../src/common/errors.js';
import { COLUMN_TYPES, type Column } from '../../src/common/schema.js';
import type { Row } from '../../src/common/values.js';
import { int, mulberry32, pick, randomValue, type Rng } from './random-values.js';

const SEED = Number(process.env.FUZZ_SEED ?? 0xa770);
const CASES = 4_000;
const CALL_MS_MAX = 2_000;

function randomTable(rng: Rng): { columns: Column[]; ipc: Uint8Array } {
  const columns: Column[] = Array.from({ length: int(rng, 1, 5) }, (_, i) => ({ name: `c${i}`, type: pick(rng, COLUMN_TYPES), nullable: rng() < 0.6 }));
  const rows: Row[] = Array.from({ length: int(rng, 0, 30) }, () => {
    const row: Row = {};
    for (const c of columns) row[c.name] = c.nullable && rng() < 0.3 ? null : randomValue(rng, c.type);
    return row;
  });
  const batches = [rowsToBatch(columns, rows)];
  if (rng() < 0.3) batches.push(rowsToBatch(columns, rows.slice(0, int(rng, 0, rows.length))));
  return { columns, ipc: batchToIpc(batches) };
}

/** Byte flips, int32 overwrites with edge values (lengths, offsets, counts), truncation, splices. */
function mutate(rng: Rng, original: Uint8Array): { bytes: Uint8Array; what: string } {
  const kind = int(rng, 0, 4);
  if (kind === 3) {
    const cut = int(rng, 0, original.length - 1);
    return { bytes: original.slice(0, cut), what: `truncated to ${cut}` };
  }
  if (kind === 4) {
    const at = int(rng, 0, original.length);
    const junk = Uint8Array.from({ length: int(rng, 1, 32) }, () => int(rng, 0, 255));
    return { bytes: Buffer.concat([original.subarray(0, at), junk, original.subarray(at + (rng() < 0.5 ? junk.length : 0))]), what: `${junk.length} random bytes spliced at ${at}` };
  }
  const bytes = Uint8Array.from(original);
  const spots: string[] = [];
  for (let i = int(rng, 1, 4); i > 0; i--) {
    const at = int(rng, 0, bytes.length - 1);
    if (kind === 0) {
      bytes[at]! ^= 1 << int(rng, 0, 7);
      spots.push(`bit@${at}`);
    } else if (kind === 1) {
      bytes[at] = int(rng, 0, 255);
      spots.push(`byte@${at}`);
    } else if (at + 4 <= bytes.length) {
      const v = pick(rng, [0, 1, -1, 0x7fffffff, -0x80000000, 0x10000, 0x7ffffff8, 8, 1 << 30]);
      new DataView(bytes.buffer).setInt32(at - (at % 4), v, true);
      spots.push(`int32@${at - (at % 4)}=${v}`);
    }
  }
  return { bytes, what: spots.join(' ') };
}

/** What the server does with an Arrow body: read, conform to the table, and turn into rows. */
function serverPath(columns: Column[], bytes: Uint8Array): number {
  const { batches } = ipcToBatches(bytes);
  let n = 0;
  for (const b of batches) n += batchRows(conformBatch(columns, b)).length;
  return n;
}

describe('Arrow IPC fuzz', () => {
  test(`arrow: ${CASES} mutated IPC streams give rows or a 4xx LakestreamError, never another exception or a hang (seed ${SEED})`, () => {
    const rng = mulberry32(SEED);
    const outcomes = { read: 0, refused: 0 };
    const codes = new Set<string>();
    for (let i = 0; i < CASES; i++) {
      const { columns, ipc } = randomTable(rng);
      const { bytes, what } = mutate(rng, ipc);
      const started = performance.now();
      try {
        serverPath(columns, bytes);
        outcomes.read++;
      } catch (e) {
        if (!(e instanceof LakestreamError) || e.status >= 500) {
          expect.fail(`seed ${SEED} case ${i} (${what}): ${(e as Error).name} ${(e as Error).message?.slice(0, 300)}\n${(e as Error).stack?.split('\n').slice(0, 4).join('\n')}`);
        }
        codes.add(e.code);
        outcomes.refused++;
      }
      const ms = performance.now() - started;
      if (ms > CALL_MS_MAX) expect.fail(`seed ${SEED} case ${i} (${what}): took ${Math.round(ms)} ms`);
    }
    expect(outcomes.refused).toBeGreaterThan(CASES / 10);
    expect(codes.has('INVALID_ARROW')).toBe(true);
  });

  test(`arrow: random bytes and truncated streams are INVALID_ARROW (seed ${SEED})`, () => {
    const rng = mulberry32(SEED + 1);
    const { ipc } = randomTable(rng);
    const inputs: Uint8Array[] = [new Uint8Array(0), Uint8Array.of(0xff, 0xff, 0xff, 0xff), ...Array.from({ length: 500 }, () => Uint8Array.from({ length: int(rng, 1, 300) }, () => int(rng, 0, 255)))];
    // Continuation marker plus a metadata length far past the end.
    inputs.push(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xf0, 0xff, 0xff, 0x7f, 1, 2, 3));
    inputs.push(ipc.slice(0, 8));
    for (const [i, bytes] of inputs.entries()) {
      try {
        ipcToBatches(bytes);
        // A few random strings can be an empty but valid stream; they must not carry batches then.
      } catch (e) {
        if (!(e instanceof LakestreamError)) expect.fail(`seed ${SEED} input ${i}: ${(e as Error).name} ${(e as Error).message}`);
        expect(e.code).toBe('INVALID_ARROW');
      }
    }
  });
});
