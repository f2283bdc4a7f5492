// The store's writers on a full Redis (maxmemory under what it holds, noeviction): each call
// is refused whole, with nothing written, even where its first write frees memory. A script in
// Redis's compatibility mode is refused only at its first memory-growing write, and after a
// write that frees memory (a ZPOPMIN, a ZREM) the rest of it goes through past maxmemory; the
// scripts whose first write can be one of those are flagged `#!lua`, which makes Redis refuse
// them before they run. Here each is driven into exactly that path on a redis-server of its own.
import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createInventoryScripts, type Claim } from '../../../writeModel/inventoryScripts.js';
import { inventoryKeys } from '../../../writeModel/keys.js';
import { saleScheduled } from '../../support/claimingFixtures.js';
import { markStoreReady } from '../../support/storeReady.js';
import { useOwnRedis } from '../../support/faults/useOwnRedis.js';

const EPOCH = 'full';
const own = useOwnRedis('none');

async function freshStore() {
  const topicPrefix = `tfull-${crypto.randomBytes(4).toString('hex')}`;
  await own.server.config('maxmemory', 0);
  await markStoreReady(own.client, topicPrefix, EPOCH);
  const scripts = createInventoryScripts(own.client, topicPrefix);
  const now = Date.now();
  const sale = {
    ...saleScheduled({ saleId: 'full', stock: 3, perUserLimit: 1, startsAt: now - 1_000, endsAt: now + 3_600_000 }),
    reservationSeconds: 1,
  };
  await scripts.apply({ mode: 'direct' }, [{ event: sale }]);
  return { scripts, keys: inventoryKeys(topicPrefix), sale, now };
}

/** Redis over its maxmemory from now on (half of what it uses). */
async function fill(): Promise<void> {
  const used = Number((await own.server.info('memory')).used_memory);
  await own.server.config('maxmemory', Math.floor(used / 2));
}

const claim = (user: string): Claim => ({
  transactionId: crypto.randomUUID(),
  saleId: 'full',
  userId: user,
  quantity: 1,
  claimEventId: `c-${user}`,
  shard: 0,
  hops: 0,
});

describe('the store on a full Redis', () => {
  it('refuses a batch of claims whole: no slot popped, no decision written', async () => {
    const { scripts, keys } = await freshStore();
    await fill();
    const c = claim('a');
    await expect(scripts.decideOnShards(EPOCH, Date.now(), [c, claim('b')])).rejects.toThrow(/OOM/);
    expect(await own.client.zcard(keys.pool('full', 0))).toBe(3);
    expect(await own.client.exists(keys.transaction(c.transactionId))).toBe(0);
    await own.server.config('maxmemory', 0);
  });

  it('refuses the expiry whole, even when its first due entry is a transaction already ended', async () => {
    const { scripts, keys, now } = await freshStore();
    const granted = await scripts.decideOnShards(EPOCH, now, [claim('a')]);
    if (granted.kind !== 'ok') throw new Error(granted.kind);
    // Due before the grant: an entry whose transaction has ended (gone), the first the expiry meets.
    await own.client.zadd(keys.expiries, now - 60_000, 'ended-already');
    await fill();
    await expect(scripts.releaseDue(EPOCH, now + 5_000, 10)).rejects.toThrow(/OOM/);
    expect(await own.client.zcard(keys.expiries)).toBe(2);
    expect(await own.client.zcard(keys.outbox)).toBe(0);
    await own.server.config('maxmemory', 0);
  });

  it('refuses an entry whole, even when it first clears a stale one', async () => {
    const { scripts, keys, now } = await freshStore();
    // An open entry whose hash never appeared, listed long ago: the first thing the call removes.
    await own.client.zadd(keys.openEntries('full', 'u'), now - 120_000, 'lost-entry');
    await fill();
    const entry = { saleId: 'full', userId: 'u', transactionId: 'new-entry', defaultCap: 5, now, keepMs: 60_000 };
    await expect(scripts.reserveEntry(entry)).rejects.toThrow(/OOM/);
    expect(await own.client.zrange(keys.openEntries('full', 'u'), 0, -1)).toEqual(['lost-entry']);
    await own.server.config('maxmemory', 0);
  });
});
