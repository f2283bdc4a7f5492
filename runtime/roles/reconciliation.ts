// The `reconciliation` role: joins our events with the partner's, flags every mismatch once
// (rows in Postgres, MismatchFlagged on the reconciliation topic).
import { startReconciliationConsumer } from '../../consumers/reconciliation/consumer.js';
import { createMismatchOutbox } from '../../projections/reconciliation/outbox.js';
import { createReconciliationProjection } from '../../projections/reconciliation/projection.js';
import type { Platform } from '../platform.js';
import type { RunningRole } from '../role.js';

export async function startReconciliation(platform: Platform): Promise<RunningRole> {
  const { kafka, codec, log, db, publisher, metrics, config } = platform;
  const projection = createReconciliationProjection({ db, graceMs: config.reconciliationGraceMs, outbox: true });
  await projection.migrate();
  const consumer = await startReconciliationConsumer({
    kafka,
    codec,
    log,
    topicPrefix: config.topicPrefix,
    projection,
    outbox: createMismatchOutbox({ db, publisher }),
    metrics,
  });
  return { stop: () => consumer.stop() };
}
