// The store as the HTTP edge uses it (writeModel/saleStore.ts), on real Redis:
// the sale view and its status, a transaction from entry to decision, waiting for a decision
// over pub/sub, and refusing to answer from a store that is being rebuilt.
import crypto from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../platform/config.js';
import type { SaleStorePort } from '../../../producers/http/storefront/saleStorePort.js';
import { createInventoryScripts, type InventoryScripts } from '../../../writeModel/inventoryScripts.js';
import { inventoryKeys } from '../../../writeModel/keys.js';
import { StoreNotReadyError } from '../../../platform/errors.js';
import { createSaleStore, decisionView, type SaleStore } from '../../../writeModel/saleStore.js';
import { decisionsMessage } from '../../../writeModel/signals.js';
import { saleClosed, saleScheduled } from '../../support/claimingFixtures.js';
import { cleanPrefix } from '../../support/redisPrefix.js';
import { markStoreReady } from '../../support/storeReady.js';

const EPOCH = 'store-epoch';
const topicPrefix = `tstore-${crypto.randomBytes(4).toString('hex')}`;
const keys = inventoryKeys(topicPrefix);
let redis: Redis;
let store: SaleStore;
let scripts: InventoryScripts;

beforeAll(async () => {
  redis = new Redis(loadConfig().redisUrl);
  store = createSaleStore({ redis, topicPrefix });
  scripts = createInventoryScripts(redis, topicPrefix);
  await markStoreReady(redis, topicPrefix, EPOCH);
});
afterAll(async () => {
  await store.close();
  await cleanPrefix(redis, keys.prefix);
  redis.disconnect();
});

const now = Date.now();
const sale = saleScheduled({ saleId: 'view-1', stock: 2, startsAt: now + 60_000, endsAt: now + 3_600_000 });
const claimOf = (transactionId: string, userId: string, quantity = 1) => ({
  transactionId,
  saleId: 'view-1',
  userId,
  quantity,
  claimEventId: `c-${transactionId}`,
});

describe('the sale store', () => {
  it('is what the HTTP edge was written against', () => {
    const port: SaleStorePort = store;
    expect(port).toBeDefined();
  });

  it('derives the sale status from the clock, the close and the queue', async () => {
    expect(await store.readSale('nope', now)).toBeUndefined();
    await scripts.apply({ mode: 'direct' }, [{ event: sale }, { event: sale }]);
    expect(await store.readSale('view-1', now)).toMatchObject({ status: 'scheduled', stockRemaining: 2, challenge: 'none' });
    expect(await store.readSale('view-1', sale.startsAt)).toMatchObject({ status: 'open' });
    expect(await store.readSale('view-1', sale.endsAt)).toMatchObject({ status: 'closed' });
    const r = await scripts.decide(EPOCH, sale.startsAt, [claimOf('t-a', 'u-a', 2)]);
    expect(r.kind).toBe('ok');
    expect(await store.readSale('view-1', sale.startsAt)).toMatchObject({ status: 'sold_out', stockRemaining: 0 });
    await scripts.apply({ mode: 'direct' }, [{ event: saleClosed('view-1') }]);
    expect(await store.readSale('view-1', sale.startsAt)).toMatchObject({ status: 'closed' });
  });

  it('follows a transaction from entry to pending to its decision', async () => {
    const tx = crypto.randomUUID();
    expect(await store.readTransaction(tx)).toBeUndefined();
    await store.recordEntry({ transactionId: tx, saleId: 'view-2', userId: 'u-1' });
    await store.recordEntry({ transactionId: tx, saleId: 'view-2', userId: 'u-1' });
    expect(await store.readTransaction(tx)).toEqual({ transactionId: tx, saleId: 'view-2', userId: 'u-1', status: 'entered' });
    await store.markPending(tx, 2);
    expect(await store.readTransaction(tx)).toEqual({ transactionId: tx, saleId: 'view-2', userId: 'u-1', status: 'pending', quantity: 2 });
    expect(await store.readDecision(tx)).toBeUndefined();
    // The projector folds the same entry from the topic: nothing changes.
    await scripts.apply({ mode: 'direct' }, [
      {
        event: {
          type: 'EntryRecorded',
          eventId: 'e',
          occurredAt: now,
          correlationId: tx,
          causationId: null,
          transactionId: tx,
          saleId: 'view-2',
          userId: 'u-1',
        },
      },
    ]);
    expect(await store.readTransaction(tx)).toMatchObject({ status: 'pending', quantity: 2 });
  });

  it('hands a waiting request the decision once announced, and undefined when none comes in time', async () => {
    const tx = crypto.randomUUID();
    const started = Date.now();
    expect(await store.awaitDecision(tx, 300)).toBeUndefined();
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);

    const next = saleScheduled({ saleId: 'view-3', stock: 1, startsAt: now - 1_000, endsAt: now + 3_600_000 });
    await scripts.apply({ mode: 'direct' }, [{ event: next }]);
    const waiting = store.awaitDecision(tx, 10_000);
    const r = await scripts.decide(EPOCH, Date.now(), [{ ...claimOf(tx, 'u-1'), saleId: 'view-3' }]);
    if (r.kind !== 'ok') throw new Error(r.kind);
    await redis.publish(keys.decisionsChannel, decisionsMessage(r.value.map((d) => [d.transactionId, decisionView(d)])));
    const decision = await waiting;
    expect(decision).toMatchObject({ status: 'granted', slotIds: ['view-3:1'], quantity: 1, amountMinor: 1999, currency: 'EUR' });
    expect(await store.readDecision(tx)).toEqual(decision);
    // Decided already: answered at once from Redis, no announcement needed.
    expect(await store.awaitDecision(tx, 10_000)).toEqual(decision);
  });

  it("counts open entries against the sale's own cap where its terms have one, else against the caller's default", async () => {
    const capped = saleScheduled({ saleId: 'cap-own', endsAt: now + 3_600_000, maxOpenEntriesPerUser: 2 });
    const uncapped = saleScheduled({ saleId: 'cap-default', endsAt: now + 3_600_000 });
    await scripts.apply({ mode: 'direct' }, [{ event: capped }, { event: uncapped }]);
    expect(await store.readSale('cap-own', now)).toMatchObject({ maxOpenEntriesPerUser: 2 });
    expect(await store.readSale('cap-default', now)).not.toHaveProperty('maxOpenEntriesPerUser');

    const enter = (saleId: string) =>
      store.reserveEntry({ saleId, userId: 'u-cap', transactionId: crypto.randomUUID(), defaultCap: 4, now, saleEndsAt: now + 3_600_000 });
    const own = [];
    for (let i = 0; i < 3; i++) own.push(await enter('cap-own'));
    expect(own).toEqual([
      { ok: true, open: 1, cap: 2 },
      { ok: true, open: 2, cap: 2 },
      { ok: false, open: 2, cap: 2 },
    ]);
    const byDefault = [];
    for (let i = 0; i < 5; i++) byDefault.push(await enter('cap-default'));
    expect(byDefault.map((r) => r.ok)).toEqual([true, true, true, true, false]);
    expect(byDefault.at(-1)).toEqual({ ok: false, open: 4, cap: 4 });
  });

  it('refuses to describe a sale while the store is being rebuilt', async () => {
    await redis.del(keys.ready);
    try {
      await expect(store.readSale('view-1', now)).rejects.toBeInstanceOf(StoreNotReadyError);
      expect(await scripts.decide(EPOCH, now, [claimOf(crypto.randomUUID(), 'u-z')])).toEqual({ kind: 'not_ready' });
      expect(await scripts.apply({ mode: 'live' }, [{ event: saleClosed('view-1') }])).toBe('not_ready');
    } finally {
      await markStoreReady(redis, topicPrefix, EPOCH);
    }
    expect(await scripts.decide('an-older-epoch', now, [claimOf(crypto.randomUUID(), 'u-z')])).toEqual({ kind: 'epoch', epoch: EPOCH });
  });
});
