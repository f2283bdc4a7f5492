// Rebuilds the store from the topics when its ready marker is gone. One process at a time,
// under a lock with a TTL renewed as it goes, then the marker is set under a new epoch; until
// then every writer script refuses, so no claim is decided against a state that is behind.
// - Flushed, restarted without persistence, or a first start: clear the store's own keys and
//   replay `sales` and `entries` from the beginning up to their ends as they were at the start.
// - Restored (Redis restarted from a snapshot or an AOF, or a replica promoted): the state is
//   whole up to the store's own positions, kept atomically with every fold, and may lack what
//   came after. Only that tail is folded, from each partition's position to its end. The fold
//   is idempotent, so the events the store did keep change nothing.
// The lock belongs to the Redis server run it was taken under (lua/fold.ts lockHeld): a rebuild
// that outlives a restart (its folds so far lost with the old data set) is refused on the new
// one and starts over from the positions the new data set holds.
import crypto from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { FlashsaleError, isRetriable } from '../platform/errors.js';
import type { Logger } from '../platform/log.js';
import { readTopicRange } from '../platform/kafka/topicReader.js';
import type { EventCodec } from '../platform/registry/codec.js';
import { isStoreEvent } from './encoding.js';
import type { InventoryScripts, Positioned } from './inventoryScripts.js';
import type { InventoryMetrics } from './metrics.js';

const LOCK_TTL_MS = 30_000;
const CHUNK = 500;

/** This rebuild stops (the process stops, or the lock passed on); the loop, or another process, starts the next one. */
class RebuildAborted extends FlashsaleError {
  override name = 'RebuildAborted';
  readonly retriable = true;
}

export type InventoryRebuilder = {
  /** Starts watching the ready marker; a missing marker starts a rebuild. */
  start(): void;
  /** Looks at the marker now (a writer found the store not ready). */
  kick(): void;
  stop(): Promise<void>;
};

export function createInventoryRebuilder({
  kafka,
  codec,
  log,
  scripts,
  topicPrefix,
  metrics,
  checkEveryMs = 250,
}: {
  kafka: Kafka;
  codec: EventCodec;
  log: Logger;
  scripts: InventoryScripts;
  topicPrefix: string;
  metrics: InventoryMetrics;
  checkEveryMs?: number;
}): InventoryRebuilder {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopping = false;

  async function applyChunked(token: string, events: Positioned[]): Promise<void> {
    for (let i = 0; i < events.length; i += CHUNK) {
      if (stopping) throw new RebuildAborted('stopping');
      const outcome = await scripts.apply({ mode: 'rebuild', token }, events.slice(i, i + CHUNK));
      if (outcome === 'lock_lost') throw new RebuildAborted('the rebuild lock expired; another process may have taken over');
    }
  }

  async function rebuild(): Promise<void> {
    const token = crypto.randomUUID();
    if (!(await scripts.lock(token, LOCK_TTL_MS))) return; // another process is at it
    const renew = setInterval(() => void scripts.renewLock(token, LOCK_TTL_MS).catch(() => undefined), LOCK_TTL_MS / 3);
    const started = Date.now();
    try {
      // Someone may have finished a rebuild between our look at the marker and the lock.
      const { complete, restored } = await scripts.checkStore();
      if (complete) return;
      let startOffsets: Map<string, number> | undefined;
      if (restored) {
        startOffsets = await scripts.nextOffsets();
        log.warn(
          { from: Object.fromEntries(startOffsets) },
          'inventory store was restored (Redis restarted or failed over): folding the topics since its own positions',
        );
      } else {
        const cleared = await scripts.clear(token);
        if (cleared === false) throw new RebuildAborted('the rebuild lock expired while clearing');
        log.warn({ cleared }, 'inventory store is not ready: rebuilding it from the sales and entries topics');
      }
      let events = 0;
      await readTopicRange({
        kafka,
        codec,
        topicPrefix,
        topics: ['sales', 'entries'],
        ...(startOffsets && { startOffsets }),
        onBatch: async (batch) => {
          const ours = batch.flatMap((d) => (isStoreEvent(d.event) ? [{ event: d.event, position: d.position }] : []));
          await applyChunked(token, ours);
          events += ours.length;
        },
      });
      const epoch = crypto.randomUUID();
      if (!(await scripts.finishRebuild(token, epoch))) throw new RebuildAborted('the rebuild lock expired before the end');
      metrics.rebuilt();
      log.info({ events, epoch, ms: Date.now() - started, tailOnly: restored }, 'inventory store rebuilt from the topics');
    } finally {
      clearInterval(renew);
      await scripts.unlock(token).catch(() => undefined);
    }
  }

  async function check(): Promise<void> {
    if (stopping || running) return;
    running = (async () => {
      if ((await scripts.checkStore()).complete) return;
      await rebuild();
    })();
    try {
      await running;
    } catch (err) {
      if (err instanceof RebuildAborted && stopping) return;
      // A part being down (the registry, Kafka, Redis refusing writes) is waited out by the next check; anything else is an error.
      if (isRetriable(err)) log.warn({ err: (err as Error).message }, 'inventory rebuild waits for a part that is down; retrying');
      else log.error({ err: (err as Error).message }, 'inventory rebuild failed; retrying');
    } finally {
      running = undefined;
    }
  }

  function schedule(delayMs: number): void {
    if (stopping) return;
    clearTimeout(timer);
    timer = setTimeout(() => void check().finally(() => schedule(checkEveryMs)), delayMs);
  }

  return {
    start: () => schedule(0),
    kick: () => {
      if (!running) schedule(0);
    },
    async stop() {
      stopping = true;
      clearTimeout(timer);
      await running?.catch(() => undefined);
    },
  };
}
