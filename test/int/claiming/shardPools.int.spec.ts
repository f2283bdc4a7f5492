// A sharded sale's free slots on real Redis: one pool per shard (slot n in shard (n - 1) mod K's),
// each taken from only by its own shard's claims; a claim its shard cannot serve is handed on,
// with nothing written, to the shard with the most free slots, and decided there; sold out only
// when no shard has enough (or the claim was handed on K - 1 times already). A released slot goes
// back to its own pool (once Kafka has the release), and folding the same events into an empty
// store gives the same pools.
import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { DecisionEvent } from '../../../domain/claiming/inventory.js';
import { type Claim } from '../../../writeModel/inventoryScripts.js';
import type { inventoryKeys } from '../../../writeModel/keys.js';
import { createSaleStore } from '../../../writeModel/saleStore.js';
import { saleScheduled } from '../../support/claimingFixtures.js';
import { useScratchStores } from '../../support/scratchStores.js';

const EPOCH = 'pools-epoch';
const stores = useScratchStores('tpools', EPOCH);
const freshStore = () => stores.fresh();

const now = Date.now();
const sale = saleScheduled({ saleId: 'pools-1', stock: 7, shards: 3, perUserLimit: 2, startsAt: now - 1_000, endsAt: now + 3_600_000 });
const claim = (user: string, shard: number, quantity = 1, hops = 0): Claim => ({
  transactionId: `${user}-tx-${crypto.randomUUID()}`,
  saleId: sale.saleId,
  userId: user,
  quantity,
  claimEventId: `claim-${user}`,
  shard,
  hops,
});
const slotsOf = (d: DecisionEvent | undefined) => (d?.type === 'ClaimGranted' ? d.slotIds : d?.reason);

async function pools(keys: ReturnType<typeof inventoryKeys>): Promise<string[][]> {
  return Promise.all([0, 1, 2].map((k) => stores.redis.zrange(keys.pool(sale.saleId, k), 0, -1)));
}

describe('a sale of three shards', () => {
  it('gives each shard its own slots, and a claim on a dry shard to the shard with the most, decided there', async () => {
    const { scripts, keys, topicPrefix } = await freshStore();
    await scripts.apply({ mode: 'direct' }, [{ event: sale }]);
    expect(await pools(keys)).toEqual([
      ['pools-1:1', 'pools-1:4', 'pools-1:7'],
      ['pools-1:2', 'pools-1:5'],
      ['pools-1:3', 'pools-1:6'],
    ]);
    const store = createSaleStore({ redis: stores.redis, topicPrefix });
    expect(await store.readSale(sale.saleId, now)).toMatchObject({ stockRemaining: 7, shards: 3 });

    // Shard 0's claims take shard 0's slots, lowest first.
    const first = await scripts.decideOnShards(EPOCH, now, [claim('a', 0), claim('b', 0), claim('c', 0)]);
    expect(first.kind === 'ok' && first.value.decisions.map(slotsOf)).toEqual([['pools-1:1'], ['pools-1:4'], ['pools-1:7']]);

    // Shard 0 is dry: the next claim is handed on (to shard 1: the first of the two with most), nothing written.
    const d = claim('d', 0);
    const handed = await scripts.decideOnShards(EPOCH, now, [d]);
    if (handed.kind !== 'ok') throw new Error(handed.kind);
    expect(handed.value.decisions).toEqual([]);
    expect(handed.value.handedOn).toEqual([
      expect.objectContaining({
        type: 'ClaimForwarded',
        eventId: `forward:${d.transactionId}:1`,
        causationId: 'claim-d',
        transactionId: d.transactionId,
        fromShard: 0,
        shard: 1,
        hops: 1,
      }),
    ]);
    expect(await stores.redis.hget(keys.transaction(d.transactionId), 'decision')).toBeNull();
    // Shard 1 decides it from its own slots.
    const there = await scripts.decideOnShards(EPOCH, now, [{ ...d, shard: 1, hops: 1 }]);
    expect(there.kind === 'ok' && there.value.decisions.map(slotsOf)).toEqual([['pools-1:2']]);
    expect(await store.readSale(sale.saleId, now)).toMatchObject({ stockRemaining: 3 });
    await store.close();
  });

  it('refuses sold out when no shard alone has the units, or when the claim was handed on K - 1 times', async () => {
    const { scripts } = await freshStore();
    await scripts.apply({ mode: 'direct' }, [{ event: { ...sale, perUserLimit: 5 } }]);
    const outcome = async (c: Claim) => {
      const r = await scripts.decideOnShards(EPOCH, now, [c]);
      if (r.kind !== 'ok') throw new Error(r.kind);
      return r.value.handedOn[0] ? `to shard ${r.value.handedOn[0].shard}` : slotsOf(r.value.decisions[0]);
    };
    // Shard 1 has 2 units, shard 0 has 3: a claim of 3 on shard 1 goes to shard 0.
    expect(await outcome(claim('big', 1, 3))).toBe('to shard 0');
    // The same, handed on twice already (K - 1): refused, though shard 0 has the units.
    expect(await outcome(claim('tired', 1, 3, 2))).toBe('sold_out');
    expect(await outcome(claim('e', 1, 2))).toEqual(['pools-1:2', 'pools-1:5']);
    // Shard 1 is dry; shard 0 has 3, shard 2 has 2: a claim of 2 goes to shard 0, one of 4 fits in no single shard.
    expect(await outcome(claim('f', 1, 2))).toBe('to shard 0');
    expect(await outcome(claim('h', 1, 4))).toBe('sold_out');
  });

  it('puts a released slot back in its own pool, and folds the same events into the same pools', async () => {
    const live = await freshStore();
    await live.scripts.apply({ mode: 'direct' }, [{ event: { ...sale, reservationSeconds: 1 } }]);
    const r = await live.scripts.decideOnShards(EPOCH, now, [claim('a', 2), claim('b', 2), claim('c', 2)]);
    if (r.kind !== 'ok') throw new Error(r.kind);
    const forwarded = r.value.handedOn[0]!;
    const there = await live.scripts.decideOnShards(EPOCH, now, [
      { ...claim('c', forwarded.shard), transactionId: forwarded.transactionId, hops: 1 },
    ]);
    if (there.kind !== 'ok') throw new Error(there.kind);
    const granted = [...r.value.decisions, ...there.value.decisions];
    expect(granted.map(slotsOf)).toEqual([['pools-1:3'], ['pools-1:6'], ['pools-1:1']]);
    const released = await live.scripts.releaseDue(EPOCH, now + 5_000, 10);
    if (released.kind !== 'ok') throw new Error(released.kind);
    expect(released.value).toHaveLength(3);
    // Off the pools until Kafka has the releases (the expiry worker's acknowledgement), then each in its own.
    expect(await pools(live.keys)).toEqual([['pools-1:4', 'pools-1:7'], ['pools-1:2', 'pools-1:5'], []]);
    await live.scripts.published(
      'releases',
      released.value.map((e) => e.transactionId),
    );
    const after = await pools(live.keys);
    expect(after).toEqual([
      ['pools-1:1', 'pools-1:4', 'pools-1:7'],
      ['pools-1:2', 'pools-1:5'],
      ['pools-1:3', 'pools-1:6'],
    ]);

    // The same facts folded into an empty store, releases first (as a rebuild may meet them), then the grants and the schedule.
    const rebuilt = await freshStore();
    const facts = [...released.value, ...granted, { ...sale, reservationSeconds: 1 }];
    await rebuilt.scripts.apply(
      { mode: 'direct' },
      facts.map((event) => ({ event })),
    );
    expect(await pools(rebuilt.keys)).toEqual(after);
    const onlyGrants = await freshStore();
    await onlyGrants.scripts.apply(
      { mode: 'direct' },
      [...granted, { ...sale, reservationSeconds: 1 }].map((event) => ({ event })),
    );
    expect(await pools(onlyGrants.keys)).toEqual([['pools-1:4', 'pools-1:7'], ['pools-1:2', 'pools-1:5'], []]);
  });

  it('puts a refunded unit back in its own pool only once Kafka has the return', async () => {
    const { scripts, keys } = await freshStore();
    await scripts.apply({ mode: 'direct' }, [{ event: sale }]);
    const r = await scripts.decideOnShards(EPOCH, now, [claim('r', 1)]);
    if (r.kind !== 'ok') throw new Error(r.kind);
    expect(slotsOf(r.value.decisions[0])).toEqual(['pools-1:2']);
    const transactionId = r.value.decisions[0]!.transactionId;
    const settled = await scripts.settle(EPOCH, now, [{ transactionId, paymentEventId: 'pay-r', partnerId: 'demo-pay' }]);
    expect(settled.kind === 'ok' && settled.value[0]?.outcome).toBe('settled');
    const returned = await scripts.returnUnits(EPOCH, now, { transactionId, paymentEventId: 'pay-r', refundEventId: 'refund-r' });
    expect(returned.kind === 'ok' && returned.value.outcome).toBe('returned');
    expect((await pools(keys))[1]).toEqual(['pools-1:5']);
    // Its unit counts against the shopper's limit until the return is on the log too.
    const userId = r.value.decisions[0]!.userId;
    expect(await stores.redis.hget(keys.held(sale.saleId), userId)).toBe('1');
    await scripts.published('returns', [transactionId]);
    await scripts.published('returns', [transactionId]); // again: nothing more
    expect((await pools(keys))[1]).toEqual(['pools-1:2', 'pools-1:5']);
    expect(await stores.redis.hget(keys.held(sale.saleId), userId)).toBeNull();
  });
});
