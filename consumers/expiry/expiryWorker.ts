// Releases granted reservations left unpaid past their expiresAt: one Lua step per batch
// marks the transactions released and writes them to the outbox; then ReservationReleased
// (eventId `release:<transactionId>`) goes to Kafka, and only once Kafka has it do the slots go
// back into the sale's queue (and leave the outbox). A slot freed before its release was on
// the log could be granted again and that grant published first: the log would then show a
// slot granted while its holder still held it (the nemesis suite saw it, seed 313 of the
// sharded campaign). A crash in between loses nothing: the outbox is published again on the
// next turn, by this process or another (same eventId), and its slots freed then.
// A payment racing the release is settled by another Lua step on the same transaction
// (settlement.ts): Redis runs one after the other, and whichever comes second sees the first.
// A payment acknowledged before the expiry but not yet settled must win that race, so only
// reservations due by the settled frontier (settledFrontier.ts) are released.
import type { EventPublisher } from '../../platform/kafka/publisher.js';
import { NotReadyError } from '../../platform/errors.js';
import type { Logger } from '../../platform/log.js';
import type { Redis } from '../../platform/redis.js';
import type { Registry } from 'prom-client';
import type { EventOf } from '../../schemas/events/index.js';
import { createInventoryScripts } from '../../writeModel/inventoryScripts.js';
import { inventoryKeys } from '../../writeModel/keys.js';
import { createInventoryMetrics } from '../../writeModel/metrics.js';
import { createSaleStore } from '../../writeModel/saleStore.js';
import { createWriterEpoch } from '../../writeModel/writerEpoch.js';
import type { SettledFrontier } from './settledFrontier.js';

type Release = EventOf<'ReservationReleased'>;

export function createExpiryWorker({
  redis,
  publisher,
  log: parentLog,
  topicPrefix,
  metrics: registry,
  frontier,
  batchSize = 500,
  maxSleepMs = 1_000,
  frontierPollMs = 100,
}: {
  redis: Redis;
  publisher: EventPublisher;
  log: Logger;
  topicPrefix: string;
  metrics?: Registry;
  /** How far back every acknowledged payment is settled: nothing due after it is released. */
  frontier: Pick<SettledFrontier, 'settledThrough'>;
  batchSize?: number;
  maxSleepMs?: number;
  /** How soon to ask again when something is due but its payments may not all be settled yet. */
  frontierPollMs?: number;
}) {
  const log = parentLog.child({ worker: 'expiry' });
  const metrics = createInventoryMetrics(registry);
  const keys = inventoryKeys(topicPrefix);
  const scripts = createInventoryScripts(redis, topicPrefix);
  const store = createSaleStore({ redis, topicPrefix });
  // Remembers the releases written to Redis that a rebuild may lack (see writerEpoch.ts);
  // its unconfirmed releases are the first thing the next turn publishes.
  const writer = createWriterEpoch<Release>({ scripts, waitUntilReady: store.waitUntilReady });
  let stopping = false;
  let wake: (() => void) | undefined;
  let loop: Promise<void> | undefined;
  let dueBy = 0;

  async function publish(releases: Release[]): Promise<void> {
    if (releases.length === 0) return;
    await publisher.publish(releases);
    await scripts.published(
      'releases',
      releases.map((r) => r.transactionId),
    );
    metrics.ended('released', releases.length);
    for (const r of releases) log.info({ transactionId: r.transactionId, saleId: r.saleId, slotIds: r.slotIds }, 'reservation released');
  }

  /** One turn: publish what is owed, release what is due. Returns how many were released. */
  async function turn(): Promise<number> {
    // Owed first: our own unconfirmed releases, then any other process's left in the outbox.
    const owed = writer.unconfirmed();
    await publish(owed);
    writer.published(owed);
    await publish(await scripts.readOutbox(batchSize));
    dueBy = await frontier.settledThrough();
    const released = await writer.run((epoch) => scripts.releaseDue(epoch, Date.now(), batchSize, dueBy));
    writer.written(released);
    await publish(released);
    writer.published(released);
    return released.length;
  }

  async function sleep(ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    wake = undefined;
  }

  async function untilNextDue(): Promise<number> {
    const [, score] = await redis.zrange(keys.expiries, 0, 0, 'WITHSCORES');
    if (score === undefined) return maxSleepMs;
    // Due already, but not by the frontier: its payments may still be on their way.
    if (Number(score) <= Date.now() && Number(score) > dueBy) return frontierPollMs;
    return Math.min(maxSleepMs, Math.max(5, Number(score) - Date.now()));
  }

  async function run(): Promise<void> {
    let failures = 0;
    while (!stopping) {
      try {
        const released = await turn();
        failures = 0;
        if (released >= batchSize) continue; // more may be due right now
        await sleep(await untilNextDue());
      } catch (err) {
        if (!(err instanceof NotReadyError)) log.error({ err: (err as Error).message }, 'expiry turn failed; retrying');
        await sleep(Math.min(200 * 2 ** failures++, 5_000));
      }
    }
  }

  return {
    start(): void {
      loop ??= run();
    },
    async stop(): Promise<void> {
      stopping = true;
      wake?.();
      await loop;
      await store.close();
    },
  };
}
