// Redis flushed in the middle of a sale (only this test's keys, in one atomic step, as a
// restart without persistence would) and rebuilt from the topics: no claim is decided while
// the rebuild is behind, the sale ends with exactly its stock granted, and a rebuild of the
// finished sale restores the very same store, key by key.
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyPrefix } from '../../../platform/redis.js';
import { createInventoryScripts } from '../../../writeModel/inventoryScripts.js';
import { consumerGroupId } from '../../../platform/kafka/groupId.js';
import { startInventoryProjector } from '../../../runtime/roles/projections.js';
import { inventorySubscription } from '../../../writeModel/projector.js';
import { StoreNotReadyError } from '../../../platform/errors.js';
import { createSaleStore, type SaleStore } from '../../../writeModel/saleStore.js';
import { topicName } from '../../../schemas/topics.js';
import { checkStorm, publishConcurrently, salesEvents, sampleClaims } from '../../support/claimStorm.js';
import { saleScheduled } from '../../support/claimingFixtures.js';
import { dumpStore } from '../../support/inventoryState.js';
import { cleanPrefixAt, flushPrefix } from '../../support/redisPrefix.js';
import { startTestSystem, type TestSystem } from '../../support/system.js';
import { waitFor } from '../../support/waitFor.js';

let system: TestSystem;
let store: SaleStore;
let projector: { stop(): Promise<void> } | undefined;

beforeAll(async () => {
  system = await startTestSystem('rebuild', ['claims']);
  store = createSaleStore({ redis: system.platform.redis, topicPrefix: system.prefix });
  projector = await startInventoryProjector(system.platform);
});
afterAll(async () => {
  await projector?.stop();
  await store?.close();
  await system?.stop();
  if (system) await cleanPrefixAt(system.platform.config.redisUrl, keyPrefix(system.prefix));
});

async function projectorCaughtUp(): Promise<void> {
  const admin = system.platform.kafka.admin();
  await admin.connect();
  try {
    const topics = [topicName(system.prefix, 'sales'), topicName(system.prefix, 'entries')];
    const ends = new Map<string, number>();
    for (const t of topics) for (const p of await admin.fetchTopicOffsets(t)) ends.set(`${t}:${p.partition}`, Number(p.high));
    await waitFor(
      async () => {
        const committed = await admin.fetchOffsets({ groupId: consumerGroupId(system.prefix, inventorySubscription.group), topics });
        return committed.every(({ topic, partitions }) =>
          partitions.every(
            (p) => (ends.get(`${topic}:${p.partition}`) ?? 0) === 0 || Number(p.offset) >= ends.get(`${topic}:${p.partition}`)!,
          ),
        );
      },
      { what: 'the inventory projector caught up' },
    );
  } finally {
    await admin.disconnect();
  }
}

describe('the store flushed mid-sale', () => {
  it('decides nothing until rebuilt, then grants exactly the stock; a second rebuild restores the same store', async () => {
    const now = Date.now();
    const sale = saleScheduled({
      saleId: 'flush-1',
      occurredAt: now,
      startsAt: now - 1_000,
      endsAt: now + 3_600_000,
      stock: 200,
      reservationSeconds: 600,
      // A term of its own that only SaleScheduled v2 carries: the rebuild must restore it too.
      maxOpenEntriesPerUser: 3,
    });
    await system.platform.publisher.publish([sale]);
    await waitFor(() => store.readSale(sale.saleId, Date.now()), { what: 'the sale pre-warmed' });

    const claims = sampleClaims({ saleId: sale.saleId, users: 900, seed: 9 });
    const txs = [...new Set(claims.map((c) => c.transactionId))];
    // Each user entered the sale first (the edge records it), so the rebuild restores entries too.
    const entries = txs.map((tx) => {
      const c = claims.find((x) => x.transactionId === tx)!;
      return {
        type: 'EntryRecorded' as const,
        eventId: crypto.randomUUID(),
        occurredAt: Date.now(),
        correlationId: tx,
        causationId: null,
        transactionId: tx,
        saleId: c.saleId,
        userId: c.userId,
      };
    });
    await publishConcurrently(system.platform.publisher, entries, 4, 200);
    let answered = 0;
    const answers = Promise.all(txs.map((tx) => store.awaitDecision(tx, 110_000).then((d) => (answered++, d))));
    const half = Math.floor(claims.length / 2);
    await publishConcurrently(system.platform.publisher, claims.slice(0, half), 4, 10);
    await waitFor(() => answered >= txs.length / 4, { timeoutMs: 60_000, intervalMs: 5, what: 'a quarter of the claims decided' });

    // The flush: the projector (which would rebuild at once) is stopped first, so the gap is visible.
    await projector!.stop();
    projector = undefined;
    const flushedAt = Date.now();
    const answeredAtFlush = answered;
    expect(await flushPrefix(system.platform.redis, keyPrefix(system.prefix))).toBeGreaterThan(0);
    expect(answeredAtFlush).toBeLessThan(txs.length);
    const second = publishConcurrently(system.platform.publisher, claims.slice(half), 4, 10);
    // While nothing has rebuilt the store, the decision script refuses, and so does the sale view.
    const scripts = createInventoryScripts(system.platform.redis, system.prefix);
    const probe = { transactionId: crypto.randomUUID(), saleId: sale.saleId, userId: 'probe', quantity: 1, claimEventId: 'probe' };
    expect(await scripts.decide('any-epoch', Date.now(), [probe])).toEqual({ kind: 'not_ready' });
    await expect(store.readSale(sale.saleId, Date.now())).rejects.toBeInstanceOf(StoreNotReadyError);
    await second;
    const restartedAt = Date.now();
    projector = await startInventoryProjector(system.platform);

    expect((await answers).every((a) => a !== undefined)).toBe(true);
    const events = await salesEvents(system);
    const decidedInTheGap = events.filter(
      (e) => (e.type === 'ClaimGranted' || e.type === 'ClaimRejected') && e.occurredAt >= flushedAt && e.occurredAt < restartedAt,
    );
    expect(decidedInTheGap).toEqual([]);
    const outcome = await checkStorm({ system, redis: system.platform.redis, sale, claims, events });
    expect(await store.readSale(sale.saleId, Date.now())).toMatchObject({ status: 'sold_out', stockRemaining: 0 });

    // The finished sale, flushed and rebuilt once more: the same keys with the same contents.
    await projectorCaughtUp();
    const before = await dumpStore(system.platform.redis, system.prefix, ['ready']);
    await projector.stop();
    await flushPrefix(system.platform.redis, keyPrefix(system.prefix));
    projector = await startInventoryProjector(system.platform);
    expect(await store.waitUntilReady(60_000)).toBe(true);
    const after = await dumpStore(system.platform.redis, system.prefix, ['ready']);
    expect(Object.keys(after).length).toBeGreaterThan(txs.length);
    expect(after).toEqual(before);
    expect(await store.readSale(sale.saleId, Date.now())).toMatchObject({ maxOpenEntriesPerUser: 3 });
    expect(await store.readTransaction(txs[0]!)).toMatchObject({ saleId: sale.saleId, userId: entries[0]!.userId });
    console.info(
      `rebuild: ${txs.length} transactions, flushed when ${answeredAtFlush} were answered and half were not yet published; ` +
        `${outcome.granted} grants for ${sale.stock} units; ${outcome.copies} copies of a decision; rebuilt store has ${Object.keys(after).length} keys`,
    );
  });
});
