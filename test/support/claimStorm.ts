// A claim storm against one sale, and what must hold after it: the claims (users claiming
// once or more, some repeating the same request), published from many concurrent callers,
// and the checks on the decisions as they stand on the `sales` topic and in Redis.
import crypto from 'node:crypto';
import type { Redis } from 'ioredis';
import { expect } from 'vitest';
import { foldInventory, type InventoryEvent } from '../../domain/claiming/inventory.js';
import type { EventPublisher } from '../../platform/kafka/publisher.js';
import { readTopicRange } from '../../platform/kafka/topicReader.js';
import type { EventOf, FlashsaleEvent } from '../../schemas/events/index.js';
import type { TestSystem } from './system.js';
import { readInventory, domainView } from './inventoryState.js';

export type Claim = EventOf<'ClaimRequested'>;
type Decision = EventOf<'ClaimGranted'> | EventOf<'ClaimRejected'>;

/** A deterministic pseudo-random sequence, so a failing storm can be replayed. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** A fresh claim on a fresh transaction. */
export function claimOf(saleId: string, userId: string, quantity = 1): Claim {
  const transactionId = crypto.randomUUID();
  return {
    type: 'ClaimRequested',
    eventId: crypto.randomUUID(),
    occurredAt: Date.now(),
    correlationId: transactionId,
    causationId: null,
    transactionId,
    saleId,
    userId,
    quantity,
    shard: 0,
  };
}

export function sampleClaims({ saleId, users, seed = 7 }: { saleId: string; users: number; seed?: number }): Claim[] {
  const next = random(seed);
  const claims: Claim[] = [];
  for (let u = 0; u < users; u++) {
    const tries = 1 + Math.floor(next() * 3);
    for (let k = 0; k < tries; k++) {
      const claim = claimOf(saleId, `user-${u}`, 1 + Math.floor(next() * 2));
      claims.push(claim);
      // Some users press the button twice: the same transaction, a second request.
      if (next() < 0.1) claims.push({ ...claim, eventId: crypto.randomUUID() });
    }
  }
  // Arrival order is not user order.
  for (let i = claims.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [claims[i], claims[j]] = [claims[j]!, claims[i]!];
  }
  return claims;
}

/** Publishes from `callers` concurrent publishers, `chunk` claims per call. */
export async function publishConcurrently(
  publisher: EventPublisher,
  claims: readonly FlashsaleEvent[],
  callers = 8,
  chunk = 50,
): Promise<void> {
  const chunks: FlashsaleEvent[][] = [];
  for (let i = 0; i < claims.length; i += chunk) chunks.push(claims.slice(i, i + chunk));
  await Promise.all(
    Array.from({ length: callers }, async () => {
      for (let c = chunks.shift(); c; c = chunks.shift()) await publisher.publish(c);
    }),
  );
}

/** Every event on the `sales` topic of this system, as they stand now. */
export async function salesEvents(system: TestSystem): Promise<InventoryEvent[]> {
  const events: InventoryEvent[] = [];
  const { kafka, codec } = system.platform;
  await readTopicRange({
    kafka,
    codec,
    topicPrefix: system.prefix,
    topics: ['sales'],
    onBatch: (batch) => {
      for (const d of batch) events.push(d.event as InventoryEvent);
    },
  });
  return events;
}

export type StormOutcome = { decisions: Map<string, Decision>; copies: number; granted: number };

/**
 * What a storm must leave: every claimed transaction decided exactly once (copies of the same
 * decision event are allowed, and counted), exactly `stock` units granted on distinct slots,
 * nobody over the limit, and Redis equal to the fold of the topic.
 */
export async function checkStorm({
  system,
  redis,
  sale,
  claims,
  events,
}: {
  system: TestSystem;
  redis: Redis;
  sale: EventOf<'SaleScheduled'>;
  claims: readonly Claim[];
  events: readonly InventoryEvent[];
}): Promise<StormOutcome> {
  const decisions = new Map<string, Decision>();
  let copies = 0;
  for (const e of events) {
    if (e.type !== 'ClaimGranted' && e.type !== 'ClaimRejected') continue;
    const first = decisions.get(e.transactionId);
    if (first) {
      expect(e, `transaction ${e.transactionId} has two different decisions`).toEqual(first);
      copies++;
    } else decisions.set(e.transactionId, e);
  }
  const claimed = new Set(claims.map((c) => c.transactionId));
  expect([...decisions.keys()].sort()).toEqual([...claimed].sort());

  const grants = [...decisions.values()].filter((d): d is EventOf<'ClaimGranted'> => d.type === 'ClaimGranted');
  const slots = grants.flatMap((g) => g.slotIds);
  expect(slots.length).toBe(sale.stock);
  expect(new Set(slots).size).toBe(slots.length);
  for (const g of grants) expect(g.slotIds).toHaveLength(g.quantity);
  const perUser = new Map<string, number>();
  for (const g of grants) perUser.set(g.userId, (perUser.get(g.userId) ?? 0) + g.quantity);
  for (const units of perUser.values()) expect(units).toBeLessThanOrEqual(sale.perUserLimit);

  const ours = events.filter((e) => e.saleId === sale.saleId);
  expect(await readInventory(redis, system.prefix, sale.saleId, [...claimed])).toEqual(domainView(foldInventory(ours)));
  return { decisions, copies, granted: grants.length };
}
