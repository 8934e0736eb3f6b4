import { describe, expect, it } from 'vitest';
import { BATCH_SEQUENCE_MAX, idempotenceHeaders, newWriterId, SequenceCounter, WriterSequencer } from '../../src/client/sequence.js';

describe('batch sequences', () => {
  it('numbers batches 0, 1, 2, ... one per call', () => {
    const s = new SequenceCounter();
    expect([s.next(), s.next(), s.next()]).toEqual([0, 1, 2]);
    expect(s.peek()).toBe(3);
  });

  it('wraps from int32 max to 0', () => {
    const s = new SequenceCounter(BATCH_SEQUENCE_MAX - 1);
    expect([s.next(), s.next(), s.next()]).toEqual([BATCH_SEQUENCE_MAX - 1, BATCH_SEQUENCE_MAX, 0]);
  });

  it('refuses a start outside int32', () => {
    expect(() => new SequenceCounter(-1)).toThrow(RangeError);
    expect(() => new SequenceCounter(2 ** 31)).toThrow(RangeError);
  });

  it('picks a positive int64 writer id, never 0', () => {
    for (let i = 0; i < 200; i++) {
      const id = newWriterId();
      expect(id > 0n && id < 2n ** 62n).toBe(true);
    }
    const max = newWriterId(() => new Uint8Array(8).fill(0xff));
    expect(max).toBe(2n ** 62n - 1n);
    let calls = 0;
    const skipsZero = newWriterId(() => (calls++ === 0 ? new Uint8Array(8) : Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 7)));
    expect(skipsZero).toBe(7n);
  });

  it('sends the pair as decimal headers', () => {
    expect(idempotenceHeaders(9_007_199_254_740_993n, 5)).toEqual({ 'x-writer-id': '9007199254740993', 'x-batch-sequence': '5' });
  });

  it('restarts at sequence 0 under a fresh writer id after rotate()', () => {
    let n = 0;
    const seq = new WriterSequencer(() => Uint8Array.of(0, 0, 0, 0, 0, 0, 0, ++n));
    expect(seq.next()).toEqual({ writerId: 1n, sequence: 0 });
    expect(seq.next()).toEqual({ writerId: 1n, sequence: 1 });
    seq.rotate();
    expect(seq.next()).toEqual({ writerId: 2n, sequence: 0 });
  });
});
