// A transaction's hash in the Redis store expires a week after its sale's end (at least an
// hour from when the expiry is set), on the real stack: set by the entry, kept by the
// decision, set again by a rebuild from the topics; the sale's own keys never expire.
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyPrefix } from '../../../platform/redis.js';
import { inventoryKeys } from '../../../writeModel/keys.js';
import { TX_KEPT_AFTER_SALE_MS, TX_KEPT_AT_LEAST_MS } from '../../../writeModel/lua/fold.js';
import { createSaleStore, type SaleStore } from '../../../writeModel/saleStore.js';
import { saleScheduled } from '../../support/claimingFixtures.js';
import { cleanPrefixAt, flushPrefix } from '../../support/redisPrefix.js';
import { startTestSystem, type TestSystem } from '../../support/system.js';
import { waitFor } from '../../support/waitFor.js';

const DAY = 24 * 3600_000;
/** Slack for the time between the expiry being set and the test reading it. */
const SLACK_MS = 30_000;

let system: TestSystem;
let store: SaleStore;

beforeAll(async () => {
  system = await startTestSystem('tx-expiry', ['claims', 'projections']);
  store = createSaleStore({ redis: system.platform.redis, topicPrefix: system.prefix });
  expect(await store.waitUntilReady(60_000)).toBe(true);
});
afterAll(async () => {
  await store?.close();
  await system?.stop();
  if (system) await cleanPrefixAt(system.platform.config.redisUrl, keyPrefix(system.prefix));
});

const envelope = (tx: string) => ({ eventId: crypto.randomUUID(), occurredAt: Date.now(), correlationId: tx, causationId: null });
const entry = (tx: string, saleId: string, userId: string) =>
  ({ type: 'EntryRecorded', ...envelope(tx), transactionId: tx, saleId, userId }) as const;
const claimOf = (tx: string, saleId: string, userId: string) =>
  ({ type: 'ClaimRequested', ...envelope(tx), transactionId: tx, saleId, userId, quantity: 1, shard: 0 }) as const;

describe('expiry of transaction keys', () => {
  it('expires a transaction a week after its sale ends, an old sale’s an hour after it is folded, and again after a rebuild', async () => {
    const { redis, publisher } = system.platform;
    const keys = inventoryKeys(system.prefix);
    const now = Date.now();
    const live = saleScheduled({ saleId: `live-${now}`, occurredAt: now, startsAt: now - 1_000, endsAt: now + 3600_000 });
    const old = saleScheduled({ saleId: `old-${now}`, occurredAt: now - 31 * DAY, startsAt: now - 31 * DAY, endsAt: now - 30 * DAY });
    await publisher.publish([live, old]);
    await waitFor(() => store.readSale(live.saleId, Date.now()), { what: 'the live sale folded' });
    await waitFor(() => store.readSale(old.saleId, Date.now()), { what: 'the old sale folded' });

    const granted = crypto.randomUUID();
    const entered = crypto.randomUUID();
    const ofOld = crypto.randomUUID();
    await publisher.publish([entry(granted, live.saleId, 'u-1'), entry(entered, live.saleId, 'u-2'), entry(ofOld, old.saleId, 'u-3')]);
    await publisher.publish([claimOf(granted, live.saleId, 'u-1')]);
    expect((await waitFor(() => store.readDecision(granted), { what: 'the decision' })).status).toBe('granted');
    await waitFor(() => store.readTransaction(ofOld), { what: 'the old sale’s entry folded' });
    await waitFor(() => store.readTransaction(entered), { what: 'the entry folded' });

    const expiries = async () => {
      const at = Date.now();
      const left = async (key: string) => Number(await redis.pttl(key));
      return {
        at,
        granted: await left(keys.transaction(granted)),
        entered: await left(keys.transaction(entered)),
        ofOld: await left(keys.transaction(ofOld)),
        sale: await left(keys.sale(live.saleId)),
        holders: await left(keys.holders(live.saleId)),
        free: await left(keys.free(live.saleId)),
      };
    };
    const check = (e: Awaited<ReturnType<typeof expiries>>) => {
      const weekAfterEnd = live.endsAt + TX_KEPT_AFTER_SALE_MS - e.at;
      for (const ttl of [e.granted, e.entered]) {
        expect(ttl).toBeGreaterThan(weekAfterEnd - SLACK_MS);
        expect(ttl).toBeLessThanOrEqual(weekAfterEnd);
      }
      // Ended a month ago: the floor, not an expiry in the past (which would drop it at once).
      expect(e.ofOld).toBeGreaterThan(TX_KEPT_AT_LEAST_MS - SLACK_MS);
      expect(e.ofOld).toBeLessThanOrEqual(TX_KEPT_AT_LEAST_MS);
      // The sale's own keys stay: GET /sales and the per-user counts need them.
      expect([e.sale, e.holders, e.free]).toEqual([-1, -1, -1]);
    };
    const folded = await expiries();
    console.info(`expiries as folded (ms left): ${JSON.stringify(folded)}`);
    check(folded);

    // Flushed and rebuilt from the topics: the same expiries, set again by the same fold.
    expect(await flushPrefix(redis, keys.prefix)).toBeGreaterThan(0);
    expect(await store.waitUntilReady(60_000)).toBe(true);
    await waitFor(() => store.readTransaction(ofOld), { what: 'the old sale’s entry rebuilt' });
    const rebuilt = await expiries();
    console.info(`expiries after a rebuild (ms left): ${JSON.stringify(rebuilt)}`);
    check(rebuilt);
    expect(await store.readTransaction(granted)).toMatchObject({ status: 'granted', userId: 'u-1' });
  });
});
