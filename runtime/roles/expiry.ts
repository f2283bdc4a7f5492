// The `expiry` role: releases unpaid reservations when their time is up, settles the ones a
// partner reports paid first (a consumer group over `partner-events`), and puts back in the
// queue the units whose payment was refunded through a resolution (a group over `reconciliation`).
import { createExpiryWorker } from '../../consumers/expiry/expiryWorker.js';
import { createSettlementHandler, settlementSubscription } from '../../consumers/expiry/settlement.js';
import { createUnitReturnsHandler, unitReturnsSubscription } from '../../consumers/expiry/unitReturns.js';
import { createSettledFrontier } from '../../consumers/expiry/settledFrontier.js';
import { connectAdmin } from '../../platform/kafka/client.js';
import { startConsumerRunner } from '../../platform/kafka/consumerRunner.js';
import { consumerGroupId } from '../../platform/kafka/groupId.js';
import { topicName } from '../../schemas/topics.js';
import type { Platform } from '../platform.js';
import type { RunningRole } from '../role.js';

export async function startExpiry(platform: Platform): Promise<RunningRole> {
  const { kafka, codec, log, redis, publisher, config, metrics } = platform;
  const { topicPrefix } = config;
  const frontier = createSettledFrontier({
    connectAdmin: async () => {
      const admin = kafka.admin();
      await connectAdmin(admin, config);
      return admin;
    },
    groupId: consumerGroupId(topicPrefix, settlementSubscription.group),
    topic: topicName(topicPrefix, 'partner-events'),
  });
  const worker = createExpiryWorker({ redis, publisher, log, topicPrefix, metrics, frontier });
  const settlement = createSettlementHandler({ redis, publisher, log, topicPrefix, metrics });
  const runner = await startConsumerRunner({
    kafka,
    sessionTimeoutMs: config.kafkaSessionTimeoutMs,
    codec,
    log,
    topicPrefix,
    subscription: settlementSubscription,
    handle: (batch) => settlement.handle(batch),
    metrics,
  });
  // Refunds asked for through a resolution return the units they paid for, while the sale is open.
  const returns = createUnitReturnsHandler({ redis, publisher, log, topicPrefix });
  const returnsRunner = await startConsumerRunner({
    kafka,
    sessionTimeoutMs: config.kafkaSessionTimeoutMs,
    codec,
    log,
    topicPrefix,
    subscription: unitReturnsSubscription,
    handle: (batch) => returns.handle(batch),
    metrics,
  });
  worker.start();
  return {
    async stop() {
      await worker.stop();
      await frontier.stop();
      await runner.stop();
      await returnsRunner.stop();
      await settlement.close();
      await returns.close();
    },
  };
}
