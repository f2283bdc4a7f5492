// The reconciliation projection as an analyst's replay sees it: the same migrate and
// applyBatch the live consumer runs (without the outbox: a replay publishes nothing), and,
// at the end, the clock moved to where the live idle clock stands, so held partner events
// whose grace ran out are judged as live judged them.
import { consumerGroupId } from '../../platform/kafka/groupId.js';
import type { ReplayableProjection } from '../replayable.js';
import { createReconciliationProjection } from './projection.js';
import { IN_FLIGHT_ALLOWANCE_MS, reconciliationSubscription } from './subscription.js';

export function reconciliationReplayable(graceMs: number): ReplayableProjection {
  return {
    name: 'reconciliation',
    topics: reconciliationSubscription.topics,
    liveGroupId: (topicPrefix) => consumerGroupId(topicPrefix, reconciliationSubscription.group),
    migrate: (db) => createReconciliationProjection({ db, graceMs }).migrate(),
    applyBatch: async (db, batch) => {
      await createReconciliationProjection({ db, graceMs }).applyBatch(batch);
    },
    finish: async (db, window) => {
      await createReconciliationProjection({ db, graceMs }).advanceClock(window.to ?? Date.now() - IN_FLIGHT_ALLOWANCE_MS);
    },
    // Flags and state depend on everything before them, so only whole replays compare them.
    // The clock, positions and outbox are bookkeeping; settlement-file findings do not come from the topics.
    tables: [
      { name: 'reconciliation_sales' },
      { name: 'reconciliation_transactions' },
      { name: 'reconciliation_partner_events' },
      { name: 'reconciliation_mismatches' },
      { name: 'reconciliation_resolutions' },
    ],
  };
}
