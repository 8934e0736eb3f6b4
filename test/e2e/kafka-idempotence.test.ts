/**
 * An idempotent Kafka producer across kill -9 of the server: its retries after the restart lose
 * nothing and duplicate nothing. The producer id and each batch's sequence are the log's writer id
 * and batch sequence, so the restarted server recognises a batch it had written before it died.
 */
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { startServer, tempDir, type ServerProcess } from './helpers.js';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

let server: ServerProcess | undefined;

afterAll(async () => {
  await server?.stop();
});

describe('idempotent producer across kill -9', () => {
  it('every acknowledged and every retried message is in the topic exactly once', async () => {
    const dataDir = tempDir('lakestream-kafka-idem-');
    server = await startServer({ dataDir });
    const { port, kafkaPort } = server;
    const kafka = new Kafka({ clientId: 'idem', brokers: [`127.0.0.1:${kafkaPort}`], logLevel: logLevel.NOTHING, retry: { retries: 30, initialRetryTime: 100, maxRetryTime: 500 } });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'ledger', numPartitions: 2 }] });
    await admin.disconnect();
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const total = 400;
    const kills = [120, 280];
    const sends: Promise<unknown>[] = [];
    for (let i = 0; i < total; i += 10) {
      sends.push(producer.send({ topic: 'ledger', acks: -1, messages: Array.from({ length: 10 }, (_, j) => ({ key: `k${(i + j) % 13}`, value: `m-${i + j}` })) }));
      if (kills.includes(i)) {
        // Kill while batches are in flight, then come back on the same ports and data dir.
        await server.kill9();
        server = await startServer({ dataDir, port, kafkaPort });
      } else {
        await sends[sends.length - 1];
      }
    }
    await Promise.all(sends);
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId: 'audit', maxWaitTimeInMs: 200 });
    await consumer.connect();
    await consumer.subscribe({ topic: 'ledger', fromBeginning: true });
    const counts = new Map<string, number>();
    let seen = 0;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`read ${seen} of ${total}`)), 30_000);
      void consumer.run({
        eachMessage: async ({ message }) => {
          const v = message.value!.toString();
          counts.set(v, (counts.get(v) ?? 0) + 1);
          if (++seen >= total) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
    // Anything past `total` would be a duplicate: give a late one the chance to arrive.
    const end = await (async () => {
      const a = kafka.admin();
      await a.connect();
      const offsets = await a.fetchTopicOffsets('ledger');
      await a.disconnect();
      return offsets.reduce((n, o) => n + Number(o.high), 0);
    })();
    await consumer.disconnect();
    expect(end).toBe(total);
    expect(counts.size).toBe(total);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
  });
});
