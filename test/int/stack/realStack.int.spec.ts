// The real stack answers as the rest of the system needs it to: Avro through the registry
// and Kafka in a consumer group, Kafka transactions, Redis and PostgreSQL.
import { SchemaType } from '@kafkajs/confluent-schema-registry';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForLeaders } from '../../../platform/kafka/topics.js';
import { createSchemaRegistry } from '../../../platform/registry/codec.js';
import { stackStatus, stackUp } from '../../../stack/stack.js';
import { openTestStack, type TestStack } from '../../support/realStack.js';
import { waitFor } from '../../support/waitFor.js';

let stack: TestStack;
beforeAll(async () => {
  stack = await openTestStack('stack');
});
afterAll(async () => {
  await stack.close();
});

async function consumeAll(topic: string, count: number, readUncommitted = false): Promise<Buffer[]> {
  const consumer = stack.kafka.consumer({ groupId: `${topic}-reader`, readUncommitted, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const seen: Buffer[] = [];
  await consumer.run({ eachMessage: async ({ message }) => void seen.push(message.value ?? Buffer.alloc(0)) });
  try {
    await waitFor(() => seen.length >= count, { what: `${count} records on ${topic}` });
    return seen;
  } finally {
    await consumer.disconnect();
  }
}

describe('the local stack', () => {
  it('reports four healthy parts, and a second up changes nothing', async () => {
    const before = await stackStatus();
    await stackUp(() => undefined);
    const after = await stackStatus();
    expect(before.map((p) => [p.part, p.healthy])).toEqual([
      ['kafka', true],
      ['registry', true],
      ['redis', true],
      ['postgres', true],
    ]);
    expect(after).toEqual(before);
  });

  it('carries an Avro record registered in the registry through Kafka to a consumer group', async () => {
    const registry = createSchemaRegistry(stack.config);
    const schema = { type: 'record', name: 'Probe', namespace: 'dev.flashsale.test', fields: [{ name: 'n', type: 'int' }] };
    const { id } = await registry.register(
      { type: SchemaType.AVRO, schema: JSON.stringify(schema) },
      { subject: `${stack.prefix}-probe-value` },
    );
    const topic = `${stack.prefix}.probe`;
    const admin = stack.kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: false });
    await waitForLeaders(admin, [topic]);
    await admin.disconnect();
    const producer = stack.kafka.producer({ idempotent: true });
    await producer.connect();
    const value = await registry.encode(id, { n: 42 });
    expect(value[0]).toBe(0); // the Confluent wire format's magic byte
    expect(value.readInt32BE(1)).toBe(id);
    await producer.send({ topic, acks: -1, messages: [{ value }] });
    await producer.disconnect();

    const [received] = await consumeAll(topic, 1);
    expect(await registry.decode(received!)).toEqual({ n: 42 });
  });

  it('commits a kafkajs transaction and keeps an aborted one invisible to read_committed consumers', async () => {
    const topic = `${stack.prefix}.tx`;
    const admin = stack.kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: false });
    await waitForLeaders(admin, [topic]);
    await admin.disconnect();
    const producer = stack.kafka.producer({ idempotent: true, maxInFlightRequests: 1, transactionalId: `${stack.prefix}-tx` });
    await producer.connect();
    const aborted = await producer.transaction();
    await aborted.send({ topic, messages: [{ value: 'aborted' }] });
    await aborted.abort();
    const committed = await producer.transaction();
    await committed.send({ topic, messages: [{ value: 'committed' }] });
    await committed.commit();
    const marker = await producer.transaction();
    await marker.send({ topic, messages: [{ value: 'last' }] });
    await marker.commit();
    await producer.disconnect();

    const seen = await consumeAll(topic, 2);
    expect(seen.map(String)).toEqual(['committed', 'last']);
  });

  it('round-trips through Redis and PostgreSQL', async () => {
    const redis = new Redis(stack.config.redisUrl);
    await redis.set(`${stack.prefix}:k`, 'v', 'EX', 60);
    expect(await redis.get(`${stack.prefix}:k`)).toBe('v');
    redis.disconnect();

    const client = new pg.Client({ connectionString: stack.config.databaseUrl });
    await client.connect();
    const { rows } = await client.query<{ n: number }>('select $1::int + 1 as n', [41]);
    expect(rows[0]?.n).toBe(42);
    await client.end();
  });
});
