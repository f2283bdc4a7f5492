// The `expiry` role: releases unpaid reservations when their time is up, and settles the
// ones a partner reports paid first (a consumer group over `partner-events`).
import { createExpiryWorker } from '../../consumers/expiry/expiryWorker.js';
import { createSettlementHandler, settlementSubscription } from '../../consumers/expiry/settlement.js';
import { startConsumerRunner } from '../../platform/kafka/consumerRunner.js';
import type { Platform } from '../platform.js';
import type { RunningRole } from '../role.js';

export async function startExpiry(platform: Platform): Promise<RunningRole> {
  const { kafka, codec, log, redis, publisher, config, metrics } = platform;
  const { topicPrefix } = config;
  const worker = createExpiryWorker({ redis, publisher, log, topicPrefix, metrics });
  const settlement = createSettlementHandler({ redis, publisher, log, topicPrefix, metrics });
  const runner = await startConsumerRunner({
    kafka,
    codec,
    log,
    topicPrefix,
    subscription: settlementSubscription,
    handle: (batch) => settlement.handle(batch),
    metrics,
  });
  worker.start();
  return {
    async stop() {
      await worker.stop();
      await runner.stop();
      await settlement.close();
    },
  };
}
