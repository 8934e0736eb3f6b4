import { randomBytes } from 'node:crypto';
import { HTTP_WRITER_ID_MAX } from '../common/writer-ids.js';

/**
 * Idempotent writes. Each writer picks a random positive int64 id at creation and numbers its
 * batches 0, 1, 2, ... (int32, wrapping to 0 after 2^31-1 as Kafka does). The pair travels as
 *
 *   x-writer-id:      decimal int64
 *   x-batch-sequence: decimal int32
 *
 * A sequence is assigned once, when a batch is sealed, and a retry re-sends the same bytes under the
 * same pair, so the server acknowledges it again instead of appending it twice.
 */
export const WRITER_ID_HEADER = 'x-writer-id';
export const BATCH_SEQUENCE_HEADER = 'x-batch-sequence';
export const BATCH_SEQUENCE_MAX = 2 ** 31 - 1;

/**
 * A random id in [1, 2^62): positive, so it never collides with a "no writer" sentinel, and below
 * the ids of Kafka producers (writer-ids.ts).
 */
export function newWriterId(random: (bytes: number) => Uint8Array = (n) => randomBytes(n)): bigint {
  for (;;) {
    const bytes = random(8);
    let id = 0n;
    for (const b of bytes.subarray(0, 8)) id = (id << 8n) | BigInt(b);
    id &= HTTP_WRITER_ID_MAX;
    if (id !== 0n) return id;
  }
}

export class SequenceCounter {
  private nextSeq: number;

  constructor(start = 0) {
    if (!Number.isInteger(start) || start < 0 || start > BATCH_SEQUENCE_MAX) throw new RangeError(`batch sequence start ${start} is outside 0..${BATCH_SEQUENCE_MAX}`);
    this.nextSeq = start;
  }

  /** The sequence for the next sealed batch; each call gives a new one. */
  next(): number {
    const seq = this.nextSeq;
    this.nextSeq = seq === BATCH_SEQUENCE_MAX ? 0 : seq + 1;
    return seq;
  }

  peek(): number {
    return this.nextSeq;
  }
}

/**
 * The (writer id, sequence) source of one writer. After a batch fails for good its sequence is a
 * hole; `rotate()` picks a fresh writer id and restarts at 0 so a server that insists on contiguous
 * sequences per writer never sees a gap. Batches already sealed keep the pair they were given.
 */
export class WriterSequencer {
  private id: bigint;
  private counter: SequenceCounter;
  private readonly random: ((bytes: number) => Uint8Array) | undefined;

  constructor(random?: (bytes: number) => Uint8Array) {
    this.random = random;
    this.id = newWriterId(random);
    this.counter = new SequenceCounter();
  }

  get writerId(): bigint {
    return this.id;
  }

  next(): { writerId: bigint; sequence: number } {
    return { writerId: this.id, sequence: this.counter.next() };
  }

  rotate(): void {
    this.id = newWriterId(this.random);
    this.counter = new SequenceCounter();
  }
}

export function idempotenceHeaders(writerId: bigint, sequence: number): Record<string, string> {
  return { [WRITER_ID_HEADER]: writerId.toString(), [BATCH_SEQUENCE_HEADER]: String(sequence) };
}
