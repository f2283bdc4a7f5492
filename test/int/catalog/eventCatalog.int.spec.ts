// The event catalog on the real registry and broker: every event round-trips, schemas
// evolve only BACKWARD-compatibly, and a poison record is dead-lettered, not dropped.
import fs from 'node:fs';
import path from 'node:path';
import { COMPATIBILITY, SchemaType } from '@kafkajs/confluent-schema-registry';
import avro from 'avsc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConsumerRunner, type Delivered } from '../../../platform/kafka/consumerRunner.js';
import { createEventCodec, createSchemaRegistry } from '../../../platform/registry/codec.js';
import type { FlashsaleEvent } from '../../../schemas/events/index.js';
import { ClaimRequested } from '../../../schemas/events/storefront.js';
import { subjectOf, topicName, topics } from '../../../schemas/topics.js';
import { AVSC_DIR } from '../../../scripts/gen-avsc.js';
import { openTestStack, type TestStack } from '../../support/realStack.js';
import { allSampleEvents, sampleEvents } from '../../support/sampleEvents.js';
import { waitFor } from '../../support/waitFor.js';

let stack: TestStack;
beforeAll(async () => {
  stack = await openTestStack('catalog');
});
afterAll(async () => {
  await stack.close();
});

describe('the event catalog', () => {
  it('creates every catalog topic with its partitions and retention', async () => {
    const admin = stack.kafka.admin();
    await admin.connect();
    const meta = await admin.fetchTopicMetadata({ topics: topics.map((t) => topicName(stack.prefix, t.name)) });
    const configs = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: 2, name: topicName(stack.prefix, 'sales'), configNames: ['retention.ms'] }],
    });
    await admin.disconnect();
    const byName = (a: [string, number], b: [string, number]) => a[0].localeCompare(b[0]);
    expect(meta.topics.map((t): [string, number] => [t.name, t.partitions.length]).sort(byName)).toEqual(
      topics.map((t): [string, number] => [topicName(stack.prefix, t.name), t.partitions]).sort(byName),
    );
    expect(configs.resources[0]?.configEntries[0]?.configValue).toBe('-1');
  });

  it('round-trips every event type through the registry and the broker, in a consumer group', async () => {
    const sent = allSampleEvents();
    const received: Delivered[] = [];
    const runner = await startConsumerRunner({
      kafka: stack.kafka,
      codec: stack.codec,
      log: stack.log,
      topicPrefix: stack.prefix,
      subscription: { group: 'test.roundtrip', topics: topics.map((t) => t.name).filter((n) => n !== 'dead-letter') },
      handle: async (batch) => void received.push(...batch),
    });
    await stack.publisher.publish(sent);
    await waitFor(() => received.length >= sent.length, { what: 'every event back' });
    await runner.stop();
    const byId = new Map(received.map((d) => [d.event.eventId, d.event]));
    for (const event of sent) expect(byId.get(event.eventId)).toEqual(event);
  });

  it('acknowledges each of many concurrent publishes only once its events are on the broker', async () => {
    const base = sampleEvents('sale-burst').EntryRecorded;
    const events = Array.from({ length: 500 }, (_, i) => ({ ...base, eventId: `burst-${i}`, transactionId: `tx-${i}` }));
    await Promise.all(events.map((e) => stack.publisher.publish([e])));
    const admin = stack.kafka.admin();
    await admin.connect();
    const offsets = await admin.fetchTopicOffsets(topicName(stack.prefix, 'entries'));
    await admin.disconnect();
    // Everything acknowledged is already readable: the high watermarks count all 500 (plus the round trip's one entry).
    expect(offsets.reduce((n, p) => n + Number(p.high), 0)).toBeGreaterThanOrEqual(500);
  });

  it('registers subjects with BACKWARD compatibility and refuses a new required field without a default', async () => {
    const registry = createSchemaRegistry(stack.config);
    const subject = subjectOf(topicName(stack.prefix, 'claims'), 'ClaimRequested');
    const res = await fetch(`${stack.config.schemaRegistryUrl}/config/${encodeURIComponent(subject)}`);
    expect(((await res.json()) as { compatibilityLevel: string }).compatibilityLevel).toBe('BACKWARD');

    const incompatible = { ...ClaimRequested, fields: [...ClaimRequested.fields, { name: 'channel', type: 'string' }] };
    await expect(
      registry.register(
        { type: SchemaType.AVRO, schema: JSON.stringify(incompatible) },
        { subject, compatibility: COMPATIBILITY.BACKWARD },
      ),
    ).rejects.toThrow(/compatib|409/i);
  });

  it('accepts an optional field with a default, and old records decode with the new reader', async () => {
    const registry = createSchemaRegistry(stack.config);
    const subject = subjectOf(topicName(stack.prefix, 'claims'), 'ClaimRequested');
    const old = sampleEvents().ClaimRequested;
    const oldBytes = await stack.codec.encode(old);

    const evolved = { ...ClaimRequested, fields: [...ClaimRequested.fields, { name: 'channel', type: ['null', 'string'], default: null }] };
    const { id } = await registry.register(
      { type: SchemaType.AVRO, schema: JSON.stringify(evolved) },
      { subject, compatibility: COMPATIBILITY.BACKWARD },
    );
    expect(id).not.toBe(oldBytes.readInt32BE(1));

    const { type: _type, ...fields } = old;
    const decodedOld: unknown = await registry.decode(oldBytes, { [SchemaType.AVRO]: { readerSchema: evolved } });
    expect(decodedOld).toEqual({ ...fields, channel: null });
    // And a record written with the new schema still decodes with today's reader.
    const newBytes = await registry.encode(id, { ...fields, channel: 'app' });
    expect(await stack.codec.decode(newBytes)).toEqual(old);
    expect(avro.Type.forSchema(evolved as avro.Schema).isValid({ ...fields, channel: 'app' })).toBe(true);
  });

  it('decodes a SaleScheduled written with v1 (before a sale had its own cap on open entries) as a sale without one', async () => {
    const registry = createSchemaRegistry(stack.config);
    const subject = subjectOf(topicName(stack.prefix, 'sales'), 'SaleScheduled');
    const v1 = fs.readFileSync(path.join(AVSC_DIR, 'SaleScheduled', 'v1.avsc'), 'utf8');
    const { id } = await registry.register({ type: SchemaType.AVRO, schema: v1 }, { subject, compatibility: COMPATIBILITY.BACKWARD });
    const { type: _type, maxOpenEntriesPerUser: _cap, ...v1Fields } = sampleEvents('sale-v1').SaleScheduled;
    const decoded = await stack.codec.decode(await registry.encode(id, v1Fields));
    expect(decoded).toEqual({ type: 'SaleScheduled', ...v1Fields, maxOpenEntriesPerUser: null });
  });

  it('moves a poison record to the dead-letter topic with its reason and bytes, and carries on', async () => {
    const handled: FlashsaleEvent[] = [];
    const events = sampleEvents('sale-dlq');
    const runner = await startConsumerRunner({
      kafka: stack.kafka,
      codec: createEventCodec({ registry: createSchemaRegistry(stack.config), topicPrefix: stack.prefix }),
      log: stack.log,
      topicPrefix: stack.prefix,
      subscription: { group: 'test.poison', topics: ['sales'] },
      retryDelayMs: 10,
      handle: async (batch) => {
        for (const { event } of batch) {
          // A handler that cannot cope with one specific event, however often it is retried.
          if (event.type === 'SaleClosed' && event.saleId === 'sale-dlq') throw new Error('cannot close what never opened');
        }
        handled.push(...batch.map((d) => d.event).filter((e) => 'saleId' in e && e.saleId === 'sale-dlq'));
      },
    });
    const producer = stack.kafka.producer();
    await producer.connect();
    const garbage = Buffer.from('not avro at all');
    await stack.publisher.publish([events.SaleScheduled]);
    await producer.send({ topic: topicName(stack.prefix, 'sales'), acks: -1, messages: [{ key: 'sale-dlq', value: garbage }] });
    await stack.publisher.publish([events.SaleClosed, events.ClaimGranted]);

    const dead: { value: Buffer | null; headers: Record<string, string> }[] = [];
    const dlq = stack.kafka.consumer({ groupId: `${stack.prefix}-dlq-reader`, maxWaitTimeInMs: 100 });
    await dlq.connect();
    await dlq.subscribe({ topic: topicName(stack.prefix, 'dead-letter'), fromBeginning: true });
    await dlq.run({
      eachMessage: async ({ message }) =>
        void dead.push({
          value: message.value,
          headers: Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)])),
        }),
    });
    await waitFor(() => dead.length >= 2 && handled.length >= 2, { what: 'two dead letters and two handled events' });
    await dlq.disconnect();
    await producer.disconnect();
    await runner.stop();

    expect(handled.map((e) => e.type)).toEqual(['SaleScheduled', 'ClaimGranted']);
    expect(dead[0]?.value).toEqual(garbage);
    expect(dead[0]?.headers['dlq-reason']).toMatch(/undecodable: not in the Confluent wire format/);
    expect(dead[1]?.headers['dlq-reason']).toMatch(/cannot close what never opened/);
    expect(dead[1]?.headers['dlq-topic']).toBe(topicName(stack.prefix, 'sales'));
    expect(await stack.codec.decode(dead[1]!.value)).toEqual(events.SaleClosed);
  });
});
