// The sharded decide script on real Redis, under any interleaving (fast-check): claims of random
// shoppers and sizes arrive on their shards, each shard's decision-maker takes the head of its
// own queue in whatever order the scheduler picks, a claim handed on joins the queue of the
// shard it was handed to, and now and then the expiry releases what is due (its slots freed
// once "Kafka has it"). After every step: no unit sold twice (free + held = stock, each slot
// once, each in its own shard's pool), nobody over the limit, each shopper's count what their
// grants and claims in flight to another shard hold; and no false sold-out: a claim is
// refused sold_out only when no shard alone had its units at that moment, or it had been
// handed on K - 1 times already (a race the next claim of the same shopper does not lose).
import crypto from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DecisionEvent } from '../../../domain/claiming/inventory.js';
import { shardOf } from '../../../domain/claiming/shards/shardOf.js';
import { type Claim } from '../../../writeModel/inventoryScripts.js';
import { saleScheduled } from '../../support/claimingFixtures.js';
import { useScratchStores } from '../../support/scratchStores.js';

const EPOCH = 'interleavings';
const LIMIT = 2;
const stores = useScratchStores('tinter', EPOCH);

type Step = { kind: 'claim'; user: number; quantity: number } | { kind: 'decide'; pick: number } | { kind: 'expire' };

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('claim' as const), user: fc.nat(7), quantity: fc.integer({ min: 1, max: 2 }) }) },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('decide' as const), pick: fc.nat(5) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('expire' as const) }) },
);

async function run(shards: number, stock: number, steps: readonly Step[]): Promise<void> {
  const { scripts, keys } = await stores.fresh();
  const redis = stores.redis;
  const start = Date.now();
  const sale = {
    ...saleScheduled({ saleId: 'inter', stock, shards, perUserLimit: LIMIT, startsAt: start - 1_000, endsAt: start + 3_600_000 }),
    reservationSeconds: 60,
  };
  await scripts.apply({ mode: 'direct' }, [{ event: sale }]);
  let now = start;
  const queues: Claim[][] = Array.from({ length: shards }, () => []);
  const pools = () => Promise.all(Array.from({ length: shards }, (_, k) => redis.zrange(keys.pool(sale.saleId, k), 0, -1)));

  const txsOf = new Map<string, string[]>();
  /**
   * What a shopper's limit counts: units of grants not released, and of claims in flight to
   * another shard (counted by their home shard when handed on: fold.ts applyHandOn).
   */
  async function counted(userId: string): Promise<number> {
    let units = 0;
    for (const t of txsOf.get(userId) ?? []) {
      const [decision, ending, quantity, inFlight] = await redis.hmget(
        `${keys.prefix}tx:${t}`,
        'decision',
        'ending',
        'decidedQuantity',
        'handOnHeld',
      );
      if (decision === 'granted' && ending !== 'released') units += Number(quantity);
      else if (!decision && inFlight) units += Number(inFlight);
      if (decision) expect(inFlight, `${t} decided, no longer counted as in flight`).toBeNull();
    }
    return units;
  }

  async function check(): Promise<string[][]> {
    const free = await pools();
    const holders = await redis.hgetall(keys.holders(sale.saleId));
    const freeSlots = free.flat().map((id) => Number(id.split(':')[1]));
    expect(freeSlots.length + Object.keys(holders).length, 'free + held = stock').toBe(stock);
    expect(new Set([...freeSlots, ...Object.keys(holders).map(Number)]).size, 'each slot once').toBe(stock);
    free.forEach((ids, k) => ids.forEach((id) => expect((Number(id.split(':')[1]) - 1) % shards, `${id} in its own pool`).toBe(k)));
    const held = await redis.hgetall(keys.held(sale.saleId));
    for (const units of Object.values(held)) expect(Number(units)).toBeLessThanOrEqual(LIMIT);
    for (const userId of txsOf.keys()) expect(Number(held[userId] ?? 0), `${userId}'s units held`).toBe(await counted(userId));
    return free;
  }

  for (const s of steps) {
    now += 1_000;
    if (s.kind === 'claim') {
      const userId = `u${s.user}`;
      const shard = shardOf(userId, shards);
      const id = crypto.randomUUID();
      txsOf.set(userId, [...(txsOf.get(userId) ?? []), id]);
      queues[shard]!.push({
        transactionId: id,
        saleId: sale.saleId,
        userId,
        quantity: s.quantity,
        claimEventId: `c-${id}`,
        shard,
        hops: 0,
      });
    } else if (s.kind === 'expire') {
      // Everything granted 60 s or more ago is due: released, and freed once "on Kafka".
      const released = await scripts.releaseDue(EPOCH, now, 1_000);
      if (released.kind !== 'ok') throw new Error(released.kind);
      await scripts.published(
        'releases',
        released.value.map((r) => r.transactionId),
      );
    } else {
      const waiting = queues.flatMap((q, k) => (q.length > 0 ? [k] : []));
      if (waiting.length === 0) continue;
      const shard = waiting[s.pick % waiting.length]!;
      const claim = queues[shard]!.shift()!;
      const before = (await pools()).map((p) => p.length);
      const r = await scripts.decideOnShards(EPOCH, now, [claim]);
      if (r.kind !== 'ok') throw new Error(r.kind);
      for (const f of r.value.handedOn) queues[f.shard]!.push({ ...claim, shard: f.shard, hops: f.hops });
      const decision: DecisionEvent | undefined = r.value.decisions[0];
      if (decision?.type === 'ClaimRejected' && decision.reason === 'sold_out') {
        const couldServe = before.some((free) => free >= claim.quantity);
        expect(
          couldServe && (claim.hops ?? 0) < shards - 1,
          `${claim.userId}'s claim of ${claim.quantity} refused sold_out with ${before.join('/')} free`,
        ).toBe(false);
      }
    }
    await check();
  }
}

describe('a sale on K shards, claims decided in any order', () => {
  it('never sells a unit twice, keeps each shard to its own slots, and refuses sold out only when no shard could serve', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 9 }),
        fc.array(step, { minLength: 5, maxLength: 40 }),
        (shards, stock, steps) => run(shards, stock, steps),
      ),
      { numRuns: 60 },
    );
  });
});
