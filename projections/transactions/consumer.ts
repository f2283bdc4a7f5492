// Feeds the transactions projection from every topic that speaks of transactions. The
// projection dedupes by eventId in the same database transaction as the rows, so offsets
// may be committed after the write: a crash in between redelivers a batch that changes
// nothing.
import { NotReadyError } from '../../platform/errors.js';
import { BATCHED_FETCH, type BatchHandler, type Subscription } from '../../platform/kafka/consumerRunner.js';
import type { Logger } from '../../platform/log.js';
import type { TransactionsProjection } from './projection.js';

/** Every topic that speaks of transactions, fetched in batches: nobody waits on a projection. */
export const transactionsSubscription = {
  group: 'projection.transactions',
  topics: ['entries', 'claims', 'sales', 'redirects', 'partner-events'],
  fetch: BATCHED_FETCH,
  fromBeginning: true,
} as const satisfies Subscription;

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

export function createTransactionsHandler({
  log,
  projection,
}: {
  log: Logger;
  projection: Pick<TransactionsProjection, 'applyBatch'>;
}): BatchHandler {
  const batchLog = log.child({ projection: 'transactions' });
  return async (batch) => {
    const first = batch[0]?.position;
    const outcome = await projection.applyBatch(batch).catch((err: unknown) => {
      if (isRecordsFault(err)) throw err;
      throw new NotReadyError(`transactions projection cannot write now: ${(err as Error).message}`);
    });
    if (first) batchLog.debug({ topic: first.topic, partition: first.partition, offset: first.offset, ...outcome }, 'batch applied');
  };
}
