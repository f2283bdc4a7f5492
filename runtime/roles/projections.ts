// The `projections` role: the consumers that keep the read models up to date from the topics.
// Each is migrated before it consumes, and stopped (finishing its batch in hand) on stop.
import { startInventoryProjector } from '../../writeModel/projector.js';
import { startTransactionsProjector } from '../../projections/transactions/consumer.js';
import { createTransactionsProjection } from '../../projections/transactions/projection.js';
import type { Platform } from '../platform.js';
import type { RunningRole } from '../role.js';

export async function startProjections(platform: Platform): Promise<RunningRole> {
  const { kafka, codec, log, db, config } = platform;
  const running: RunningRole[] = [];

  // PostgreSQL: one row per transaction, from entries, claims, sales, redirects, partner-events.
  const transactions = createTransactionsProjection({ db });
  await transactions.migrate();
  running.push(await startTransactionsProjector({ kafka, codec, log, topicPrefix: config.topicPrefix, projection: transactions }));

  // Redis inventory: the sales' slot queues and transactions' decisions, rebuilt from the topics when flushed.
  running.push(await startInventoryProjector(platform));

  return {
    async stop() {
      for (const r of running.reverse()) await r.stop();
    },
  };
}
