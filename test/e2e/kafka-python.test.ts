/**
 * kafka-python 2.0 against the real server: its producer with every codec it has, binary keys,
 * values and headers, the client's own timestamps; its consumer from the beginning, from offsets
 * and from a time (offsets_for_times). Every byte comes back as it was sent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kafkaPartition } from '../../src/common/murmur2.js';
import { startServer, type ServerProcess } from './helpers.js';
import { python, stopClients } from './kafka-helpers.js';

const CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
const PARTITIONS = 2;
const RECORDS = 16;
/** The client's timestamps are an hour old, as a replayed stream's are: CreateTime is the client's. */
const CREATED_MS = Date.now() - 3_600_000;

interface SentRecord {
  topic: string;
  partition?: number;
  key: string | null;
  value: string | null;
  headers: [string, string | null][];
  timestamp: number;
}

interface ConsumedRecord {
  partition: number;
  offset: number;
  timestamp: number;
  key: string | null;
  value: string | null;
  headers: [string, string | null][];
}

let server: ServerProcess;
let bootstrap: string;

beforeAll(async () => {
  server = await startServer();
  bootstrap = `127.0.0.1:${server.kafkaPort}`;
  const created = await python('admin', { bootstrap, create: CODECS.map((c) => ({ name: `py-${c}`, partitions: PARTITIONS })) });
  expect(created.topics.map((t: { errorCode: number }) => t.errorCode)).toEqual(CODECS.map(() => 0));
});

afterAll(async () => {
  await stopClients();
  await server?.stop();
});

const b64 = (bytes: Uint8Array | string) => Buffer.from(bytes).toString('base64');

/**
 * Keys with NUL and 0xff bytes, an empty key, no key (then the partition is chosen); values null,
 * empty and compressible; headers repeating a name, with binary and empty values (kafka-python's
 * producer takes no null ones); timestamps out of order now and then, as clients' clocks are.
 */
function recordsFor(codec: string): SentRecord[] {
  return Array.from({ length: RECORDS }, (_, i) => {
    const key = i % 4 === 3 ? null : i === 1 ? '' : b64(new Uint8Array([i, 0, 0xff, ...Buffer.from(codec)]));
    const value = i === 5 ? null : i === 6 ? '' : b64(`value-${codec}-${i}-`.repeat(i + 1));
    const headers: [string, string | null][] = i % 3 === 0 ? [] : [['h', b64(new Uint8Array([0, i]))], ['trace', b64(`t${i}`)], ['h', '']];
    const timestamp = CREATED_MS + i * 1000 + (i % 4 === 1 ? 1500 : 0);
    return { topic: `py-${codec}`, ...(key === null ? { partition: i % PARTITIONS } : {}), key, value, headers, timestamp };
  });
}

/** Each sent record where the producer said it landed: what a consumer must read back. */
function expectedOf(sent: readonly SentRecord[], results: readonly { partition: number; offset: number }[]): ConsumedRecord[] {
  return sent.map((r, i) => ({ partition: results[i]!.partition, offset: results[i]!.offset, timestamp: r.timestamp, key: r.key, value: r.value, headers: r.headers }))
    .sort((a, b) => a.partition - b.partition || a.offset - b.offset);
}

function byPosition(records: readonly ConsumedRecord[]): ConsumedRecord[] {
  return [...records].sort((a, b) => a.partition - b.partition || a.offset - b.offset);
}

const expectedByCodec = new Map<string, ConsumedRecord[]>();

describe('kafka-python: produce and consume', () => {
  it.each(CODECS)('produces binary keys, values and headers compressed with %s and consumes exactly them back', async (codec) => {
    const sent = recordsFor(codec);
    const produced = await python('produce', { bootstrap, compression: codec === 'none' ? null : codec, lingerMs: 20, records: sent });
    expect(produced.error).toBeUndefined();
    const results: { partition: number; offset: number }[] = produced.results;
    sent.forEach((r, i) => {
      // kafka-python's default partitioner is Kafka's: murmur2 of the key.
      const want = r.partition ?? kafkaPartition(Buffer.from(r.key!, 'base64'), PARTITIONS);
      expect(results[i]!.partition, `record ${i}`).toBe(want);
    });
    for (let p = 0; p < PARTITIONS; p++) {
      const offsets = results.filter((r) => r.partition === p).map((r) => r.offset);
      expect(offsets).toEqual(offsets.map((_, i) => i));
    }
    const expected = expectedOf(sent, results);
    expectedByCodec.set(codec, expected);
    const consumed = await python('consume', { bootstrap, topic: `py-${codec}`, partitions: [0, 1] });
    expect(consumed.error).toBeUndefined();
    expect(byPosition(consumed.records)).toEqual(expected);
  });

  it('consumes from given offsets', async () => {
    const expected = expectedByCodec.get('zstd')!;
    const from = { 0: 3, 1: 2 } as const;
    const consumed = await python('consume', { bootstrap, topic: 'py-zstd', partitions: [0, 1], offsets: from });
    expect(byPosition(consumed.records)).toEqual(expected.filter((r) => r.offset >= from[r.partition as 0 | 1]));
  });

  it('finds offsets by time (offsets_for_times: the first record at or after it, by its own timestamp) and consumes from there', async () => {
    const expected = expectedByCodec.get('gzip')!;
    const since = CREATED_MS + 7_000;
    const consumed = await python('consume', { bootstrap, topic: 'py-gzip', partitions: [0, 1], timestamp: since });
    expect(consumed.error).toBeUndefined();
    const wanted: Record<string, { offset: number; timestamp: number }> = {};
    for (let p = 0; p < PARTITIONS; p++) {
      const first = expected.find((r) => r.partition === p && r.timestamp >= since)!;
      wanted[String(p)] = { offset: first.offset, timestamp: first.timestamp };
    }
    expect(consumed.offsetsForTimes).toEqual(wanted);
    expect(byPosition(consumed.records)).toEqual(expected.filter((r) => r.offset >= wanted[String(r.partition)]!.offset));
  });

  it('finds no offset for a time after every record', async () => {
    const consumed = await python('consume', { bootstrap, topic: 'py-gzip', partitions: [0, 1], timestamp: Date.now() + 3_600_000 });
    expect(consumed.offsetsForTimes).toEqual({ 0: null, 1: null });
    expect(consumed.records).toEqual([]);
  });
});
