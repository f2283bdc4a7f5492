// One sale's inventory as the Redis store holds it, in the pure fold's shape, so a test can
// compare the store with the fold of the topic (or of the decider's events).
import type { Redis } from 'ioredis';
import type { InventoryEvent, SaleInventory } from '../../domain/claiming/inventory.js';
import { decisionFromTuple } from '../../writeModel/encoding.js';
import { inventoryKeys } from '../../writeModel/keys.js';
import { ending as ended, txField as T } from '../../writeModel/storeFormat.js';

type TxView = { decision?: InventoryEvent; ending?: string };

export async function readInventory(redis: Redis, topicPrefix: string, saleId: string, txIds: readonly string[]) {
  const keys = inventoryKeys(topicPrefix);
  const free = (await redis.zrange(keys.free(saleId), 0, -1, 'WITHSCORES')).filter((_, i) => i % 2 === 1).map(Number);
  const holders = new Map(Object.entries(await redis.hgetall(keys.holders(saleId))).map(([n, tx]) => [Number(n), tx]));
  const held = new Map(Object.entries(await redis.hgetall(keys.held(saleId))).map(([u, q]) => [u, Number(q)]));
  const live = new Map(Object.entries(await redis.hgetall(keys.live(saleId))));
  // The decision's fields in the order of a decision tuple (encoding.ts decisionFromTuple), then the ending.
  const decisionFields = [
    T.decidedSaleId,
    T.decidedUserId,
    T.decidedQuantity,
    T.decidedAt,
    T.decisionCausationId,
    T.rejectionReason,
    T.grantedSlots,
    T.expiresAt,
    T.amountMinor,
    T.currency,
  ];
  const pipeline = redis.pipeline();
  for (const t of txIds) pipeline.hmget(keys.transaction(t), T.decision, ...decisionFields, T.ending, T.paymentEventId);
  const rows = ((await pipeline.exec()) ?? []).map(([err, row]) => {
    if (err) throw err;
    return row as (string | null)[];
  });
  const transactions = new Map<string, TxView>();
  txIds.forEach((t, i) => {
    const [decision, ...rest] = rows[i]!;
    const decided = rest.slice(0, decisionFields.length);
    const [ending, paymentEventId] = rest.slice(decisionFields.length);
    const entry: TxView = {};
    if (decision) entry.decision = decisionFromTuple([decision, t, ...decided]);
    if (ending) entry.ending = `${ending}${paymentEventId ? `:${paymentEventId}` : ''}`;
    if (entry.decision || entry.ending) transactions.set(t, entry);
  });
  return { free, holders, held, live, transactions };
}

export function domainView(state: SaleInventory) {
  const transactions = new Map<string, TxView>();
  for (const [t, tx] of state.transactions) {
    const ending =
      tx.ending?.type === 'ReservationReleased'
        ? ended.released
        : tx.ending?.type === 'ReservationSettled'
          ? `${ended.settled}:${tx.ending.paymentEventId}`
          : undefined;
    transactions.set(t, { ...(tx.decision && { decision: tx.decision }), ...(ending && { ending }) });
  }
  return { free: [...state.free], holders: state.holders, held: state.held, live: state.live, transactions };
}

/** Every key of the store under this prefix with its content, for comparing two copies exactly. */
export async function dumpStore(redis: Redis, topicPrefix: string, except: readonly string[] = []): Promise<Record<string, unknown>> {
  const { prefix } = inventoryKeys(topicPrefix);
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  const dump: Record<string, unknown> = {};
  for (const key of keys.sort()) {
    if (except.some((e) => key === `${prefix}${e}`)) continue;
    const type = await redis.type(key);
    if (type === 'hash') dump[key] = await redis.hgetall(key);
    else if (type === 'zset') dump[key] = await redis.zrange(key, 0, -1, 'WITHSCORES');
    else if (type === 'string') dump[key] = await redis.get(key);
    else dump[key] = type;
  }
  return dump;
}
