// The transactions projection as an analyst's replay sees it: the same migrate and
// applyBatch the live consumer runs, into whichever schema the replay's pool points at.
import { consumerGroupId } from '../../platform/kafka/groupId.js';
import type { ReplayableProjection } from '../replayable.js';
import { transactionsSubscription } from './consumer.js';
import { createTransactionsProjection } from './projection.js';

export const transactionsReplayable: ReplayableProjection = {
  name: 'transactions',
  topics: transactionsSubscription.topics,
  liveGroupId: (topicPrefix) => consumerGroupId(topicPrefix, transactionsSubscription.group),
  migrate: (db) => createTransactionsProjection({ db }).migrate(),
  applyBatch: async (db, batch) => {
    await createTransactionsProjection({ db }).applyBatch(batch);
  },
  // The fold works on the set of events, and concurrent batches lock the transactions they
  // touch: any order, any overlap, the same rows.
  orderFree: true,
  // A transaction's row folds events that may straddle a time window, so only whole replays
  // compare rows; its events compare inside any window (occurred_at is the record's time).
  tables: [{ name: 'transaction_events', timeColumn: 'occurred_at' }, { name: 'transactions' }],
};
