// What the reconciliation read model is folded from, and how its clock moves when the topics
// are quiet: facts the live consumer (consumers/reconciliation/) and an analyst's replay
// (replayable.ts) share, kept with the read model so that it depends on neither.
import { BATCHED_FETCH, type Subscription } from '../../platform/kafka/consumerRunner.js';

/**
 * Our sales and redirects, the partner's word, and the resolutions of mismatches (the
 * reconciliation topic: its own flags only move the clock), fetched in batches: nobody waits
 * on a projection.
 */
export const reconciliationSubscription = {
  group: 'reconciliation',
  topics: ['sales', 'redirects', 'partner-events', 'reconciliation'],
  fetch: BATCHED_FETCH,
  fromBeginning: true,
} as const satisfies Subscription;

/**
 * How far behind "now" the idle clock stays: an event a producer stamped before the clock
 * looked, and had acknowledged after, is still judged on its own time.
 */
export const IN_FLIGHT_ALLOWANCE_MS = 5_000;
