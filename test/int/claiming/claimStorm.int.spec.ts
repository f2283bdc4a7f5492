// The decision-maker under a storm of concurrent claims, on the real stack: never more than
// the stock, each slot once, nobody over the limit, every claim decided once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimsSubscription, createClaimDecider } from '../../../consumers/claims/decisionMaker.js';
import { consumerGroupId } from '../../../platform/kafka/groupId.js';
import { keyPrefix } from '../../../platform/redis.js';
import { createSaleStore, type SaleStore } from '../../../writeModel/saleStore.js';
import { startClaims } from '../../../runtime/roles/claims.js';
import type { RunningRole } from '../../../runtime/role.js';
import { topicName } from '../../../schemas/topics.js';
import type { EventOf } from '../../../schemas/events/index.js';
import { checkStorm, claimOf, publishConcurrently, salesEvents, sampleClaims } from '../../support/claimStorm.js';
import { saleScheduled } from '../../support/claimingFixtures.js';
import { cleanPrefixAt } from '../../support/redisPrefix.js';
import { startTestSystem, type TestSystem } from '../../support/system.js';
import { waitFor } from '../../support/waitFor.js';

let system: TestSystem;
let store: SaleStore;
let claimsRole: RunningRole | undefined;

beforeAll(async () => {
  system = await startTestSystem('storm', ['projections']);
  store = createSaleStore({ redis: system.platform.redis, topicPrefix: system.prefix });
});
afterAll(async () => {
  await claimsRole?.stop();
  await store?.close();
  await system?.stop();
  if (system) await cleanPrefixAt(system.platform.config.redisUrl, keyPrefix(system.prefix));
});

async function schedule(overrides: Partial<EventOf<'SaleScheduled'>>): Promise<EventOf<'SaleScheduled'>> {
  const now = Date.now();
  const sale = saleScheduled({ occurredAt: now, startsAt: now - 1_000, endsAt: now + 3_600_000, reservationSeconds: 600, ...overrides });
  await system.platform.publisher.publish([sale]);
  await waitFor(() => store.readSale(sale.saleId, Date.now()), { what: `sale ${sale.saleId} pre-warmed` });
  return sale;
}

describe('a claim storm', () => {
  it('pre-warms a scheduled sale into a queue with one slot per unit', async () => {
    const sale = await schedule({ saleId: 'warm-1', stock: 5 });
    expect(await store.readSale(sale.saleId, Date.now())).toEqual({
      saleId: 'warm-1',
      productId: 'p-1',
      partnerId: 'demo-pay',
      status: 'open',
      stockRemaining: 5,
      priceMinor: 1999,
      currency: 'EUR',
      startsAt: sale.startsAt,
      endsAt: sale.endsAt,
      perUserLimit: 2,
      reservationSeconds: 600,
      challenge: 'none',
      shards: 1,
    });
  });

  it('grants exactly the stock to many more concurrent claimers, on distinct slots, nobody over the limit, and then reads sold out', async () => {
    claimsRole = await startClaims(system.platform);
    const sale = await schedule({ saleId: 'storm-1', stock: 150, perUserLimit: 2 });
    const claims = sampleClaims({ saleId: sale.saleId, users: 600 });
    const txs = [...new Set(claims.map((c) => c.transactionId))];
    const started = Date.now();
    const decided = Promise.all(txs.map((tx) => store.awaitDecision(tx, 90_000)));
    await publishConcurrently(system.platform.publisher, claims, 12, 25);
    const answers = await decided;
    const ms = Date.now() - started;
    expect(answers.every((a) => a !== undefined)).toBe(true);

    const outcome = await checkStorm({ system, redis: system.platform.redis, sale, claims, events: await salesEvents(system) });
    const unitsAsked = claims.reduce((n, c) => n + c.quantity, 0);
    expect(unitsAsked).toBeGreaterThan(3 * sale.stock);
    expect(await store.readSale(sale.saleId, Date.now())).toMatchObject({ status: 'sold_out', stockRemaining: 0 });
    // The answers the edge awaited are the decisions on the topic.
    for (const [i, tx] of txs.entries())
      expect(answers[i]).toMatchObject({ status: outcome.decisions.get(tx)!.type === 'ClaimGranted' ? 'granted' : 'rejected' });
    console.info(
      `storm: ${claims.length} claims (${txs.length} transactions, ${unitsAsked} units asked) for ${sale.stock} units: ` +
        `${outcome.granted} grants, decided and published in ${ms} ms while publishing (${Math.round((claims.length / ms) * 1000)} claims/s)`,
    );
  });

  it('grants the last unit to the claim that fits and refuses those that do not', async () => {
    const sale = await schedule({ saleId: 'last-unit', stock: 3, perUserLimit: 2 });
    const [a, b, c, d] = [
      claimOf('last-unit', 'u-a', 2),
      claimOf('last-unit', 'u-b', 2),
      claimOf('last-unit', 'u-c', 1),
      claimOf('last-unit', 'u-d', 1),
    ];
    await system.platform.publisher.publish([a, b, c, d]); // one partition, in this order
    const [da, db, dc, dd] = await Promise.all([a, b, c, d].map((x) => store.awaitDecision(x.transactionId, 30_000)));
    expect(da).toMatchObject({
      status: 'granted',
      slotIds: ['last-unit:1', 'last-unit:2'],
      quantity: 2,
      amountMinor: 3998,
      currency: 'EUR',
    });
    expect(db).toEqual({ status: 'rejected', reason: 'sold_out' });
    expect(dc).toMatchObject({ status: 'granted', slotIds: ['last-unit:3'], quantity: 1 });
    expect(dd).toEqual({ status: 'rejected', reason: 'sold_out' });
    expect(await store.readSale(sale.saleId, Date.now())).toMatchObject({ status: 'sold_out', stockRemaining: 0 });
    expect(await store.readTransaction(c.transactionId)).toMatchObject({
      transactionId: c.transactionId,
      saleId: 'last-unit',
      userId: 'u-c',
      status: 'granted',
      quantity: 1,
      slotIds: ['last-unit:3'],
      amountMinor: 1999,
      currency: 'EUR',
    });
    expect(await store.readTransaction(d.transactionId)).toMatchObject({ status: 'rejected', reason: 'sold_out', quantity: 1 });
  });

  it('decides a batch many chunks long in claim order and to the same invariants', async () => {
    const sale = await schedule({ saleId: 'chunks-1', stock: 60, perUserLimit: 2 });
    const claims = sampleClaims({ saleId: sale.saleId, users: 120, seed: 21 });
    // Chunks of 7: each chunk's decisions are published while the next is decided.
    const decider = createClaimDecider({ ...system.platform, topicPrefix: system.prefix, chunkSize: 7 });
    const topic = topicName(system.prefix, 'claims');
    await decider.handle(claims.map((event, i) => ({ event, position: { topic, partition: 0, offset: String(i) }, timestamp: 0 })));
    await decider.close();

    const events = (await salesEvents(system)).filter((e) => e.saleId === sale.saleId);
    const outcome = await checkStorm({ system, redis: system.platform.redis, sale, claims, events });
    expect(outcome.granted).toBeGreaterThan(0);
    const firstClaimed = [...new Set(claims.map((c) => c.transactionId))];
    const firstDecided = [
      ...new Set(events.flatMap((e) => (e.type === 'ClaimGranted' || e.type === 'ClaimRejected' ? [e.transactionId] : []))),
    ];
    expect(firstDecided).toEqual(firstClaimed);
  });

  it('decides a backlog of claims (its rate printed; the bench holds the target)', async () => {
    await claimsRole?.stop();
    claimsRole = undefined;
    const sales = await Promise.all(Array.from({ length: 6 }, (_, i) => schedule({ saleId: `bulk-${i}`, stock: 1_000, perUserLimit: 2 })));
    const claims = sales.flatMap((s, i) => sampleClaims({ saleId: s.saleId, users: 1_700, seed: 100 + i }));
    await publishConcurrently(system.platform.publisher, claims, 8, 500);
    const admin = system.platform.kafka.admin();
    await admin.connect();
    const topic = topicName(system.prefix, 'claims');
    const ends = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, Number(p.high)]));
    const started = Date.now();
    claimsRole = await startClaims(system.platform);
    await waitFor(
      async () => {
        const [committed] = await admin.fetchOffsets({
          groupId: consumerGroupId(system.prefix, claimsSubscription.group),
          topics: [topic],
        });
        // A partition nothing was published to has no committed offset (-1) and nothing to wait for.
        return committed!.partitions.every((p) => (ends.get(p.partition) ?? 0) === 0 || Number(p.offset) >= ends.get(p.partition)!);
      },
      { timeoutMs: 120_000, intervalMs: 20, what: 'the backlog decided and committed' },
    );
    const ms = Date.now() - started;
    await admin.disconnect();
    const perSecond = Math.round((claims.length / ms) * 1000);
    console.info(
      `backlog: ${claims.length} claims over ${sales.length} sales decided, published and committed in ${ms} ms: ${perSecond} decisions/s`,
    );
    // The rate is printed, not asserted: on shared, loaded cores a timed test fails for the
    // machine's sake; the decision stage's speed target is met in `npm run bench`.
    for (const s of sales) expect(await store.readSale(s.saleId, Date.now())).toMatchObject({ status: 'sold_out' });
  });
});
