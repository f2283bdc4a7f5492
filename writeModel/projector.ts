// The inventory projector: folds `sales` and `entries` into the Redis store. It pre-warms a
// scheduled sale (terms and one free slot per unit), applies closes, and folds decisions,
// releases and settlements: a no-op when their writer already applied them, real work after a
// rebuild or for events another process wrote. Guarded twice: by the last offset applied per
// partition, and by the fold's own idempotence (a transaction is decided and ended once).
import type { Kafka } from 'kafkajs';
import type { Registry } from 'prom-client';
import { NotReadyError } from '../platform/errors.js';
import { BATCHED_FETCH, type BatchHandler, type Delivered, type Subscription } from '../platform/kafka/consumerRunner.js';
import type { Logger } from '../platform/log.js';
import type { Redis } from '../platform/redis.js';
import type { EventCodec } from '../platform/registry/codec.js';
import { isStoreEvent } from './encoding.js';
import { createInventoryScripts, type Positioned } from './inventoryScripts.js';
import { createInventoryMetrics } from './metrics.js';
import { createInventoryRebuilder } from './rebuild.js';
import { createSaleStore } from './saleStore.js';
import { waitUnlessRecordsFault } from '../platform/errors.js';

const CHUNK = 500;

/** `sales` and `entries`, fetched in batches: nobody waits on a fold, and larger batches fold faster. */
export const inventorySubscription: Subscription = { group: 'projection.inventory', topics: ['sales', 'entries'], fetch: BATCHED_FETCH };

export type InventoryProjector = {
  handle: BatchHandler;
  /** Starts watching the ready marker: a flushed store is rebuilt from the topics. */
  start(): void;
  /** Stops rebuilding (a rebuild in progress is abandoned; the next process takes it up). */
  stop(): Promise<void>;
  /** Closes the store's connection; after the consumer stopped. */
  close(): Promise<void>;
};

export function createInventoryProjector({
  kafka,
  codec,
  log: parentLog,
  redis,
  topicPrefix,
  metrics,
}: {
  kafka: Kafka;
  codec: EventCodec;
  log: Logger;
  redis: Redis;
  topicPrefix: string;
  metrics?: Registry;
}): InventoryProjector {
  const log = parentLog.child({ projection: 'inventory' });
  const scripts = createInventoryScripts(redis, topicPrefix);
  const store = createSaleStore({ redis, topicPrefix });
  const rebuilder = createInventoryRebuilder({ kafka, codec, log, scripts, topicPrefix, metrics: createInventoryMetrics(metrics) });

  async function applyLive(events: Positioned[]): Promise<void> {
    for (let i = 0; i < events.length; i += CHUNK) {
      const chunk = events.slice(i, i + CHUNK);
      while ((await scripts.apply({ mode: 'live' }, chunk)) === 'not_ready') {
        rebuilder.kick();
        if (!(await store.waitUntilReady(2_000))) throw new NotReadyError('the inventory store is being rebuilt');
      }
    }
  }

  return {
    handle: (batch: Delivered[]) =>
      applyLive(batch.flatMap((d) => (isStoreEvent(d.event) ? [{ event: d.event, position: d.position }] : []))).catch((err: unknown) =>
        waitUnlessRecordsFault(err, 'folding into the inventory store'),
      ),
    start: () => rebuilder.start(),
    stop: () => rebuilder.stop(),
    close: () => store.close(),
  };
}
