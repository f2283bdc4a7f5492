// Feeds the transactions projection from every topic that speaks of transactions. The
// projection dedupes by eventId in the same database transaction as the rows, so offsets
// may be committed after the write: a crash in between redelivers a batch that changes
// nothing.
import type { Kafka } from 'kafkajs';
import { NotReadyError } from '../../platform/errors.js';
import { BATCHED_FETCH, type ConsumerRunner, startConsumerRunner } from '../../platform/kafka/consumerRunner.js';
import type { Logger } from '../../platform/log.js';
import type { EventCodec } from '../../platform/registry/codec.js';
import type { TopicName } from '../../schemas/topics.js';
import type { TransactionsProjection } from './projection.js';

export const transactionTopics = ['entries', 'claims', 'sales', 'redirects', 'partner-events'] as const satisfies readonly TopicName[];

/**
 * Whether a failed write is the records' fault: a data exception or an integrity violation
 * (SQLSTATE classes 22, 23), which the consumer dead-letters after its retries. Anything
 * else (the database unreachable or restarting, a deadlock, a missing table) is not, and the
 * batch waits: dead-lettering there would skip good events and leave holes in the rows.
 */
export function isRecordsFault(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && /^2[23][0-9A-Z]{3}$/.test(code);
}

export function transactionsGroupId(topicPrefix: string): string {
  return `${topicPrefix ? `${topicPrefix}.` : ''}flashsale.projection.transactions`;
}

export async function startTransactionsProjector({
  kafka,
  codec,
  log,
  topicPrefix,
  projection,
  groupId = transactionsGroupId(topicPrefix),
}: {
  kafka: Kafka;
  codec: EventCodec;
  log: Logger;
  topicPrefix: string;
  projection: Pick<TransactionsProjection, 'applyBatch'>;
  groupId?: string;
}): Promise<ConsumerRunner> {
  const batchLog = log.child({ projection: 'transactions' });
  return startConsumerRunner({
    kafka,
    codec,
    log,
    groupId,
    topicPrefix,
    topics: transactionTopics,
    fromBeginning: true,
    fetch: BATCHED_FETCH,
    handle: async (batch) => {
      const first = batch[0]?.position;
      const outcome = await projection.applyBatch(batch).catch((err: unknown) => {
        if (isRecordsFault(err)) throw err;
        throw new NotReadyError(`transactions projection cannot write now: ${(err as Error).message}`);
      });
      if (first) batchLog.debug({ topic: first.topic, partition: first.partition, offset: first.offset, ...outcome }, 'batch applied');
    },
  });
}
