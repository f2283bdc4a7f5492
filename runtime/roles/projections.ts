// The `projections` role: the consumers that keep the read models up to date from the topics.
// Each is migrated before it consumes, and stopped (finishing its batch in hand) on stop.
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

  // Redis inventory (the slot queues) goes here, as its own projector pushed onto `running`.

  return {
    async stop() {
      for (const r of running.reverse()) await r.stop();
    },
  };
}
