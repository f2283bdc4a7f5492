// The `projections` role: the consumers that keep the read models up to date from the topics.
// Each is migrated before it consumes, and stopped (finishing its batch in hand) on stop.
import type { Kafka } from 'kafkajs';
import type { Registry } from 'prom-client';
import { type ConsumerRunner, startConsumerRunner } from '../../platform/kafka/consumerRunner.js';
import type { Logger } from '../../platform/log.js';
import type { EventCodec } from '../../platform/registry/codec.js';
import { createTransactionsHandler, transactionsSubscription } from '../../projections/transactions/consumer.js';
import { createTransactionsProjection, type TransactionsProjection } from '../../projections/transactions/projection.js';
import { createInventoryProjector, inventorySubscription } from '../../writeModel/projector.js';
import type { Platform } from '../platform.js';
import type { RunningRole } from '../role.js';

/** The transactions projection's consumer; a test may give it another group (a second copy of the rows). */
export function startTransactionsProjector({
  kafka,
  codec,
  log,
  topicPrefix,
  projection,
  group = transactionsSubscription.group,
  metrics,
  sessionTimeoutMs,
}: {
  kafka: Kafka;
  codec: EventCodec;
  log: Logger;
  topicPrefix: string;
  projection: Pick<TransactionsProjection, 'applyBatch'>;
  group?: string;
  metrics?: Registry;
  sessionTimeoutMs?: number;
}): Promise<ConsumerRunner> {
  return startConsumerRunner({
    kafka,
    ...(sessionTimeoutMs !== undefined && { sessionTimeoutMs }),
    codec,
    log,
    topicPrefix,
    subscription: { ...transactionsSubscription, group },
    handle: createTransactionsHandler({ log, projection }),
    ...(metrics && { metrics }),
  });
}

/** The Redis store's projector: folds `sales` and `entries`, and rebuilds the store when it is flushed. */
export async function startInventoryProjector({
  kafka,
  codec,
  log,
  redis,
  config,
  metrics,
}: Pick<Platform, 'kafka' | 'codec' | 'log' | 'redis' | 'config' | 'metrics'>): Promise<RunningRole> {
  const { topicPrefix } = config;
  const projector = createInventoryProjector({ kafka, codec, log, redis, topicPrefix, metrics });
  projector.start();
  const runner = await startConsumerRunner({
    kafka,
    sessionTimeoutMs: config.kafkaSessionTimeoutMs,
    codec,
    log,
    topicPrefix,
    subscription: inventorySubscription,
    handle: projector.handle,
    metrics,
  });
  return {
    async stop() {
      await projector.stop();
      await runner.stop();
      await projector.close();
    },
  };
}

export async function startProjections(platform: Platform): Promise<RunningRole> {
  const { kafka, codec, log, db, config, metrics } = platform;
  const running: RunningRole[] = [];

  // PostgreSQL: one row per transaction, from entries, claims, sales, redirects, partner-events.
  const transactions = createTransactionsProjection({ db });
  await transactions.migrate();
  const { topicPrefix, kafkaSessionTimeoutMs: sessionTimeoutMs } = config;
  running.push(await startTransactionsProjector({ kafka, codec, log, topicPrefix, projection: transactions, metrics, sessionTimeoutMs }));

  // Redis inventory: the sales' slot queues and transactions' decisions, rebuilt from the topics when flushed.
  running.push(await startInventoryProjector(platform));

  return {
    async stop() {
      for (const r of running.reverse()) await r.stop();
    },
  };
}
