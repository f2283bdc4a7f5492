// Reads from a store restored from a snapshot, before its tail is folded (the nemesis suite,
// 3 brokers: seed 132 had a redirect refused 409 for a granted transaction, because the store
// still held it as entered; seed 131 had entries acknowledged and then answered 404, because
// the read came before the rebuild finished and the readiness check after it). Every read of
// a transaction refuses until the store is whole again, judged in the same step as the read.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreNotReadyError } from '../../../platform/errors.js';
import { createInventoryScripts } from '../../../writeModel/inventoryScripts.js';
import { createSaleStore, type SaleStore } from '../../../writeModel/saleStore.js';
import { type OwnRedis, startOwnRedis, waitForServer } from '../../support/faults/ownRedis.js';

let redis: OwnRedis;
let client: Redis;
let store: SaleStore | undefined;

beforeAll(async () => {
  redis = await startOwnRedis({ persistence: 'rdb' });
  client = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  client.on('error', () => undefined);
});
afterAll(async () => {
  await store?.close();
  client?.disconnect();
  await redis?.stop();
});

describe('reading a transaction from a store restored from a snapshot', () => {
  it('refuses until the topics tail is folded, instead of answering what the snapshot held', async () => {
    const prefix = `snapreads-${Date.now()}`;
    const scripts = createInventoryScripts(client, prefix);
    store = createSaleStore({ redis: client, topicPrefix: prefix });
    expect(await scripts.lock('first', 30_000)).toBe(true);
    expect(await scripts.finishRebuild('first', 'epoch-1')).toBe(true);
    await store.recordEntry({ transactionId: 'tx-entered', saleId: 'sale-1', userId: 'u-1' });
    expect(await store.readTransaction('tx-entered')).toMatchObject({ status: 'entered' });

    await redis.save();
    // After the snapshot: the claim goes on (lost with the crash), and another entry is recorded.
    await store.markPending('tx-entered', 1);
    await store.recordEntry({ transactionId: 'tx-later', saleId: 'sale-1', userId: 'u-2' });
    await redis.kill();
    await redis.restart();
    await waitForServer(client);

    // The snapshot still holds tx-entered as entered, and the ready marker of the old run.
    await expect(store.readTransaction('tx-entered')).rejects.toBeInstanceOf(StoreNotReadyError);
    await expect(store.readClaim('tx-entered', 'sale-1', Date.now())).rejects.toBeInstanceOf(StoreNotReadyError);
    await expect(store.readClaim('tx-later', 'sale-1', Date.now())).rejects.toBeInstanceOf(StoreNotReadyError);

    // The tail folded (here: the rebuild finishes), reads are answered again.
    expect(await scripts.lock('second', 30_000)).toBe(true);
    expect(await scripts.finishRebuild('second', 'epoch-2')).toBe(true);
    expect(await store.readTransaction('tx-entered')).toMatchObject({ status: 'entered' });
    expect(await store.readTransaction('tx-never')).toBeUndefined();
  });
});
