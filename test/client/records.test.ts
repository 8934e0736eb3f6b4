import * as A from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { arrowSchema, batchFromData, batchToIpc, CHANGE_TYPE_FIELD, COMMIT_TIMESTAMP_FIELD, LOG_OFFSET_FIELD, rowsToBatch } from '../../src/common/arrow.js';
import type { Column } from '../../src/common/schema.js';
import { recordsFromArrow, recordsFromJson, snapshotPageFromJson } from '../../src/client/records.js';

const cols: Column[] = [
  { name: 'id', type: 'int64', nullable: false },
  { name: 'name', type: 'string', nullable: true },
];

function vector(type: A.DataType, values: unknown[]): A.Data {
  const b = A.makeBuilder({ type, nullValues: [null] });
  for (const v of values) b.append(v as never);
  return b.finish().flush() as A.Data;
}

function fetchReply(offsets: bigint[], names: (string | null)[]): Uint8Array {
  const user = rowsToBatch(cols, offsets.map((o, i) => ({ id: o * 10n, name: names[i] ?? null })));
  const schema = arrowSchema(cols, [LOG_OFFSET_FIELD, COMMIT_TIMESTAMP_FIELD, CHANGE_TYPE_FIELD]);
  const children = [
    ...user.data.children,
    vector(new A.Int64(), offsets),
    vector(new A.TimestampMillisecond('UTC'), offsets.map((o) => 1_700_000_000_000 + Number(o))),
    vector(new A.Utf8(), offsets.map(() => '+A')),
  ];
  return batchToIpc(batchFromData(schema, offsets.length, children as A.Data[]));
}

describe('fetched records', () => {
  it('decodes an Arrow fetch reply into typed records with offsets, commit times and change types', () => {
    const headers = new Headers({ 'x-next-offset': '7', 'x-high-watermark': '9' });
    const got = recordsFromArrow(2, fetchReply([5n, 6n], ['a', null]), headers);
    expect(got.nextOffset).toBe(7n);
    expect(got.highWatermark).toBe(9n);
    expect(got.records).toEqual([
      { bucket: 2, offset: 5n, timestamp: 1_700_000_000_005, changeType: '+A', row: { id: 50n, name: 'a' } },
      { bucket: 2, offset: 6n, timestamp: 1_700_000_000_006, changeType: '+A', row: { id: 60n, name: null } },
    ]);
  });

  it('reads an empty Arrow body as no records', () => {
    const got = recordsFromArrow(0, new Uint8Array(0), new Headers({ 'x-next-offset': '3', 'x-high-watermark': '3' }));
    expect(got.records).toEqual([]);
    expect(got.nextOffset).toBe(3n);
  });

  it('refuses an Arrow reply without the offset headers', () => {
    expect(() => recordsFromArrow(0, new Uint8Array(0), new Headers())).toThrow(/x-next-offset/);
  });

  it('decodes a JSON fetch reply, int64 beyond 2^53 included', () => {
    const body = {
      records: [{ id: '9007199254740993', name: 'x', _log_offset: 0, _commit_timestamp: 12, _change_type: '-U' }],
      nextOffset: '1',
      highWatermark: '4',
    };
    expect(recordsFromJson(1, body, cols)).toEqual({
      records: [{ bucket: 1, offset: 0n, timestamp: 12, changeType: '-U', row: { id: 9007199254740993n, name: 'x' } }],
      nextOffset: 1n,
      highWatermark: 4n,
    });
  });

  it('refuses an unknown change type', () => {
    const body = { records: [{ id: 1, _log_offset: 0, _commit_timestamp: 1, _change_type: '?' }], nextOffset: '1', highWatermark: '1' };
    expect(() => recordsFromJson(0, body, cols)).toThrow(/change type/);
  });

  it('reads a snapshot page as +I records without offset or time', () => {
    const page = snapshotPageFromJson(0, { rows: [{ id: 1, name: 'a' }], cursor: 'k1', logOffset: '42' }, cols);
    expect(page).toEqual({ records: [{ bucket: 0, offset: -1n, timestamp: -1, changeType: '+I', row: { id: 1n, name: 'a' } }], cursor: 'k1', logOffset: 42n });
    expect(snapshotPageFromJson(0, { rows: [], cursor: null, logOffset: 0 }, cols).cursor).toBeNull();
  });
});
