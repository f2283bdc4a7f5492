// Claims loaded behind a gate: written to `claims` inside one Kafka transaction, invisible to
// the decision-makers (kafkajs consumers read committed records only) until `open` commits it,
// and then all there at once. So the K processes are started, joined and holding their
// partitions before there is anything to decide, and no process gets a head start.
import { CompressionTypes, type Kafka, type Message } from 'kafkajs';
import type { EventCodec } from '../platform/registry/codec.js';
import type { LoadedClaim } from './shardLayout.js';

/** Records per send: one produce request stays well under the broker's 1 MB message size. */
const SEND_BATCH = 2_000;

export type Gate = { open(): Promise<void>; abort(): Promise<void> };

export async function loadBehindGate({
  kafka,
  codec,
  topic,
  claims,
  transactionalId,
}: {
  kafka: Kafka;
  codec: Pick<EventCodec, 'encode'>;
  /** The full topic name (with the run's prefix). */
  topic: string;
  claims: readonly LoadedClaim[];
  transactionalId: string;
}): Promise<Gate> {
  // Encoded first, so what the clock later measures is the decision stage, not the encoding.
  const messages: (Message & { partition: number })[] = await Promise.all(
    claims.map(async ({ event, partition }) => ({
      key: event.saleId,
      partition,
      value: await codec.encode(event),
      timestamp: String(event.occurredAt),
      headers: { 'event-type': event.type, 'event-id': event.eventId },
    })),
  );
  const producer = kafka.producer({ transactionalId, idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  await producer.connect();
  const transaction = await producer.transaction();
  try {
    for (let i = 0; i < messages.length; i += SEND_BATCH)
      await transaction.send({ topic, acks: -1, compression: CompressionTypes.None, messages: messages.slice(i, i + SEND_BATCH) });
  } catch (err) {
    await transaction.abort().catch(() => undefined);
    await producer.disconnect();
    throw err;
  }
  return {
    async open() {
      await transaction.commit();
      await producer.disconnect();
    },
    async abort() {
      if (transaction.isActive()) await transaction.abort().catch(() => undefined);
      await producer.disconnect();
    },
  };
}
