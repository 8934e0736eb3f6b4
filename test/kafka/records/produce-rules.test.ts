import { describe, expect, test } from 'vitest';
import { checkProducedBatches } from '../../../src/kafka/records/produce-rules.js';
import { encodeRecordBatch, type RecordBatch } from '../../../src/kafka/records/record-batch.js';
import { RecordBatchError } from '../../../src/kafka/records/record-batch-error.js';
import { awkwardRecords, decodeAll, sourceOf } from './helpers.js';

function produced(fields: Parameters<typeof sourceOf>[1] = {}): RecordBatch {
  return decodeAll(encodeRecordBatch(sourceOf(awkwardRecords(1_700_000_000_000), fields)))[0]!;
}

function refusal(batches: RecordBatch[]): [string, string] {
  try {
    checkProducedBatches(batches);
  } catch (err) {
    if (err instanceof RecordBatchError) return [err.kafkaError, err.message];
    throw err;
  }
  return ['accepted', ''];
}

describe('produce rules', () => {
  test('produce rules: well-formed client batches pass, one or several', () => {
    expect(refusal([produced()])).toEqual(['accepted', '']);
    expect(refusal([produced({ producerId: 5n, producerEpoch: 0, baseSequence: 0 }), produced({ baseOffset: 5n })])).toEqual(['accepted', '']);
  });

  test('produce rules: what Kafka\'s LogValidator refuses from a client is refused', () => {
    const good = produced();
    expect(refusal([])[0]).toBe('INVALID_RECORD');
    expect(refusal([{ ...good, recordCount: 0, records: [] }])).toEqual(['INVALID_RECORD', 'record batch holds 0 records']);
    expect(refusal([{ ...good, lastOffsetDelta: 7 }])[1]).toMatch(/last offset delta 7 disagrees with its 5 records/);
    expect(refusal([{ ...good, isControl: true }])).toEqual(['INVALID_RECORD', 'clients may not write control batches']);
    expect(refusal([{ ...good, producerId: 9n, baseSequence: -1 }])[1]).toMatch(/producer 9 has sequence -1/);
    expect(refusal([produced({ logAppendTime: 1 })])[0]).toBe('INVALID_TIMESTAMP');
    expect(refusal([good, { ...good, isControl: true }])[0]).toBe('INVALID_RECORD');
  });
});
