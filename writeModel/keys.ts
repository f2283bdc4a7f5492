// The Redis key layout of the flash-sale store. Everything lives under
// `<keyPrefix(topicPrefix)>inv:` so a rebuild can clear exactly the store's own keys (and
// never the edge's rate limits or challenges under the same deployment prefix).
//
//   <P>ready                 string  the epoch id of the current, complete state; absent = flushed, restored or rebuilding
//   <P>readyRun              string  the Redis server run_id under which `ready` was set (a restart or failover changes it)
//   <P>restored              string  set when `ready` was withdrawn because the run changed: only the topics' tail is missing
//   <P>lock                  string  the rebuild lock (token), with a TTL renewed while replaying
//   <P>pos                   hash    "<topic>:<partition>" -> last offset the projector applied
//   <P>sale:<saleId>         hash    the sale's terms (SaleScheduled fields) and `closed`
//   <P>sale:<saleId>:free    zset    free slots: member "<saleId>:<n>", score n (handed out lowest first)
//   <P>sale:<saleId>:holder  hash    slot n -> transactionId holding it (live or paid)
//   <P>sale:<saleId>:held    hash    userId -> units held (live or paid): what the per-user limit counts
//   <P>sale:<saleId>:live    hash    userId -> their one live reservation's transactionId
//   <P>tx:<transactionId>    hash    entry (saleId, userId), pending, the decision (d*), the ending (e*)
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

export function inventoryPrefix(topicPrefix: string): string {
  return `${keyPrefix(topicPrefix)}inv:`;
}

export function inventoryKeys(topicPrefix: string) {
  const p = inventoryPrefix(topicPrefix);
  return {
    prefix: p,
    ready: `${p}ready`,
    readyRun: `${p}readyRun`,
    lock: `${p}lock`,
    positions: `${p}pos`,
    sale: (saleId: string) => `${p}sale:${saleId}`,
    free: (saleId: string) => `${p}sale:${saleId}:free`,
    holders: (saleId: string) => `${p}sale:${saleId}:holder`,
    held: (saleId: string) => `${p}sale:${saleId}:held`,
    live: (saleId: string) => `${p}sale:${saleId}:live`,
    transaction: (transactionId: string) => `${p}tx:${transactionId}`,
    expiries: `${p}expiries`,
    outbox: `${p}outbox`,
    decisionsChannel: `${p}ch:decisions`,
    readyChannel: `${p}ch:ready`,
  };
}

export type InventoryKeys = ReturnType<typeof inventoryKeys>;
