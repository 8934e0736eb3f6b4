import { describe, expect, it } from 'vitest';
import { batchToIpc, rowsToBatch } from '../../../src/common/arrow.js';
import { fetchedBatches } from '../../../src/kafka/broker/fetched-records.js';
import { kafkaTopicDefinition } from '../../../src/kafka/broker/topics.js';
import { decodeRecordBatches } from '../../../src/kafka/records/record-batch.js';
import type { StoredBatch } from '../../../src/log/bucket-log.js';
import { sliceRecords } from '../../../src/server/records.js';

const BASE_OFFSET = 10n;
const CREATED_MS = 1_700_000_000_000;
const utf8 = (s: string) => new TextEncoder().encode(s);

describe('fetched records: a raw topic\'s stored rows as Kafka record batches', () => {
  const def = kafkaTopicDefinition('t', { partitions: 1, configs: new Map() });
  const rows = Array.from({ length: 5 }, (_, i) => ({ key: utf8(`k${i}`), value: utf8(`v${i}`), headers: null, timestamp: CREATED_MS + i * 1000 }));
  const stored: StoredBatch[] = [{
    baseOffset: BASE_OFFSET, lastOffset: BASE_OFFSET + 4n, recordCount: 5, commitTimestamp: CREATED_MS + 60_000,
    hasChangeType: false, arrowIpc: batchToIpc(rowsToBatch(def.columns, rows)), storedBytes: 0,
  }];

  function fetchFrom(offset: bigint) {
    const batches = fetchedBatches(def, sliceRecords(stored, offset, 100, def.columns));
    return batches.flatMap((b) => decodeRecordBatches(b, { decompressedBytesMax: 1 << 20, partialTail: 'refuse' }))
      .flatMap((b) => b.records.map((r) => ({ offset: b.baseOffset + BigInt(r.offsetDelta), timestamp: r.timestamp, key: Buffer.from(r.key!).toString() })));
  }

  it('gives every record with its own timestamp', () => {
    expect(fetchFrom(BASE_OFFSET)).toEqual(rows.map((r, i) => ({ offset: BASE_OFFSET + BigInt(i), timestamp: r.timestamp, key: `k${i}` })));
  });

  it('gives the records from an offset inside a stored batch with their own timestamps (a sliced Arrow batch)', () => {
    expect(fetchFrom(BASE_OFFSET + 2n)).toEqual([2, 3, 4].map((i) => ({ offset: BASE_OFFSET + BigInt(i), timestamp: rows[i]!.timestamp, key: `k${i}` })));
  });
});
