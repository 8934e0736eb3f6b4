/**
 * Producer ids for idempotent Kafka producers. A producer id is the writer id of lakestream's
 * idempotent writes (the log keeps each writer's recent batch sequences, so a retried batch is
 * answered with its original offsets). Kafka's ids are drawn from [2^62, 2^63), above every HTTP
 * writer id (common/writer-ids.ts).
 *
 * Ids survive restarts: a block of ids is reserved durably (`<data-dir>/kafka/producer-ids`, written
 * with fsync) before any id of it is handed out, so after a crash the next id is past every id given.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fail } from '../../common/errors.js';
import { KAFKA_PRODUCER_ID_MIN } from '../../common/writer-ids.js';
import { mkdirDurably, nodeIo, replaceFileDurably } from '../../common/storage-io.js';
import type { BucketLog } from '../../log/bucket-log.js';
import { WRITERS_MAX } from '../../log/writer-state.js';
import { KafkaError } from '../protocol/error-codes.js';
import { KafkaCodeError } from './kafka-errors.js';

const PRODUCER_ID_MAX = (1n << 63n) - 1n;
const BLOCK = 1000n;
/** Kafka's sequences wrap from Integer.MAX_VALUE to 0. */
const SEQUENCE_MODULUS = 2 ** 31;

export class ProducerIds {
  private next: bigint;
  private reservedUpTo: bigint;
  /**
   * The sequence each producer's next batch must carry, per bucket, as seen since this start; after
   * a restart a producer's first batch sets it (the log still recognises retries of older batches).
   */
  private readonly expected = new WeakMap<BucketLog, Map<bigint, number>>();

  private constructor(private readonly file: string, start: bigint) {
    this.next = start;
    this.reservedUpTo = start;
  }

  static async open(dataDir: string): Promise<ProducerIds> {
    const dir = path.join(dataDir, 'kafka');
    await mkdirDurably(nodeIo, dir);
    const file = path.join(dir, 'producer-ids');
    let start = KAFKA_PRODUCER_ID_MIN;
    if (fs.existsSync(file)) {
      const text = fs.readFileSync(file, 'utf8').trim();
      if (!/^\d{1,19}$/.test(text) || BigInt(text) < KAFKA_PRODUCER_ID_MIN) fail('STORAGE_ERROR', `${file} is damaged (holds '${text.slice(0, 40)}'); remove it only if no idempotent producer may still retry`);
      start = BigInt(text);
    }
    return new ProducerIds(file, start);
  }

  /**
   * Judges a batch's sequence before it is written: 'new' (write it), 'duplicate' (the log answers
   * it with its original offset), or a refusal: a skipped sequence is OUT_OF_ORDER_SEQUENCE_NUMBER,
   * a sequence older than the log's window of remembered batches DUPLICATE_SEQUENCE_NUMBER.
   */
  checkSequence(log: BucketLog, producerId: bigint, sequence: number): 'new' | 'duplicate' {
    const check = log.checkWriter(producerId, sequence);
    if (check.kind === 'duplicate') return 'duplicate';
    if (check.kind === 'out-of-order') {
      throw new KafkaCodeError(KafkaError.DUPLICATE_SEQUENCE_NUMBER, `producer ${producerId}: sequence ${sequence} is older than the batches the partition remembers (from ${check.oldestSequence})`);
    }
    const expected = this.expected.get(log)?.get(producerId);
    if (expected !== undefined && sequence !== expected) {
      throw new KafkaCodeError(KafkaError.OUT_OF_ORDER_SEQUENCE_NUMBER, `producer ${producerId}: sequence ${sequence} where ${expected} was expected (a batch in between is missing)`);
    }
    return 'new';
  }

  /** Remembers a written batch: the producer's next batch on this bucket follows its last record. */
  recordSequence(log: BucketLog, producerId: bigint, sequence: number, records: number): void {
    let byProducer = this.expected.get(log);
    if (!byProducer) this.expected.set(log, (byProducer = new Map()));
    byProducer.delete(producerId); // re-inserted as the most recent
    byProducer.set(producerId, (sequence + records) % SEQUENCE_MODULUS);
    if (byProducer.size > WRITERS_MAX) byProducer.delete(byProducer.keys().next().value!);
  }

  /** A new producer id, never handed out before on this data dir. */
  async allocate(): Promise<bigint> {
    if (this.next >= this.reservedUpTo) {
      const upTo = this.next + BLOCK;
      if (upTo > PRODUCER_ID_MAX) fail('STORAGE_ERROR', 'producer ids are exhausted');
      await replaceFileDurably(nodeIo, this.file, `${upTo}\n`);
      this.reservedUpTo = upTo;
    }
    return this.next++;
  }
}
