import { describe, expect, it } from 'vitest';
import { batchRows, batchToIpc, ipcToBatches } from '../../src/common/arrow.js';
import { LakestreamError } from '../../src/common/errors.js';
import { rowToJson } from '../../src/common/json-values.js';
import { COLUMN_TYPES, type Column } from '../../src/common/schema.js';
import type { Row, Value } from '../../src/common/values.js';
import { FOUND_COLUMN, StoredRowBatchBuilder } from '../../src/kv/row-arrow.js';
import { decodeRow, encodeRow } from '../../src/kv/row-codec.js';
import { StoredRowsJsonWriter } from '../../src/kv/row-json.js';
import { int, mulberry32, pick, randomValue, type Rng } from '../common/random-values.js';

const ALL: Column[] = [
  ...COLUMN_TYPES.map((type) => ({ name: `n_${type}`, type, nullable: true })),
  ...COLUMN_TYPES.map((type) => ({ name: `r_${type}`, type, nullable: false })),
];
/** Everything JSON.stringify escapes, and things it must not (DEL, U+2028, astral). */
const JSON_ATOMS = ['"', '\\', '\n', '\r', '\t', '\b', '\f', '\0', '\u001f', '\u007f', '\u2028', '/', '😀', 'é', 'plain'];

function randomValueFor(rng: Rng, c: Column): Value {
  if (c.type === 'string' && rng() < 0.5) return Array.from({ length: int(rng, 1, 4) }, () => pick(rng, JSON_ATOMS)).join('');
  return randomValue(rng, c.type);
}

function randomRowBytes(rng: Rng, columns: readonly Column[]): Uint8Array {
  const row: Row = {};
  for (const c of columns) row[c.name] = c.nullable && rng() < 0.3 ? null : randomValueFor(rng, c);
  return encodeRow(columns, row);
}

/** A stored row, or (sometimes) a missing one. */
function randomStored(rng: Rng, columns: readonly Column[]): Uint8Array | undefined {
  return rng() < 0.15 ? undefined : randomRowBytes(rng, columns);
}

/** The JSON API's text for these stored rows, built the slow way. */
function referenceJson(columns: readonly Column[], stored: readonly (Uint8Array | undefined)[]): string {
  return JSON.stringify({ rows: stored.map((s) => (s === undefined ? null : rowToJson(columns, decodeRow(columns, s)))) });
}

function writeJson(columns: readonly Column[], stored: readonly (Uint8Array | undefined)[]): string {
  const writer = new StoredRowsJsonWriter(columns, '{"rows":[', ']}', 16);
  for (const s of stored) writer.add(s);
  return writer.finish().toString('utf8');
}

function buildBatch(columns: readonly Column[], stored: readonly (Uint8Array | undefined)[]) {
  const builder = new StoredRowBatchBuilder(columns, stored.length);
  for (const s of stored) builder.add(s);
  return builder.finish();
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Row r of a batch column by column. Strings are decoded from the Arrow buffers here: Arrow JS's own
 * decoder drops a leading U+FEFF, which the column holds.
 */
function cell(batch: ReturnType<typeof buildBatch>, column: Column, r: number): Value {
  const vector = batch.getChild(column.name)!;
  if (column.type !== 'string' || !vector.isValid(r)) return batchRows(batch.slice(r, r + 1), [column.name])[0]![column.name] ?? null;
  const data = vector.data[0]!;
  return utf8.decode(data.values.subarray(data.valueOffsets[r]!, data.valueOffsets[r + 1]!));
}

function sameValue(a: Value, b: Value): boolean {
  if (a instanceof Uint8Array && b instanceof Uint8Array) return Buffer.from(a).equals(Buffer.from(b));
  return Object.is(a, b);
}

/** A stored row with one byte flipped, or cut, or extended. */
function damaged(rng: Rng, bytes: Uint8Array): Uint8Array {
  const kind = int(rng, 0, 2);
  if (kind === 1) return bytes.slice(0, int(rng, 0, bytes.length - 1));
  if (kind === 2) return Uint8Array.from([...bytes, int(rng, 0, 255)]);
  const out = bytes.slice();
  out[int(rng, 0, out.length - 1)]! ^= 1 << int(rng, 0, 7);
  return out;
}

/** Runs `fn`; 'refused' for an INTERNAL LakestreamError (a corrupt row), anything else fails the test. */
function outcome<T>(fn: () => T): T | 'refused' {
  try {
    return fn();
  } catch (e) {
    expect(e).toBeInstanceOf(LakestreamError);
    expect((e as LakestreamError).code).toBe('INTERNAL');
    return 'refused';
  }
}

describe('lookup writers: JSON straight from stored rows', () => {
  it('row json: random rows of every type, nulls and missing rows match JSON.stringify of the decoded rows', () => {
    const rng = mulberry32(21);
    for (let i = 0; i < 300; i++) {
      const stored = Array.from({ length: int(rng, 0, 8) }, () => randomStored(rng, ALL));
      expect(writeJson(ALL, stored)).toBe(referenceJson(ALL, stored));
    }
  });

  it('row json: int64 beyond 2^53 is a string, the safe edges are numbers; floats print as JavaScript prints them', () => {
    const columns: Column[] = [{ name: 'i', type: 'int64', nullable: false }, { name: 'f', type: 'float64', nullable: false }];
    const cases: [bigint, number][] = [
      [2n ** 53n - 1n, 0.1], [-(2n ** 53n - 1n), -0], [2n ** 53n, 1e21], [-(2n ** 53n), 5e-324], [-(2n ** 63n), NaN], [2n ** 63n - 1n, -Infinity], [0n, 123456789.5],
    ];
    const stored = cases.map(([i, f]) => encodeRow(columns, { i, f }));
    const text = writeJson(columns, stored);
    expect(text).toBe(referenceJson(columns, stored));
    expect(JSON.parse(text).rows.map((r: { i: unknown }) => r.i)).toEqual([9007199254740991, -9007199254740991, '9007199254740992', '-9007199254740992', '-9223372036854775808', '9223372036854775807', 0]);
  });

  it('row json: a damaged row is refused as INTERNAL exactly when decodeRow refuses it, else written the same', () => {
    const rng = mulberry32(22);
    for (let i = 0; i < 3000; i++) {
      const bad = damaged(rng, randomRowBytes(rng, ALL));
      const expected = outcome(() => referenceJson(ALL, [bad]));
      expect(outcome(() => writeJson(ALL, [bad]))).toBe(expected);
    }
  });
});

describe('lookup writers: an Arrow batch straight from stored rows', () => {
  it('row arrow: row i answers key i; found rows equal the decoded rows, missing ones are all null with __found false', () => {
    const rng = mulberry32(23);
    for (let i = 0; i < 200; i++) {
      const stored = Array.from({ length: int(rng, 0, 20) }, () => randomStored(rng, ALL));
      // Through IPC and back, as a client reads it (ipcToBatches verifies the buffers).
      const [batch] = ipcToBatches(batchToIpc(buildBatch(ALL, stored))).batches;
      expect(batch!.numRows).toBe(stored.length);
      const found = batch!.getChild(FOUND_COLUMN)!;
      stored.forEach((s, r) => {
        expect(found.get(r)).toBe(s !== undefined);
        const want = s === undefined ? undefined : decodeRow(ALL, s);
        for (const c of ALL) {
          const got = cell(batch!, c, r);
          if (!sameValue(got, want?.[c.name] ?? null)) expect.fail(`row ${r} column ${c.name}: got ${String(got)}, want ${String(want?.[c.name])}`);
        }
      });
    }
  });

  it('row arrow: table columns are nullable in the reply, __found is a non-nullable boolean', () => {
    const batch = buildBatch(ALL, [encodeRow(ALL, Object.fromEntries(ALL.map((c) => [c.name, c.nullable ? null : randomValue(mulberry32(1), c.type)])))]);
    expect(batch.schema.fields.map((f) => [f.name, f.nullable])).toEqual([...ALL.map((c) => [c.name, true]), [FOUND_COLUMN, false]]);
    expect(String(batch.schema.fields.at(-1)!.type)).toBe('Bool');
  });

  it('row arrow: a damaged row is refused as INTERNAL exactly when decodeRow refuses it', () => {
    const rng = mulberry32(24);
    for (let i = 0; i < 3000; i++) {
      const bad = damaged(rng, randomRowBytes(rng, ALL));
      const refused = outcome(() => decodeRow(ALL, bad)) === 'refused';
      expect(outcome(() => buildBatch(ALL, [bad])) === 'refused').toBe(refused);
    }
  });

  it('row arrow: a string cut inside a character is refused even though the column data as a whole is UTF-8', () => {
    const columns: Column[] = [{ name: 's', type: 'string', nullable: false }];
    // 'é' is C3 A9: the first row ends after C3, the second starts with A9.
    const first = Uint8Array.from([1, 1, 0, 1, 0xc3]);
    const second = Uint8Array.from([1, 1, 0, 1, 0xa9]);
    expect(outcome(() => buildBatch(columns, [first, second]))).toBe('refused');
  });
});

describe('lookup writers: the Arrow reply framed straight from the builder', () => {
  function both(columns: readonly Column[], stored: readonly (Uint8Array | undefined)[]): { fast: Uint8Array; generic: Uint8Array } {
    const a = new StoredRowBatchBuilder(columns, stored.length);
    const b = new StoredRowBatchBuilder(columns, stored.length);
    for (const s of stored) {
      a.add(s);
      b.add(s);
    }
    return { fast: a.finishIpc(), generic: batchToIpc(b.finish()) };
  }

  it('finishIpc: the same bytes as batchToIpc(finish()), readable with the same values, for every type, nulls and missing keys', () => {
    const rng = mulberry32(25);
    for (let i = 0; i < 300; i++) {
      const stored = Array.from({ length: int(rng, 0, 20) }, () => randomStored(rng, ALL));
      const { fast, generic } = both(ALL, stored);
      expect(Buffer.from(fast).equals(Buffer.from(generic))).toBe(true);
      const [batch] = ipcToBatches(fast).batches;
      expect(batch!.numRows).toBe(stored.length);
      stored.forEach((s, r) => {
        expect(batch!.getChild(FOUND_COLUMN)!.get(r)).toBe(s !== undefined);
        const want = s === undefined ? undefined : decodeRow(ALL, s);
        for (const c of ALL) {
          const got = cell(batch!, c, r);
          if (!sameValue(got, want?.[c.name] ?? null)) expect.fail(`row ${r} column ${c.name}: got ${String(got)}, want ${String(want?.[c.name])}`);
        }
      });
    }
  });

  it('finishIpc: one column at a time of each type, all rows missing, and all rows null', () => {
    const rng = mulberry32(26);
    for (const c of ALL) {
      const columns = [c];
      for (const stored of [
        [undefined, undefined, undefined],
        Array.from({ length: 9 }, () => randomStored(rng, columns)),
        c.nullable ? Array.from({ length: 17 }, () => encodeRow(columns, { [c.name]: null })) : [],
      ]) {
        const { fast, generic } = both(columns, stored);
        expect(Buffer.from(fast).equals(Buffer.from(generic))).toBe(true);
        expect(ipcToBatches(fast).batches[0]!.numRows).toBe(stored.length);
      }
    }
  });

  it('finishIpc: a builder that takes over the buffers of a finished one answers as a fresh one, nothing of the last reply left', () => {
    const rng = mulberry32(28);
    const found = Array.from({ length: 40 }, () => encodeRow(ALL, Object.fromEntries(ALL.map((c) => [c.name, randomValue(rng, c.type)]))));
    const next = Array.from({ length: 40 }, (_, i) => (i % 3 === 0 ? found[i] : i % 3 === 1 ? undefined : randomStored(rng, ALL)));
    const first = new StoredRowBatchBuilder(ALL, found.length);
    for (const s of found) first.add(s);
    first.finishIpc();
    const reusing = new StoredRowBatchBuilder(ALL, next.length);
    const fresh = new StoredRowBatchBuilder(ALL, next.length);
    for (const s of next) {
      reusing.add(s);
      fresh.add(s);
    }
    expect(Buffer.from(reusing.finishIpc()).equals(Buffer.from(batchToIpc(fresh.finish())))).toBe(true);
    expect(() => reusing.add(undefined)).toThrow(LakestreamError);
  });

  it('finishIpc: a damaged row is refused as INTERNAL exactly when decodeRow refuses it', () => {
    const rng = mulberry32(27);
    for (let i = 0; i < 2000; i++) {
      const bad = damaged(rng, randomRowBytes(rng, ALL));
      const refused = outcome(() => decodeRow(ALL, bad)) === 'refused';
      expect(outcome(() => {
        const builder = new StoredRowBatchBuilder(ALL, 1);
        builder.add(bad);
        return builder.finishIpc();
      }) === 'refused').toBe(refused);
    }
  });
});
