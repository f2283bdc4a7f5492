// The `reconciliation` role: joins our events with the partner's, flags every mismatch once
// (rows in Postgres, MismatchFlagged on the reconciliation topic), folds their resolutions,
// and calls the partners for the refunds operators asked for.
import { createReconciliationConsumer } from '../../consumers/reconciliation/consumer.js';
import { createRefundCaller, refundSubscription } from '../../consumers/refunds/refundCaller.js';
import { createSettlementInbox } from '../../consumers/reconciliation/settlementInbox.js';
import { startConsumerRunner } from '../../platform/kafka/consumerRunner.js';
import { createMismatchOutbox } from '../../projections/reconciliation/outbox.js';
import { createReconciliationProjection } from '../../projections/reconciliation/projection.js';
import { reconciliationSubscription } from '../../projections/reconciliation/subscription.js';
import type { Platform } from '../platform.js';
import type { RunningRole } from '../role.js';

export async function startReconciliation(platform: Platform): Promise<RunningRole> {
  const { kafka, codec, log, db, publisher, metrics, config } = platform;
  const { topicPrefix } = config;
  const projection = createReconciliationProjection({ db, graceMs: config.reconciliationGraceMs, outbox: true, frontier: true });
  await projection.migrate();
  const outbox = createMismatchOutbox({ db, publisher });
  const consumer = createReconciliationConsumer({ kafka, codec, log, topicPrefix, projection, outbox, metrics });
  await consumer.publishLeftovers();
  await consumer.notePartitions();
  const runner = await startConsumerRunner({
    kafka,
    sessionTimeoutMs: config.kafkaSessionTimeoutMs,
    codec,
    log,
    topicPrefix,
    subscription: reconciliationSubscription,
    handle: consumer.handle,
    metrics,
  });
  const clock = consumer.startIdleClock();
  // Refund resolutions: the partner is called (signed, idempotent by request id) until it acknowledges.
  const refunds = createRefundCaller({ partnerSecrets: config.partnerSecrets, urlTemplate: config.refunds.urlTemplate, log });
  const refundRunner = await startConsumerRunner({
    kafka,
    sessionTimeoutMs: config.kafkaSessionTimeoutMs,
    codec,
    log,
    topicPrefix,
    subscription: refundSubscription,
    handle: (batch) => refunds.handle(batch),
    waitBackoffMs: { first: 200, max: config.refunds.retryMaxMs },
    metrics,
  });
  // Settlement files dropped in the inbox directory, taken in on a schedule.
  const inbox = config.settlements.inboxDir
    ? createSettlementInbox({
        db,
        dir: config.settlements.inboxDir,
        maxBytes: config.settlements.maxBytes,
        log,
        afterIntake: async () => void (await outbox.drain()),
      })
    : undefined;
  inbox?.start(config.settlements.pollMs);
  return {
    async stop() {
      await inbox?.stop();
      await refundRunner.stop();
      await clock.stop();
      await runner.stop();
    },
  };
}
