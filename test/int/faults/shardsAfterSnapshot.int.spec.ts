// Two decision-makers of one sale when Redis comes back from a snapshot (the nemesis suite,
// 3 brokers, 3 shards, seed 305: slots 1-4 granted twice). Decision-maker A grants a slot after
// the snapshot; Redis is killed and restarted from it, so the grant is gone from Redis and, not
// yet published, from the rebuilt store too. A re-folds its own last grants before it decides
// again (writerEpoch.ts); B must not take A's slot before that. With one free-slot queue shared
// by the shards, B's next claim got A's slot; with a pool per shard, B takes from its own pool
// only and hands on a claim it cannot serve, to be decided by A, after A's re-fold. And a
// shopper's limit: B's lost grant of a claim A handed on must not let A grant the shopper again
// before B re-folds it (A counted the claim when it handed it on, and re-folds that first).
import { describe, expect, it } from 'vitest';
import type { DecisionEvent } from '../../../domain/claiming/inventory.js';
import type { EventOf } from '../../../schemas/events/index.js';
import { createInventoryScripts, type Claim, type InventoryScripts } from '../../../writeModel/inventoryScripts.js';
import { inventoryKeys } from '../../../writeModel/keys.js';
import { createSaleStore } from '../../../writeModel/saleStore.js';
import { createWriterEpoch } from '../../../writeModel/writerEpoch.js';
import { saleScheduled } from '../../support/claimingFixtures.js';
import { waitForServer } from '../../support/faults/ownRedis.js';
import { useOwnRedis } from '../../support/faults/useOwnRedis.js';

const own = useOwnRedis('rdb');

/** One decision-maker as decisionMaker.ts drives the store: decide under its epoch, remember what it wrote. */
function decider(scripts: InventoryScripts, prefix: string) {
  const store = createSaleStore({ redis: own.client, topicPrefix: prefix });
  const writer = createWriterEpoch<DecisionEvent | EventOf<'ClaimForwarded'>>({
    scripts,
    waitUntilReady: store.waitUntilReady,
    waitMs: 200,
  });
  return {
    async decide(claims: Claim[]) {
      const outcome = await writer.run((epoch) => scripts.decideOnShards(epoch, Date.now(), claims));
      writer.remember(outcome.handedOn, 60_000);
      writer.written(outcome.decisions);
      return outcome;
    },
    close: () => store.close(),
  };
}

const slotOf = (d: DecisionEvent | undefined) =>
  d?.type === 'ClaimGranted' ? d.slotIds.map((id) => id.split(':')[1]).join(',') : d?.reason;

/**
 * A sale of 4 units on 2 shards, a limit of 1: shard 0 (slots 1, 3; the shopper's home) has
 * granted both its units (to a1, a2), shard 1 holds slots 2 and 4. `releaseBoth` releases those
 * two grants and marks the releases on Kafka; `restartFromSnapshot` kills Redis, restarts it from
 * its snapshot and rebuilds it with the topics' tail given.
 */
async function limitScenario(label: string) {
  const prefix = `${label}-${Date.now()}`;
  const scripts = createInventoryScripts(own.client, prefix);
  const now = Date.now();
  const sale = saleScheduled({ saleId: 'hot', stock: 4, shards: 2, perUserLimit: 1, startsAt: now - 1_000, endsAt: now + 3_600_000 });
  expect(await scripts.lock('first', 30_000)).toBe(true);
  expect(await scripts.finishRebuild('first', 'epoch-1')).toBe(true);
  await scripts.apply({ mode: 'direct' }, [{ event: { ...sale, reservationSeconds: 1 } }]);
  const claim = (tx: string, user: string, shard: number, hops = 0): Claim => ({
    transactionId: tx,
    saleId: 'hot',
    userId: user,
    quantity: 1,
    claimEventId: `claim-${tx}`,
    shard,
    hops,
  });
  const a = decider(scripts, prefix);
  const b = decider(scripts, prefix);
  expect((await a.decide([claim('tx-a1', 'a1', 0), claim('tx-a2', 'a2', 0)])).decisions.map(slotOf)).toEqual(['1', '3']);
  return {
    a,
    b,
    claim,
    keys: inventoryKeys(prefix),
    async releaseBoth(): Promise<EventOf<'ReservationReleased'>[]> {
      const released = await scripts.releaseDue('epoch-1', now + 60_000, 10);
      if (released.kind !== 'ok') throw new Error(released.kind);
      expect(released.value.map((r) => r.transactionId)).toEqual(['tx-a1', 'tx-a2']);
      await scripts.published('releases', ['tx-a1', 'tx-a2']);
      return released.value;
    },
    async restartFromSnapshot(tail: EventOf<'ReservationReleased'>[]): Promise<void> {
      await own.server.kill();
      await own.server.restart();
      await waitForServer(own.client);
      expect(await scripts.lock('second', 30_000)).toBe(true);
      if (tail.length > 0)
        await scripts.apply(
          { mode: 'rebuild', token: 'second' },
          tail.map((event) => ({ event })),
        );
      expect(await scripts.finishRebuild('second', 'epoch-2')).toBe(true);
    },
    async close(): Promise<void> {
      await a.close();
      await b.close();
    },
  };
}

describe('two decision-makers of a sharded sale, Redis restarted from a snapshot', () => {
  it('never hand one shard’s slot to the other while its decision-maker has not re-folded its grants', async () => {
    const prefix = `snapshards-${Date.now()}`;
    const scripts = createInventoryScripts(own.client, prefix);
    const now = Date.now();
    const sale = saleScheduled({ saleId: 'hot', stock: 4, shards: 2, perUserLimit: 1, startsAt: now - 1_000, endsAt: now + 3_600_000 });
    expect(await scripts.lock('first', 30_000)).toBe(true);
    expect(await scripts.finishRebuild('first', 'epoch-1')).toBe(true);
    await scripts.apply({ mode: 'direct' }, [{ event: sale }]);
    const claim = (user: string, shard: number, hops = 0): Claim => ({
      transactionId: `tx-${user}`,
      saleId: 'hot',
      userId: user,
      quantity: 1,
      claimEventId: `claim-${user}`,
      shard,
      hops,
    });
    const a = decider(scripts, prefix); // shard 0: slots 1, 3
    const b = decider(scripts, prefix); // shard 1: slots 2, 4
    expect((await b.decide([claim('b0', 1)])).decisions.map(slotOf)).toEqual(['2']);

    await own.server.save();
    // After the snapshot, A grants slot 1: written to Redis, not yet on Kafka when Redis dies.
    expect((await a.decide([claim('a1', 0)])).decisions.map(slotOf)).toEqual(['1']);
    await own.server.kill();
    await own.server.restart();
    await waitForServer(own.client);
    // The tail is folded (nothing of A's grant was on the topics): the store is whole again, under a new epoch.
    expect(await scripts.lock('second', 30_000)).toBe(true);
    expect(await scripts.finishRebuild('second', 'epoch-2')).toBe(true);

    // B decides first: its own last slot, then a claim it cannot serve goes to shard 0, not slot 1.
    const fromB = await b.decide([claim('b1', 1), claim('b2', 1)]);
    expect(fromB.decisions.map(slotOf)).toEqual(['4']);
    expect(fromB.handedOn.map((f) => [f.transactionId, f.shard])).toEqual([['tx-b2', 0]]);
    // A re-folds its grant of slot 1 before anything else, then decides the claim handed to it.
    const fromA = await a.decide([claim('b2', 0, 1)]);
    expect(fromA.decisions.map(slotOf)).toEqual(['3']);
    const holders = await own.client.hgetall(inventoryKeys(prefix).holders('hot'));
    expect(holders).toEqual({ '1': 'tx-a1', '2': 'tx-b0', '3': 'tx-b2', '4': 'tx-b1' });
    await a.close();
    await b.close();
  });

  it('keep a shopper to the limit when the other shard’s grant of their handed-on claim was lost', async () => {
    const { a, b, claim, keys, releaseBoth, restartFromSnapshot, close } = await limitScenario('snaplimit');
    // Shard 0 is dry: the shopper's first claim is handed on to shard 1.
    const handed = await a.decide([claim('tx-1', 'shopper', 0)]);
    expect(handed.handedOn.map((f) => [f.transactionId, f.shard])).toEqual([['tx-1', 1]]);
    // The two reservations run out and their slots go back to shard 0 (the releases on Kafka), then the snapshot.
    await releaseBoth();
    await own.server.save();
    // After the snapshot, shard 1 grants the handed-on claim: in Redis, not yet on Kafka when Redis dies.
    expect((await b.decide([claim('tx-1', 'shopper', 1, 1)])).decisions.map(slotOf)).toEqual(['2']);
    await restartFromSnapshot([]);

    // Shard 0 decides the shopper's second claim before shard 1 has re-folded its grant: slots 1
    // and 3 are free on shard 0, yet the shopper's first claim is still theirs.
    const second = await a.decide([claim('tx-2', 'shopper', 0)]);
    expect(second.decisions.map(slotOf)).toEqual(['duplicate']);
    // Shard 1 re-folds its grant at its next write: the shopper holds one unit, the first.
    expect((await b.decide([claim('tx-b1', 'b1', 1)])).decisions.map(slotOf)).toEqual(['4']);
    expect(await own.client.hgetall(keys.held('hot'))).toEqual({ shopper: '1', b1: '1' });
    expect(await own.client.hget(keys.live('hot'), 'shopper')).toBe('tx-1');
    await close();
  });

  it('count a handed-on claim again after the restore when its hand-on came after the snapshot', async () => {
    const { a, b, claim, keys, releaseBoth, restartFromSnapshot, close } = await limitScenario('snaplimit2');
    await own.server.save();
    // After the snapshot: the hand-on, the two releases (these on Kafka), and shard 1's grant.
    expect((await a.decide([claim('tx-1', 'shopper', 0)])).handedOn.map((f) => f.shard)).toEqual([1]);
    const released = await releaseBoth();
    expect((await b.decide([claim('tx-1', 'shopper', 1, 1)])).decisions.map(slotOf)).toEqual(['2']);
    // The rebuild folds the topics' tail: the releases were on Kafka, shard 1's grant was not.
    await restartFromSnapshot(released);

    // Shard 0 folds its hand-on again before it decides: the shopper's second claim is refused.
    expect((await a.decide([claim('tx-2', 'shopper', 0)])).decisions.map(slotOf)).toEqual(['duplicate']);
    expect((await b.decide([claim('tx-b1', 'b1', 1)])).decisions.map(slotOf)).toEqual(['4']);
    expect(await own.client.hgetall(keys.held('hot'))).toEqual({ shopper: '1', b1: '1' });
    await close();
  });
});
