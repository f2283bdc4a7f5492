// A payment and the expiry racing for the same reservation, a thousand times, on real Redis
// from two connections: each time exactly one of them wins, and the loser changes nothing.
import crypto from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../platform/config.js';
import { createInventoryScripts, type InventoryScripts } from '../../../writeModel/inventoryScripts.js';
import { inventoryKeys } from '../../../writeModel/keys.js';
import { saleScheduled } from '../../support/claimingFixtures.js';
import { cleanPrefix } from '../../support/redisPrefix.js';
import { markStoreReady } from '../../support/storeReady.js';

const RACES = 1_000;
const EPOCH = 'race-epoch';
const topicPrefix = `trace-${crypto.randomBytes(4).toString('hex')}`;
const keys = inventoryKeys(topicPrefix);
let payer: Redis;
let expirer: Redis;
let payments: InventoryScripts;
let expiry: InventoryScripts;

beforeAll(async () => {
  const { redisUrl } = loadConfig();
  payer = new Redis(redisUrl);
  expirer = new Redis(redisUrl);
  payments = createInventoryScripts(payer, topicPrefix);
  expiry = createInventoryScripts(expirer, topicPrefix);
  await markStoreReady(payer, topicPrefix, EPOCH);
});
afterAll(async () => {
  await cleanPrefix(payer, keys.prefix);
  payer.disconnect();
  expirer.disconnect();
});

function ok<T>(r: { kind: 'ok'; value: T } | { kind: 'not_ready' } | { kind: 'epoch'; epoch: string }): T {
  if (r.kind !== 'ok') throw new Error(`store refused: ${r.kind}`);
  return r.value;
}

describe('a payment racing the expiry', () => {
  it('is won by exactly one of them, a thousand times over', async () => {
    const start = Date.now();
    const sale = saleScheduled({
      saleId: 'race',
      stock: RACES,
      perUserLimit: 1,
      startsAt: start - 1_000,
      endsAt: start + 3_600_000,
      reservationSeconds: 1,
    });
    await payments.apply({ mode: 'direct' }, [{ event: sale }]);
    let settledWins = 0;
    let releaseWins = 0;
    for (let i = 0; i < RACES; i++) {
      const transactionId = crypto.randomUUID();
      const [grant] = ok(
        await payments.decide(EPOCH, start, [{ transactionId, saleId: 'race', userId: `u-${i}`, quantity: 1, claimEventId: `c-${i}` }]),
      );
      if (grant?.type !== 'ClaimGranted') throw new Error(`claim ${i} was not granted: ${JSON.stringify(grant)}`);
      const due = grant.expiresAt;
      const payment = { transactionId, paymentEventId: `demo-pay:e-${i}`, partnerId: 'demo-pay' };
      // Both sent at once, on two connections, in a random order.
      const pay = () => payments.settle(EPOCH, due, [payment]);
      const expire = () => expiry.releaseDue(EPOCH, due, 10);
      const [settled, released] =
        i % 2 === 0 ? await Promise.all([pay(), expire()]) : await Promise.all([expire(), pay()]).then(([r, s]) => [s, r] as const);
      const [outcome] = ok(settled);
      const releases = ok(released);
      const paid = outcome?.outcome === 'settled';
      const expired = releases.some((r) => r.transactionId === transactionId);
      expect(paid !== expired, `race ${i}: settled=${paid} released=${expired}`).toBe(true);
      if (paid) {
        settledWins++;
        expect(releases).toEqual([]);
      } else {
        releaseWins++;
        expect(outcome).toEqual({ outcome: 'released', transactionId });
        expect(releases[0]).toMatchObject({ eventId: `release:${transactionId}`, slotIds: grant.slotIds });
      }
      const [slot] = grant.slotIds;
      if (expired) {
        // Released, but its event not yet on Kafka: the slot stays with the transaction till then.
        expect(await payer.hget(keys.holders('race'), slot!.split(':')[1]!)).toBe(transactionId);
        await expiry.published('releases', [transactionId]);
      }
      // The loser left no trace: the slot is sold (not free) exactly when the payment won.
      expect((await payer.zscore(keys.free('race'), slot!)) !== null, `race ${i}: slot ${slot} free`).toBe(!paid);
      expect(await payer.hget(keys.holders('race'), slot!.split(':')[1]!)).toBe(paid ? transactionId : null);
      // And asking again changes nothing.
      expect(ok(await payments.settle(EPOCH, due + 1, [payment]))[0]?.outcome).toBe(paid ? 'again' : 'released');
      expect(ok(await expiry.releaseDue(EPOCH, due + 1, 10))).toEqual([]);
    }
    console.info(`race: ${RACES} races in ${Date.now() - start} ms; payment won ${settledWins}, expiry won ${releaseWins}`);
    expect(settledWins + releaseWins).toBe(RACES);
    expect(settledWins).toBeGreaterThan(0);
    expect(releaseWins).toBeGreaterThan(0);
  });
});
