// The operators' live view, wired for the api role: the system view (every group's lag, the
// recent sales' stock from Redis, dead letters) shown as gauges on the operations port and,
// with the live feed folded from the topics, on the dashboard page's stream.
import type { Router } from 'express';
import { claimsSubscription } from '../consumers/claims/decisionMaker.js';
import { settlementSubscription } from '../consumers/expiry/settlement.js';
import type { TokenVerifier } from '../producers/http/auth.js';
import { recentlyScheduledSales } from '../producers/http/operators/catalogDb.js';
import { createDashboardRouter } from '../producers/http/operators/dashboardRouter.js';
import type { RateLimits } from '../producers/http/rateLimit.js';
import { consumerGroupId } from '../platform/kafka/groupId.js';
import { reconciliationSubscription } from '../projections/reconciliation/subscription.js';
import { registerSystemGauges } from '../projections/saleDashboard/gauges.js';
import { createLiveFeed } from '../projections/saleDashboard/liveFeed.js';
import { createSystemView } from '../projections/saleDashboard/systemView.js';
import { transactionsSubscription } from '../projections/transactions/consumer.js';
import { topicName, type TopicName } from '../schemas/topics.js';
import type { SaleStore } from '../writeModel/saleStore.js';
import { inventorySubscription } from '../writeModel/projector.js';
import type { Platform } from './platform.js';

/** How far back the catalog is asked for sales, and how many: the dashboard shows the open ones among them. */
const RECENT_SALES_MS = 2 * 24 * 3600_000;
const RECENT_SALES_MAX = 50;

export function startDashboard(
  { kafka, codec, log, db, metrics, config }: Platform,
  { verify, limits, saleStore }: { verify: TokenVerifier; limits: RateLimits; saleStore: SaleStore },
): { router: Router; close(): Promise<void> } {
  const topic = (t: TopicName) => topicName(config.topicPrefix, t);
  const groups = [
    claimsSubscription,
    inventorySubscription,
    transactionsSubscription,
    reconciliationSubscription,
    settlementSubscription,
  ].map((s) => ({ groupId: consumerGroupId(config.topicPrefix, s.group), topics: s.topics.map(topic) }));
  let seen: () => string[] = () => [];
  const system = createSystemView({
    kafka,
    groups,
    deadLetterTopic: topic('dead-letter'),
    saleIds: async () => {
      const scheduled = await recentlyScheduledSales(db, { sinceMs: Date.now() - RECENT_SALES_MS, limit: RECENT_SALES_MAX });
      return [...new Set([...scheduled, ...seen()])];
    },
    readSale: (saleId, now) => saleStore.readSale(saleId, now),
  });
  registerSystemGauges(metrics, system);
  const feed = createLiveFeed({
    kafka,
    codec,
    log,
    groupIdBase: consumerGroupId(config.topicPrefix, 'dashboard'),
    topics: [topic('claims'), topic('sales'), topic('reconciliation')],
    system,
  });
  seen = feed.seenSaleIds;
  const { router, endStreams } = createDashboardRouter({ feed, verify, limits });
  return {
    router,
    async close() {
      endStreams();
      await feed.close();
      await system.close();
    },
  };
}
