// The `reconciliation` role: joins our events with the partner's, flags every mismatch once
// (rows in Postgres, MismatchFlagged on the reconciliation topic).
import { createReconciliationConsumer } from '../../consumers/reconciliation/consumer.js';
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
    codec,
    log,
    topicPrefix,
    subscription: reconciliationSubscription,
    handle: consumer.handle,
    metrics,
  });
  const clock = consumer.startIdleClock();
  return {
    async stop() {
      await clock.stop();
      await runner.stop();
    },
  };
}
