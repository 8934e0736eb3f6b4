// A Kafka client against lakestream: kafkajs (a devDependency of the clone) produces to a
// compacted topic, which is a primary-key table, and reads it back; the last value per key is also
// a lookup away over HTTP. Run with the server up: node examples/kafkajs.mjs
import { Kafka, logLevel } from 'kafkajs';

// kafkajs 2 warns that its default partitioner changed; it is Kafka's (murmur2), the one lakestream uses.
process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= '1';

const kafka = new Kafka({ clientId: 'example', brokers: [process.env.KAFKA_BROKER ?? '127.0.0.1:9092'], logLevel: logLevel.WARN });
const admin = kafka.admin();
await admin.connect();
const topics = await admin.listTopics();
if (!topics.includes('profiles')) {
  await admin.createTopics({ topics: [{ topic: 'profiles', numPartitions: 4, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }] });
}
await admin.disconnect();

const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
await producer.connect();
await producer.send({ topic: 'profiles', messages: [
  { key: 'ada', value: JSON.stringify({ city: 'London' }) },
  { key: 'bob', value: JSON.stringify({ city: 'Oslo' }) },
  { key: 'ada', value: JSON.stringify({ city: 'Paris' }) },
] });
await producer.disconnect();

const consumer = kafka.consumer({ groupId: `example-${Date.now()}` });
await consumer.connect();
await consumer.subscribe({ topic: 'profiles', fromBeginning: true });
let seen = 0;
await new Promise((resolve) => consumer.run({
  eachMessage: async ({ partition, message }) => {
    console.log(`partition ${partition} offset ${message.offset}: ${message.key} = ${message.value}`);
    if (++seen === 3) resolve();
  },
}));
await consumer.disconnect();

const server = process.env.LAKESTREAM_SERVER ?? 'http://127.0.0.1:9123';
const res = await fetch(`${server}/v1/databases/kafka/tables/profiles/lookup`, {
  method: 'POST', headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ keys: [{ key: Buffer.from('ada').toString('base64') }] }),
});
const { rows } = await res.json();
console.log('lookup ada:', Buffer.from(rows[0].value, 'base64').toString());
