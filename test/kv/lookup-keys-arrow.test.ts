import * as A from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { arrowType, batchFromData, batchToIpc, DATE_DAYS_MAX } from '../../src/common/arrow.js';
import { LakestreamError } from '../../src/common/errors.js';
import { readIpcBatchLayout } from '../../src/common/arrow-ipc-layout.js';
import { COLUMN_TYPES, type Column, type ColumnType, type TableDefinition } from '../../src/common/schema.js';
import type { Row, Value } from '../../src/common/values.js';
import { ArrowKeyEncoder, encodeKey } from '../../src/common/key-encoding.js';
import type { LookupKeys } from '../../src/kv/arrow-keys.js';
import { lookupKeys } from '../../src/server/primary-key.js';
import type { TableRuntime } from '../../src/server/table-store.js';
import { int, mulberry32, randomValue, type Rng } from '../common/random-values.js';

/**
 * Arrow keys: the first stream of a schema is read the generic way, later ones with the same schema
 * bytes encoded straight from the body buffers. Both must give the bytes `encodeKey` gives for the
 * key rows, and bad bodies the same errors.
 */
function tableOf(columns: Column[]): TableRuntime {
  const definition: TableDefinition = { columns, primaryKey: columns.map((c) => c.name), buckets: 1, bucketKey: columns.map((c) => c.name), properties: {} };
  return { definition, kv: [], qualifiedName: 'db.t' } as unknown as TableRuntime;
}

/** A key value the generic read gives back unchanged (a leading U+FEFF is kept only by the fast read). */
function keyValue(rng: Rng, type: ColumnType): Value {
  const v = randomValue(rng, type);
  return typeof v === 'string' && v.startsWith('\uFEFF') ? `x${v}` : v;
}

function keysStream(columns: readonly Column[], rows: readonly Row[]): Uint8Array {
  const children = columns.map((c) => {
    const builder = A.makeBuilder({ type: arrowType(c.type), nullValues: [null] });
    for (const r of rows) builder.append(r[c.name] as never);
    return builder.finish().flush() as A.Data;
  });
  const schema = new A.Schema(columns.map((c) => new A.Field(c.name, arrowType(c.type), false)));
  return batchToIpc(batchFromData(schema, rows.length, children));
}

/** Every key of a lookup as hex (each key's bytes are only valid until the next one is encoded). */
function encodedKeys(keys: LookupKeys): string[] {
  return Array.from({ length: keys.count }, (_, i) => Buffer.from(keys.encoded(i)).toString('hex'));
}

function expectedKeys(columns: readonly Column[], rows: readonly Row[]): string[] {
  return rows.map((r) => Buffer.from(encodeKey(columns, columns.map((c) => r[c.name]!))).toString('hex'));
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
    return 'ok';
  } catch (e) {
    expect(e).toBeInstanceOf(LakestreamError);
    return (e as LakestreamError).code;
  }
}

describe('lookup keys from Arrow: the fast read of a known schema', () => {
  it('gives exactly the bytes of encodeKey, as the generic read does, for a key column of every type', () => {
    const rng = mulberry32(31);
    for (const type of COLUMN_TYPES) {
      const columns: Column[] = [{ name: 'k', type, nullable: false }, { name: 'id', type: 'int64', nullable: false }];
      const table = tableOf(columns);
      for (let round = 0; round < 20; round++) {
        const rows = Array.from({ length: int(rng, 0, 12) }, () => ({ k: keyValue(rng, type), id: BigInt(int(rng, -1000, 1000)) }));
        const body = keysStream(columns, rows);
        const first = encodedKeys(lookupKeys(table, body));
        const fast = lookupKeys(table, body);
        expect(fast).toBeInstanceOf(ArrowKeyEncoder);
        expect(encodedKeys(fast)).toEqual(first);
        expect(first).toEqual(expectedKeys(columns, rows));
      }
    }
  });

  it('encodes the range edges of dates and timestamps, and refuses values past them as the generic read does', () => {
    const columns: Column[] = [{ name: 'd', type: 'date', nullable: false }, { name: 't', type: 'timestamp', nullable: false }];
    const table = tableOf(columns);
    const edge = DATE_DAYS_MAX * 86_400_000;
    const rows = [{ d: edge, t: Number.MAX_SAFE_INTEGER }, { d: -edge, t: -Number.MAX_SAFE_INTEGER }, { d: 0, t: -1 }];
    const body = keysStream(columns, rows);
    expect(encodedKeys(lookupKeys(table, body))).toEqual(expectedKeys(columns, rows));
    expect(encodedKeys(lookupKeys(table, body))).toEqual(expectedKeys(columns, rows));
    const past = keysStream(columns, [{ d: 0, t: Number.MAX_SAFE_INTEGER }]);
    const view = new DataView(past.buffer, past.byteOffset, past.byteLength);
    const read = readIpcBatchLayout(past, past.length);
    if (read.kind !== 'layout') throw new Error('no layout');
    const dateAt = read.layout.bodyStart + read.layout.buffers[1]!.offset;
    const timeAt = read.layout.bodyStart + read.layout.buffers[3]!.offset;
    const pastDate = past.slice();
    new DataView(pastDate.buffer).setInt32(dateAt, DATE_DAYS_MAX + 1, true);
    const pastTime = past.slice();
    new DataView(pastTime.buffer).setBigInt64(timeAt, view.getBigInt64(timeAt, true) + 1n, true);
    for (const bad of [pastDate, pastTime]) expect(codeOf(() => lookupKeys(table, bad))).toBe(codeOf(() => lookupKeys(tableOf(columns), bad)));
  });

  it('keeps a leading U+FEFF of a string key, and reads strings that are not UTF-8 as the generic read does', () => {
    const columns: Column[] = [{ name: 's', type: 'string', nullable: false }];
    const table = tableOf(columns);
    lookupKeys(table, keysStream(columns, [{ s: 'warm' }]));
    const rows = [{ s: '\uFEFFbom' }, { s: 'é😀' }];
    expect(encodedKeys(lookupKeys(table, keysStream(columns, rows)))).toEqual(expectedKeys(columns, rows));
    const broken = keysStream(columns, [{ s: 'aé' }]);
    broken[Buffer.from(broken).indexOf('aé') + 1] = 0xff;
    expect(encodedKeys(lookupKeys(table, broken))).toEqual(encodedKeys(lookupKeys(tableOf(columns), broken)));
  });

  it('damaged bodies of a known schema get the generic answer: INVALID_ARROW, never another error', () => {
    const columns: Column[] = [{ name: 's', type: 'string', nullable: false }, { name: 'id', type: 'int64', nullable: false }];
    const rows = [{ s: 'eu', id: 1n }, { s: 'us', id: -7n }];
    const valid = keysStream(columns, rows);
    const read = readIpcBatchLayout(valid, valid.length);
    if (read.kind !== 'layout') throw new Error('no layout');
    const { layout } = read;
    const offsetsAt = layout.bodyStart + layout.buffers[1]!.offset;
    const rng = mulberry32(32);
    const table = tableOf(columns);
    expect(encodedKeys(lookupKeys(table, valid))).toEqual(expectedKeys(columns, rows));
    const decreasing = valid.slice();
    new DataView(decreasing.buffer).setInt32(offsetsAt + 4, 3, true);
    new DataView(decreasing.buffer).setInt32(offsetsAt + 8, 2, true);
    const pastData = valid.slice();
    new DataView(pastData.buffer).setInt32(offsetsAt + 8, 1000, true);
    expect(codeOf(() => lookupKeys(table, decreasing))).toBe('INVALID_ARROW');
    expect(codeOf(() => lookupKeys(table, pastData))).toBe('INVALID_ARROW');
    expect(codeOf(() => lookupKeys(table, valid.subarray(0, layout.bodyStart + 4)))).toBe('INVALID_ARROW');
    // Every damage of the batch part: the fast read answers exactly as the generic read does.
    for (let i = 0; i < 2000; i++) {
      const bad = valid.slice();
      const at = int(rng, layout.bodyStart - 100, bad.length - 1);
      bad[at]! ^= 1 << int(rng, 0, 7);
      const fresh = tableOf(columns); // nothing remembered: the generic read
      const generic = codeOf(() => encodedKeys(lookupKeys(fresh, bad)));
      const fastCode = codeOf(() => encodedKeys(lookupKeys(table, bad)));
      expect(fastCode).toBe(generic);
      if (generic === 'ok') expect(encodedKeys(lookupKeys(table, bad))).toEqual(encodedKeys(lookupKeys(fresh, bad)));
    }
  });

  it('a second batch, nulls and too many keys go the generic way', () => {
    const columns: Column[] = [{ name: 'id', type: 'int64', nullable: false }];
    const table = tableOf(columns);
    const one = keysStream(columns, [{ id: 1n }]);
    lookupKeys(table, one);
    const schema = new A.Schema([new A.Field('id', new A.Int64(), false)]);
    const batch = (ids: bigint[]) => batchFromData(schema, ids.length, [A.makeData({ type: new A.Int64(), length: ids.length, nullCount: 0, data: BigInt64Array.from(ids) })]);
    expect(encodedKeys(lookupKeys(table, batchToIpc([batch([1n, 2n]), batch([3n])])))).toEqual(expectedKeys(columns, [{ id: 1n }, { id: 2n }, { id: 3n }]));
    const withNull = A.makeData({ type: new A.Int64(), length: 2, nullCount: 1, nullBitmap: Uint8Array.of(1), data: BigInt64Array.of(1n, 0n) });
    expect(codeOf(() => lookupKeys(table, batchToIpc(batchFromData(schema, 2, [withNull]))))).toBe('NULL_IN_NON_NULLABLE');
    expect(codeOf(() => lookupKeys(table, batchToIpc(batch(Array.from({ length: 10_001 }, (_, i) => BigInt(i))))))).toBe('TOO_MANY_KEYS');
  });
});
