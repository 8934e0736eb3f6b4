/** Produced Kafka records -> table rows -> stored batches -> fetched Kafka record batches, without a server. */
import { describe, expect, it } from 'vitest';
import { batchToIpc, rowsToBatch } from '../../../src/common/arrow.js';
import { LakestreamError } from '../../../src/common/errors.js';
import { KAFKA_RECORD_COLUMNS } from '../../../src/common/properties.js';
import { parseTableDefinition, type TableDefinition } from '../../../src/common/schema.js';
import type { Row } from '../../../src/common/values.js';
import { fetchedBatches } from '../../../src/kafka/broker/fetched-records.js';
import { producedRows, type ProducedRecord } from '../../../src/kafka/broker/produced-rows.js';
import { decodeRecordBatches } from '../../../src/kafka/records/record-batch.js';
import { decodeHeaders, encodeHeaders } from '../../../src/kafka/records/record-headers.js';
import { sliceRecords } from '../../../src/server/records.js';

const UTF8 = new TextEncoder();
const bytes = (s: string) => UTF8.encode(s);

function stored(def: TableDefinition, rows: Row[], baseOffset: bigint) {
  return [{ baseOffset, lastOffset: baseOffset + BigInt(rows.length - 1), recordCount: rows.length, commitTimestamp: 1_700_000_000_000, hasChangeType: false, arrowIpc: batchToIpc(rowsToBatch(def.columns, rows)), storedBytes: 0 }];
}

function roundTrip(def: TableDefinition, records: ProducedRecord[], baseOffset = 100n) {
  const { rows } = producedRows(def, 0, records);
  const slice = sliceRecords(stored(def, rows, baseOffset), baseOffset, rows.length, def.columns);
  return decodeRecordBatches(Buffer.concat(fetchedBatches(def, slice)), { decompressedBytesMax: 1 << 20, partialTail: 'refuse' });
}

const raw = parseTableDefinition({ columns: KAFKA_RECORD_COLUMNS, properties: { 'kafka.record-format': 'raw' } });

describe('a raw topic', () => {
  it('fetches back exactly the records produced: keys, nulls, binary headers, timestamps, offsets', () => {
    const records: ProducedRecord[] = [
      { timestamp: 5, key: bytes('k1'), value: bytes('v1'), headers: encodeHeaders([{ key: 'h', value: new Uint8Array([0, 255]) }, { key: 'h', value: null }]) },
      { timestamp: 3, key: null, value: null, headers: null },
      { timestamp: 9_000_000_000_000, key: new Uint8Array(0), value: bytes('x'.repeat(1000)), headers: null },
    ];
    const [batch] = roundTrip(raw, records);
    expect(batch!.baseOffset).toBe(100n);
    expect(batch!.records.map((r) => [r.offsetDelta, r.timestamp, r.key && Buffer.from(r.key).toString(), r.value && Buffer.from(r.value).toString().length]))
      .toEqual([[0, 5, 'k1', 2], [1, 3, null, null], [2, 9_000_000_000_000, '', 1000]]);
    expect(decodeHeaders(batch!.records[0]!.headers).map((h) => [h.key, h.value && [...h.value]])).toEqual([['h', [0, 255]], ['h', null]]);
  });

  it('of a compacted topic needs keys; a null value is a delete', () => {
    const compact = parseTableDefinition({ columns: KAFKA_RECORD_COLUMNS, primaryKey: ['key'], properties: { 'kafka.record-format': 'raw', 'table.bucket.function': 'kafka' } });
    expect(producedRows(compact, 0, [{ timestamp: 1, key: bytes('a'), value: null, headers: null }]).deletes).toEqual([true]);
    expect(() => producedRows(compact, 0, [{ timestamp: 1, key: null, value: bytes('v'), headers: null }])).toThrow(/needs one/);
  });
});

describe('a table created over HTTP', () => {
  const orders = parseTableDefinition({
    columns: [{ name: 'id', type: 'int64' }, { name: 'region', type: 'string' }, { name: 'amount', type: 'float64' }],
    buckets: 2, bucketKey: ['region'], properties: { 'table.bucket.function': 'kafka' },
  });

  it('takes JSON rows and gives them back as JSON values keyed by the canonical key JSON', () => {
    const region = (r: string) => [{ timestamp: 1, key: null, value: bytes(JSON.stringify({ id: 1, region: r, amount: 2.5 })), headers: null }];
    // Whichever bucket 'eu' hashes to, the record must be produced there.
    const bucket = [0, 1].find((b) => { try { producedRows(orders, b, region('eu')); return true; } catch { return false; } })!;
    const { rows } = producedRows(orders, bucket, region('eu'));
    const slice = sliceRecords(stored(orders, rows, 0n), 0n, 1, orders.columns);
    const [batch] = decodeRecordBatches(Buffer.concat(fetchedBatches(orders, slice)), { decompressedBytesMax: 1 << 20, partialTail: 'refuse' });
    expect(Buffer.from(batch!.records[0]!.key!).toString()).toBe('{"region":"eu"}');
    expect(JSON.parse(Buffer.from(batch!.records[0]!.value!).toString())).toEqual({ id: 1, region: 'eu', amount: 2.5 });
    expect(() => producedRows(orders, 1 - bucket, region('eu'))).toThrow(`belongs on partition ${bucket}, not ${1 - bucket}`);
  });

  it('refuses values that are not JSON rows of the table, naming the record and the column', () => {
    const bad = (value: string | null) => () => producedRows(orders, 0, [{ timestamp: 1, key: null, value: value === null ? null : bytes(value), headers: null }]);
    expect(bad('not json')).toThrow(/record 0: the value is not JSON/);
    expect(bad(null)).toThrow(/null value/);
    expect(bad('{"id":"x","region":"eu"}')).toThrow(/'id'/);
    try {
      bad('{"nope":1}')();
    } catch (e) {
      expect((e as LakestreamError).code).toBe('UNKNOWN_COLUMN');
    }
  });
});
