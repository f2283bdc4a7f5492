// The publisher answers in bounded time: a publish the broker does not acknowledge within
// the deadline is refused (and, if not sent yet, never sent), and beyond the queue's cap a
// publish is refused at once. Against a producer that acknowledges only when told to.
import type { Kafka, ProducerBatch, ProducerConfig } from 'kafkajs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createEventPublisher, PublishQueueFullError, PublishTimeoutError } from '../../../platform/kafka/publisher.js';
import { sampleEvents } from '../../support/sampleEvents.js';

/** What a broker answers for a batch: each topic partition it wrote, acknowledged. */
const answerFor = (batch: ProducerBatch) =>
  (batch.topicMessages ?? []).flatMap((t) =>
    [...new Set(t.messages.map((m) => m.partition))].map((partition) => ({ topicName: t.topic, partition, errorCode: 0 })),
  );

function fakeKafka() {
  const batches: { batch: ProducerBatch; ack: () => void; answer: (metadata: unknown[]) => void; fail: (err: Error) => void }[] = [];
  const configs: ProducerConfig[] = [];
  const kafka = {
    producer: (config: ProducerConfig) => {
      configs.push(config);
      return {
        connect: () => Promise.resolve(),
        disconnect: () => Promise.resolve(),
        sendBatch: (batch: ProducerBatch) =>
          new Promise((resolve, reject) => batches.push({ batch, ack: () => resolve(answerFor(batch)), answer: resolve, fail: reject })),
      };
    },
  } as unknown as Pick<Kafka, 'producer'>;
  return { kafka, batches, configs };
}

const codec = { encode: () => Promise.resolve(Buffer.alloc(100)) };
const claim = (n: number) => ({ ...sampleEvents().ClaimRequested, eventId: `e-${n}`, transactionId: `tx-${n}` });
const settled = (p: Promise<void>) =>
  p.then(
    () => 'acknowledged',
    (err: Error) => err,
  );
const messagesIn = (batch: ProducerBatch) => batch.topicMessages?.flatMap((t) => t.messages).length ?? 0;

afterEach(() => vi.useRealTimers());

describe('event publisher', () => {
  it('runs the idempotent producer with one request in flight, as kafkajs sequences it safely', async () => {
    const { kafka, configs } = fakeKafka();
    await createEventPublisher({ kafka, codec, topicPrefix: 't' });
    expect(configs).toEqual([expect.objectContaining({ idempotent: true, maxInFlightRequests: 1 })]);
  });

  it('acknowledges each caller once its batch is acknowledged, gathering later publishes into the next batch', async () => {
    const { kafka, batches } = fakeKafka();
    const publisher = await createEventPublisher({ kafka, codec, topicPrefix: 't' });
    const first = settled(publisher.publish([claim(1)]));
    await vi.waitFor(() => expect(batches).toHaveLength(1));
    const second = settled(publisher.publish([claim(2)]));
    const third = settled(publisher.publish([claim(3)]));
    await new Promise((r) => setImmediate(r));
    expect(batches).toHaveLength(1); // one batch in flight at a time
    batches[0]!.ack();
    expect(await first).toBe('acknowledged');
    await vi.waitFor(() => expect(batches).toHaveLength(2));
    expect(messagesIn(batches[1]!.batch)).toBe(2);
    batches[1]!.ack();
    expect(await second).toBe('acknowledged');
    expect(await third).toBe('acknowledged');
  });

  it('refuses a publish not acknowledged within the deadline, and never sends one that was still waiting', async () => {
    const { kafka, batches } = fakeKafka();
    const publisher = await createEventPublisher({ kafka, codec, topicPrefix: 't', publishTimeoutMs: 200 });
    const inFlight = settled(publisher.publish([claim(1)]));
    await vi.waitFor(() => expect(batches).toHaveLength(1));
    const waiting = settled(publisher.publish([claim(2)]));
    const started = performance.now();
    expect(await inFlight).toBeInstanceOf(PublishTimeoutError);
    expect(await waiting).toBeInstanceOf(PublishTimeoutError);
    expect(performance.now() - started).toBeLessThan(1_000);
    batches[0]!.ack(); // the broker comes back: the abandoned publish must not follow
    const later = settled(publisher.publish([claim(3)]));
    await vi.waitFor(() => expect(batches).toHaveLength(2));
    expect(messagesIn(batches[1]!.batch)).toBe(1);
    batches[1]!.ack();
    expect(await later).toBe('acknowledged');
  });

  it('refuses at once, retriably, beyond the queue cap', async () => {
    const { kafka, batches } = fakeKafka();
    const publisher = await createEventPublisher({ kafka, codec, topicPrefix: 't', maxQueuedPublishes: 2, publishTimeoutMs: 60_000 });
    void settled(publisher.publish([claim(1)]));
    await vi.waitFor(() => expect(batches).toHaveLength(1));
    const queued = [settled(publisher.publish([claim(2)])), settled(publisher.publish([claim(3)]))];
    const refused = await settled(publisher.publish([claim(4)]));
    expect(refused).toBeInstanceOf(PublishQueueFullError);
    expect((refused as PublishQueueFullError).retriable).toBe(true);
    batches[0]!.ack();
    await vi.waitFor(() => expect(batches).toHaveLength(2));
    batches[1]!.ack();
    expect(await Promise.all(queued)).toEqual(['acknowledged', 'acknowledged']);
  });

  it('sends each partition in a produce request of its own, and answers a caller once all of its partitions are acknowledged', async () => {
    const { kafka, batches } = fakeKafka();
    const publisher = await createEventPublisher({ kafka, codec, topicPrefix: 't' });
    const other = { ...claim(2), saleId: 'another-sale' };
    const both = settled(publisher.publish([claim(1), other]));
    await vi.waitFor(() => expect(batches).toHaveLength(2));
    for (const { batch } of batches) {
      expect(batch.topicMessages).toHaveLength(1);
      expect(new Set(batch.topicMessages![0]!.messages.map((m) => m.partition)).size).toBe(1);
    }
    expect(batches[0]!.batch.topicMessages![0]!.messages[0]!.partition).not.toBe(
      batches[1]!.batch.topicMessages![0]!.messages[0]!.partition,
    );
    batches[0]!.ack();
    await new Promise((r) => setTimeout(r, 20));
    const early = await Promise.race([both, Promise.resolve('still waiting')]);
    expect(early).toBe('still waiting');
    batches[1]!.ack();
    expect(await both).toBe('acknowledged');
  });

  it('refuses, retriably, a publish whose answer does not name its partition (tulios/kafkajs#1303)', async () => {
    const { kafka, batches } = fakeKafka();
    const publisher = await createEventPublisher({ kafka, codec, topicPrefix: 't' });
    const one = settled(publisher.publish([claim(1)]));
    await vi.waitFor(() => expect(batches).toHaveLength(1));
    batches[0]!.answer([]); // kafkajs resolved with another broker's answer only
    expect(await one).toBeInstanceOf(PublishTimeoutError);
  });

  it('passes a failed batch on to every caller in it', async () => {
    const { kafka, batches } = fakeKafka();
    const publisher = await createEventPublisher({ kafka, codec, topicPrefix: 't' });
    const one = settled(publisher.publish([claim(1)]));
    await vi.waitFor(() => expect(batches).toHaveLength(1));
    batches[0]!.fail(new Error('not enough replicas'));
    expect(await one).toMatchObject({ message: 'not enough replicas' });
  });
});
