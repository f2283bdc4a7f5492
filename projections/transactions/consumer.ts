// Feeds the transactions projection from every topic that speaks of transactions. The
// projection dedupes by eventId in the same database transaction as the rows, so offsets
// may be committed after the write: a crash in between redelivers a batch that changes
// nothing.
import { waitUnlessRecordsFault } from '../../platform/errors.js';
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
    // Only rows that do not fit (a data exception, an integrity violation) are the records'
    // fault; anything else (the database unreachable or restarting, a deadlock, a missing
    // table) waits: dead-lettering there would skip good events and leave holes in the rows.
    const outcome = await projection
      .applyBatch(batch)
      .catch((err: unknown) => waitUnlessRecordsFault(err, 'transactions projection cannot write now'));
    if (first) batchLog.debug({ topic: first.topic, partition: first.partition, offset: first.offset, ...outcome }, 'batch applied');
  };
}
