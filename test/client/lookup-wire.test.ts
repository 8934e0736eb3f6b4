import { describe, expect, it } from 'vitest';
import * as A from 'apache-arrow';
import { batchFromData, batchToIpc, ipcToBatches } from '../../src/common/arrow.js';
import { LakestreamError } from '../../src/common/errors.js';
import { COLUMN_TYPES, type Column } from '../../src/common/schema.js';
import type { Row } from '../../src/common/values.js';
import { connect } from '../../src/client/index.js';
import { lookupReplyRows, lookupRequestIpc } from '../../src/client/lookup-wire.js';
import { ARROW_LOOKUP_KEYS_MIN } from '../../src/client/lookuper.js';
import { StoredRowBatchBuilder } from '../../src/kv/row-arrow.js';
import { decodeRow, encodeRow } from '../../src/kv/row-codec.js';
import { int, mulberry32, randomValue } from '../common/random-values.js';
import { TestingServer } from './testing-server.js';

const ALL: Column[] = COLUMN_TYPES.map((type, i) => ({ name: `c_${type}`, type, nullable: i % 2 === 0 }));

describe('client lookup wire', () => {
  it('lookup wire: reads what the server builds, key order kept, null for missing keys (with a leading U+FEFF kept)', () => {
    const rng = mulberry32(31);
    for (let n = 0; n < 100; n++) {
      const stored = Array.from({ length: int(rng, 0, 12) }, () => {
        if (rng() < 0.2) return undefined;
        const row: Row = {};
        for (const c of ALL) row[c.name] = c.nullable && rng() < 0.3 ? null : c.type === 'string' && rng() < 0.2 ? '\uFEFFx' : randomValue(rng, c.type);
        return encodeRow(ALL, row);
      });
      const builder = new StoredRowBatchBuilder(ALL, stored.length);
      for (const s of stored) builder.add(s);
      const got = lookupReplyRows(ALL, batchToIpc(builder.finish()));
      expect(got).toEqual(stored.map((s) => (s === undefined ? null : decodeRow(ALL, s))));
    }
  });

  it('lookup wire: the request is one batch of the key columns', () => {
    const keys: Column[] = [{ name: 'k', type: 'string', nullable: false }, { name: 'n', type: 'int64', nullable: false }];
    const [batch] = ipcToBatches(lookupRequestIpc(keys, [{ k: 'a', n: 1n }, { k: 'b', n: -2n }])).batches;
    expect(batch!.schema.fields.map((f) => f.name)).toEqual(['k', 'n']);
    expect(batch!.toArray().map((r) => r.toJSON())).toEqual([{ k: 'a', n: 1n }, { k: 'b', n: -2n }]);
  });

  it('lookup wire: a reply without a non-null __found column is an INTERNAL error', () => {
    const columns: Column[] = [{ name: 'k', type: 'int32', nullable: false }];
    const k = A.vectorFromArray([1], new A.Int32()).data[0]!;
    const noFound = batchFromData(new A.Schema([new A.Field('k', new A.Int32(), true)]), 1, [k]);
    expect(() => lookupReplyRows(columns, batchToIpc(noFound))).toThrow(LakestreamError);
    const nullFound = batchFromData(new A.Schema([new A.Field('k', new A.Int32(), true), new A.Field('__found', new A.Bool(), true)]), 1, [k, A.vectorFromArray([null], new A.Bool()).data[0]!]);
    expect(() => lookupReplyRows(columns, batchToIpc(nullFound))).toThrow(/__found/);
  });
});

describe('Lookuper: the wire follows the batch size', () => {
  it(`lookuper: fewer than ${ARROW_LOOKUP_KEYS_MIN} keys go as JSON, a larger batch as Arrow, with the same answers`, async () => {
    const server = new TestingServer();
    server.addTable('kv', [{ name: 'k', type: 'int64', nullable: false }, { name: 'v', type: 'string', nullable: true }], ['k']);
    const conn = connect('http://lakestream.test:9123/', { fetch: server.fetch, retry: { initialBackoffMs: 1, maxBackoffMs: 5 } });
    const table = await conn.table('db', 'kv');
    const w = table.upsertWriter({ lingerMs: 0 });
    for (let k = 0; k < 400; k += 2) void w.upsert({ k, v: `v${k}` });
    await w.flush();
    const lookuper = table.lookuper({ maxBatchKeys: 1000 });
    for (const n of [3, ARROW_LOOKUP_KEYS_MIN]) {
      const before = server.requests.length;
      const got = await Promise.all(Array.from({ length: n }, (_, k) => lookuper.lookup({ k })));
      expect(got).toEqual(Array.from({ length: n }, (_, k) => (k % 2 === 0 ? { k: BigInt(k), v: `v${k}` } : null)));
      const sent = server.requests.slice(before);
      expect(sent.map((r) => r.headers.get('content-type'))).toEqual([n < ARROW_LOOKUP_KEYS_MIN ? 'application/json' : 'application/vnd.apache.arrow.stream']);
    }
    await lookuper.close();
  });
});
