// The dead-letter topic as an operator sees it: what waits there, and sending it back through
// the consumer that gave up on it. The topic is a log, so a redrive appends a marker record
// (no value, header `dlq-redriven-of`) instead of deleting anything: a record with a marker
// is done. A redriven record goes back on its original topic with a `redrive-for` header
// naming its consumer group; every other group skips it (consumerRunner.ts), so only the
// consumer that failed sees it again. A crash between the two appends redrives a record
// twice, which its consumer folds once (every fold is idempotent by eventId).
import crypto from 'node:crypto';
import type { IHeaders, Kafka, KafkaMessage } from 'kafkajs';
import { topicName } from '../../schemas/topics.js';

export const REDRIVE_FOR_HEADER = 'redrive-for';
const REDRIVEN_OF_HEADER = 'dlq-redriven-of';

export type DeadLetter = {
  /** Where the dead letter itself sits, "partition:offset" on the dead-letter topic. */
  id: string;
  at: number;
  reason: string;
  origin: { topic: string; partition: number; offset: string };
  consumer: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: IHeaders;
};

function header(headers: IHeaders | undefined, name: string): string | undefined {
  const v = headers?.[name];
  if (v === undefined) return undefined;
  return (Array.isArray(v) ? v[0] : v)?.toString();
}

/** Every record of the dead-letter topic, start to end as it is now. */
async function readAll(kafka: Kafka, topic: string): Promise<{ partition: number; message: KafkaMessage }[]> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, { low: Number(p.low), high: Number(p.high) }]));
  await admin.disconnect();
  const owed = new Map([...ends].filter(([, r]) => r.high > r.low).map(([p, r]) => [p, r.high]));
  const records: { partition: number; message: KafkaMessage }[] = [];
  if (owed.size === 0) return records;
  const consumer = kafka.consumer({ groupId: `flashsale-dlq-reader-${crypto.randomUUID()}`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await new Promise<void>((resolve, reject) => {
    const deadline = setTimeout(() => reject(new Error(`reading ${topic} took over 60 s`)), 60_000);
    void consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        const end = owed.get(partition);
        if (end === undefined || Number(message.offset) >= end) return;
        records.push({ partition, message });
        if (Number(message.offset) >= end - 1) owed.delete(partition);
        if (owed.size === 0) {
          clearTimeout(deadline);
          resolve();
        }
      },
    });
  });
  await consumer.disconnect();
  return records;
}

/** The dead letters not yet redriven, oldest first per partition. */
export async function listDeadLetters(kafka: Kafka, topicPrefix: string): Promise<DeadLetter[]> {
  const records = await readAll(kafka, topicName(topicPrefix, 'dead-letter'));
  const redriven = new Set(records.flatMap(({ message }) => header(message.headers, REDRIVEN_OF_HEADER) ?? []));
  return records.flatMap(({ partition, message }) => {
    const id = `${partition}:${message.offset}`;
    if (header(message.headers, REDRIVEN_OF_HEADER) !== undefined || redriven.has(id)) return [];
    const headers = message.headers ?? {};
    return [
      {
        id,
        at: Number(message.timestamp),
        reason: header(headers, 'dlq-reason') ?? '',
        origin: {
          topic: header(headers, 'dlq-topic') ?? '',
          partition: Number(header(headers, 'dlq-partition') ?? -1),
          offset: header(headers, 'dlq-offset') ?? '',
        },
        consumer: header(headers, 'dlq-consumer') ?? '',
        key: message.key,
        value: message.value,
        headers,
      },
    ];
  });
}

/** Puts each dead letter back on its original topic for its consumer alone, then marks it done. */
export async function redriveDeadLetters(kafka: Kafka, topicPrefix: string, letters: readonly DeadLetter[]): Promise<number> {
  if (letters.length === 0) return 0;
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  await producer.connect();
  try {
    for (const letter of letters) {
      const headers = Object.fromEntries(Object.entries(letter.headers).filter(([name]) => !name.startsWith('dlq-')));
      await producer.send({
        topic: letter.origin.topic,
        acks: -1,
        messages: [{ key: letter.key, value: letter.value, headers: { ...headers, [REDRIVE_FOR_HEADER]: letter.consumer } }],
      });
      await producer.send({
        topic: topicName(topicPrefix, 'dead-letter'),
        acks: -1,
        messages: [{ key: letter.key, value: null, headers: { [REDRIVEN_OF_HEADER]: letter.id } }],
      });
    }
    return letters.length;
  } finally {
    await producer.disconnect();
  }
}

/** Whether a record was redriven for another consumer group than this one (then it is not ours to fold). */
export function redrivenForAnother(headers: IHeaders | undefined, groupId: string): boolean {
  const target = header(headers, REDRIVE_FOR_HEADER);
  return target !== undefined && target !== groupId;
}
