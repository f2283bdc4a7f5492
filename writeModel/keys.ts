// The Redis key layout of the flash-sale store. Everything lives under
// `<keyPrefix(topicPrefix)>inv2:` so a rebuild can clear exactly the store's own keys (and
// never the edge's rate limits or challenges under the same deployment prefix). The key parts
// and the fields of each hash are defined in storeFormat.ts.
//
// The namespace carries the stored format's version: `inv:` held the first format (terse
// fields `d`, `e`, `dSale`...); `inv2:` holds the one of storeFormat.ts. An upgraded system
// never reads the old keys: it finds no ready marker under `inv2:` and rebuilds the store from
// the topics (rebuild.ts). The old `inv:` keys are left behind; delete them by hand.
//
//   <P>ready                 string  the epoch id of the current, complete state; absent = flushed, restored or rebuilding
//   <P>readyRun              string  the Redis server run_id:master_replid under which `ready` was set (a restart, failover or demotion changes it)
//   <P>restored              string  set when `ready` was withdrawn because the run changed: only the topics' tail is missing
//   <P>lock                  string  the rebuild lock ("<token>@<server run>"), with a TTL renewed while replaying; void under another run
//   <P>pos                   hash    "<topic>:<partition>" -> last offset the projector applied
//   <P>sale:<saleId>         hash    the sale's terms (SaleScheduled fields) and `closed`
//   <P>sale:<saleId>:free    zset    free slots: member "<saleId>:<n>", score n (handed out lowest first); on a sale of
//                                    K shards, shard 0's: slot n is free in shard (n - 1) mod K's pool, and only
//                                    that shard's decision-maker takes from it (lua/shardPools.ts)
//   <P>sale:<saleId>:free#<k> zset   shard k's free slots (k >= 1), as above
//   <P>sale:<saleId>:holder  hash    slot n -> transactionId holding it (live or paid)
//   <P>sale:<saleId>:held    hash    userId -> units held (live or paid, or in a claim handed on to another shard and not yet
//                                    decided: lua/handOns.ts): what the per-user limit counts
//   <P>sale:<saleId>:live    hash    userId -> their one live reservation's (or handed-on claim's) transactionId
//   <P>sale:<saleId>:open:<userId>  zset  the user's open entries (not yet claimed), by entry time: the edge's cap
//                                  counts them; expires a day after the sale ends; not rebuilt (a rebuild forgets them)
//   <P>sale:<saleId>:untimed set     transactions folded before the sale's terms: their expiry is set when the sale is
//   <P>tx:<transactionId>    hash    the entry, the pending claim, the decision, the ending (storeFormat.ts txField);
//                                    expires a week after its sale's end (lua/fold.ts keepUntilSaleOver)
//   <P>expiries              zset    transactionId by expiresAt, for live grants only
//   <P>outbox                zset    transactionId by releasedAt: releases not yet acknowledged by Kafka
//
// Pub/sub channels: <P>ch:decisions (JSON [[transactionId, decision], ...] after each published
// batch) and <P>ch:ready (the new epoch when a rebuild completes).
//
// Scripts compute these keys from the prefix instead of declaring them: the store is one Redis
// node. On Redis Cluster every key of a sale would need one hash tag and a batch would be split
// per slot.
import { keyPrefix } from '../platform/redis.js';
import { keyPart as K } from './storeFormat.js';

/** The store's namespace, and the version of its stored format: bump it when storeFormat.ts changes a name. */
const NAMESPACE = 'inv2:';

export function inventoryPrefix(topicPrefix: string): string {
  return `${keyPrefix(topicPrefix)}${NAMESPACE}`;
}

export function inventoryKeys(topicPrefix: string) {
  const p = inventoryPrefix(topicPrefix);
  const sale = (saleId: string) => `${p}${K.sale}${saleId}`;
  return {
    prefix: p,
    ready: `${p}${K.ready}`,
    readyRun: `${p}${K.readyRun}`,
    restored: `${p}${K.restored}`,
    lock: `${p}${K.lock}`,
    positions: `${p}${K.positions}`,
    sale,
    free: (saleId: string) => `${sale(saleId)}${K.free}`,
    /** The free slots of shard `shard` of a sharded sale (shard 0's are `free`). */
    pool: (saleId: string, shard: number) => (shard === 0 ? `${sale(saleId)}${K.free}` : `${sale(saleId)}${K.shardFree}${shard}`),
    holders: (saleId: string) => `${sale(saleId)}${K.holders}`,
    held: (saleId: string) => `${sale(saleId)}${K.held}`,
    live: (saleId: string) => `${sale(saleId)}${K.live}`,
    openEntries: (saleId: string, userId: string) => `${sale(saleId)}${K.openEntries}${userId}`,
    transaction: (transactionId: string) => `${p}${K.transaction}${transactionId}`,
    expiries: `${p}${K.expiries}`,
    outbox: `${p}${K.outbox}`,
    decisionsChannel: `${p}${K.decisionsChannel}`,
    readyChannel: `${p}${K.readyChannel}`,
  };
}

export type InventoryKeys = ReturnType<typeof inventoryKeys>;
