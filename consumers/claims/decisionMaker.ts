// The decision-maker: owns each sale's claims in order (the `claims` topic is keyed by saleId,
// so one consumer holds a sale's partition; a sale of K shards is on K partitions, a shopper's
// claims always on one of them, so each shard has one decision-maker and a hot sale several)
// and decides a whole batch in one Lua call per chunk, atomically in Redis. A shard decides
// from its own free slots only; a claim it cannot serve is handed on (ClaimForwarded, on the
// other shard's partition) to the shard with the most, and decided there (lua/shardPools.ts).
// It publishes the decisions (eventId `decision:<transactionId>`) before the runner commits
// the offsets; a claim seen again after a crash, a redelivery or a
// repeated request gets its stored decision back and publishes it again, same eventId, so a
// transaction has exactly one decision on the topic (possibly more than one copy of it).
// Each published chunk is then announced on the store's decisions channel for waiting requests.
import type { DecisionEvent } from '../../domain/claiming/inventory.js';
import { FlashsaleError, waitUnlessRecordsFault } from '../../platform/errors.js';
import type { Delivered, Subscription } from '../../platform/kafka/consumerRunner.js';
import type { EventPublisher } from '../../platform/kafka/publisher.js';
import type { Logger } from '../../platform/log.js';
import type { Redis } from '../../platform/redis.js';
import type { Registry } from 'prom-client';
import type { EventOf } from '../../schemas/events/index.js';
import { createInventoryScripts } from '../../writeModel/inventoryScripts.js';
import { inventoryKeys } from '../../writeModel/keys.js';
import { createDecisionLatency, createInventoryMetrics } from '../../writeModel/metrics.js';
import { createSaleStore, decisionView } from '../../writeModel/saleStore.js';
import { decisionsMessage } from '../../writeModel/signals.js';
import { createWriterEpoch } from '../../writeModel/writerEpoch.js';

type Claim = EventOf<'ClaimRequested'> | EventOf<'ClaimForwarded'>;

/**
 * What the decide script is given of a claim. A claim handed on keeps the first claim's
 * eventId as its decision's cause, and is decided from the shard it was handed to.
 */
function toDecide(c: Claim) {
  return {
    transactionId: c.transactionId,
    saleId: c.saleId,
    userId: c.userId,
    quantity: c.quantity,
    claimEventId: c.type === 'ClaimForwarded' ? (c.causationId ?? c.eventId) : c.eventId,
    shard: c.shard,
    hops: c.type === 'ClaimForwarded' ? c.hops : 0,
  };
}

/** A claim the edge should never have published (its quantity is not a positive integer): dead-lettered, never decided. */
export class MalformedClaimError extends FlashsaleError {
  override name = 'MalformedClaimError';
  readonly retriable = false;
}

/**
 * How long a claim handed on stays in its decision-maker's memory: its count against the
 * shopper's limit (lua/fold.ts applyHandOn) is folded again after every rebuild meanwhile. The
 * count matters until the other shard's decision is on the log, which is moments; five minutes
 * covers a broker away for a while.
 */
const HAND_ON_MEMORY_MS = 5 * 60_000;

/** One group over `claims`; fetches answer as soon as one claim is there (a person waits on each). */
export const claimsSubscription: Subscription = { group: 'claims.decisions', topics: ['claims'] };

export function createClaimDecider({
  redis,
  publisher,
  log: parentLog,
  topicPrefix,
  metrics: registry,
  chunkSize = 1_000,
}: {
  redis: Redis;
  publisher: EventPublisher;
  log: Logger;
  topicPrefix: string;
  metrics?: Registry;
  chunkSize?: number;
}) {
  const metrics = createInventoryMetrics(registry);
  const claimToDecision = createDecisionLatency(registry);
  const log = parentLog.child({ consumer: 'claims' });
  const scripts = createInventoryScripts(redis, topicPrefix);
  const store = createSaleStore({ redis, topicPrefix });
  // Remembers the decisions written to Redis that a rebuild may lack (see writerEpoch.ts), and
  // the claims handed on, whose count against their shopper's limit no rebuild finds.
  const writer = createWriterEpoch<DecisionEvent | EventOf<'ClaimForwarded'>>({ scripts, waitUntilReady: store.waitUntilReady });
  const channel = inventoryKeys(topicPrefix).decisionsChannel;

  function validate(claim: Claim): void {
    if (!Number.isInteger(claim.quantity) || claim.quantity < 1 || !claim.transactionId || !claim.saleId || !claim.userId) {
      throw new MalformedClaimError(
        `claim ${claim.transactionId} for sale ${claim.saleId}: quantity ${claim.quantity} is not a positive integer`,
      );
    }
  }

  return {
    async handle(batch: Delivered[]): Promise<void> {
      await decideAndPublish(batch).catch((err: unknown) => waitUnlessRecordsFault(err, 'deciding claims'));
    },
    close: () => store.close(),
  };

  async function decideAndPublish(batch: Delivered[]): Promise<void> {
    const claims = batch.flatMap((d) => (d.event.type === 'ClaimRequested' || d.event.type === 'ClaimForwarded' ? [d.event] : []));
    if (claims.length === 0) return;
    claims.forEach(validate);
    const decided = new Map<string, DecisionEvent>();
    const handedOn = new Set<string>();
    // Each chunk is published while the next one is decided, with at most one publish in
    // flight: one produce request per chunk (a whole fetched batch of decisions can exceed
    // the broker's 1 MB record-batch limit), in order, so a sale's decisions keep their order.
    // Claims handed on to another shard go with their chunk, before the offsets are committed.
    let inFlight: Promise<Error | undefined> = Promise.resolve(undefined);
    const publishInOrder = async (events: DecisionEvent[], forwarded: EventOf<'ClaimForwarded'>[] = []) => {
      const failure = await inFlight;
      if (failure) throw failure;
      inFlight =
        events.length + forwarded.length === 0
          ? Promise.resolve(undefined)
          : publisher.publish([...events, ...forwarded]).then(
              () => announce(events),
              (err: Error) => err,
            );
    };
    for (let i = 0; i < claims.length; i += chunkSize) {
      const chunk = claims.slice(i, i + chunkSize).map(toDecide);
      const fresh: DecisionEvent[] = [];
      // The time is taken at each attempt: a claim that waited out a rebuild is decided when it is decided.
      const outcome = await writer.run((epoch) => scripts.decideOnShards(epoch, Date.now(), chunk));
      for (const d of outcome.decisions) {
        if (decided.has(d.eventId)) continue; // the same transaction twice in one batch: one decision, published once
        decided.set(d.eventId, d);
        fresh.push(d);
      }
      for (const f of outcome.handedOn) handedOn.add(f.transactionId);
      writer.remember(outcome.handedOn, HAND_ON_MEMORY_MS);
      writer.written(fresh);
      await publishInOrder(fresh, outcome.handedOn);
    }
    await publishInOrder([]);
    const decisions = [...decided.values()];
    writer.published(decisions);
    const publishedAt = Date.now();
    for (const c of claims) if (c.type === 'ClaimRequested' && !handedOn.has(c.transactionId)) claimToDecision(c.occurredAt, publishedAt);
    const granted = decisions.filter((d) => d.type === 'ClaimGranted').length;
    metrics.decisions('granted', granted);
    for (const d of decisions) if (d.type === 'ClaimRejected') metrics.decisions(d.reason);
    if (handedOn.size > 0) metrics.decisions('handed_on', handedOn.size);
    log.debug({ claims: claims.length, decisions: decisions.length, granted, handedOn: handedOn.size }, 'claims decided');
  }

  /** Waiting requests learn a decision only once it is durable on Kafka: announced per published chunk. */
  function announce(decisions: readonly DecisionEvent[]): undefined {
    redis
      .publish(channel, decisionsMessage(decisions.map((d) => [d.transactionId, decisionView(d)])))
      .catch((err: Error) => log.warn({ err: err.message }, 'could not announce decisions; waiting requests will time out'));
    return undefined;
  }
}
