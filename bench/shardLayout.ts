// What the decision stage on K shards is loaded with: sales and claims laid out so that each
// of the K decision-makers (one consumer group, one process each) owns exactly one loaded
// `claims` partition. The group's assignor spreads the topic's partitions over the members
// before anything is loaded, so the layout is chosen from that assignment (`owners`), not
// hoped for. Pure: the assignment, the clock and the ids come in as data.
import { shardOf } from '../domain/claiming/shards/shardOf.js';
import type { EventOf } from '../schemas/events/index.js';

/** Partition of `claims` → the group member holding it. */
export type Owners = ReadonlyMap<number, string>;

export type LoadRequest = {
  /** K: decision-makers, one loaded partition each. */
  shards: number;
  /** Claims in all, spread evenly. */
  claims: number;
  /** Prefix of the sale ids this run makes up. */
  runId: string;
  owners: Owners;
  /** The `claims` partition a sale's claims of a shard go to (partitioning.ts, as the publisher routes them). */
  partitionOf: (saleId: string, shard: number) => number;
  now: number;
  newId: () => string;
};

export type LoadedClaim = { event: EventOf<'ClaimRequested'>; partition: number };

/** `layout` names the layout whatever K is, for the report. */
export type DecisionLoad = { layout: string; sales: EventOf<'SaleScheduled'>[]; claims: LoadedClaim[] };

/** Far more sale ids than any assignment of six partitions needs; past it the owners cannot be covered. */
const SEARCH_LIMIT = 100_000;

/** K sale ids whose partitions are held by K different members, found by trying ids in turn. */
export function salesOnDistinctOwners({ shards, runId, owners, partitionOf }: LoadRequest): string[] {
  if (new Set(owners.values()).size < shards)
    throw new Error(`${shards} decision-makers wanted, the group has ${new Set(owners.values()).size}`);
  const taken = new Set<string>();
  const sales: string[] = [];
  for (let i = 0; i < SEARCH_LIMIT && sales.length < shards; i++) {
    const saleId = `${runId}-s${i}`;
    const owner = owners.get(partitionOf(saleId, 0));
    if (owner === undefined || taken.has(owner)) continue;
    taken.add(owner);
    sales.push(saleId);
  }
  if (sales.length < shards) throw new Error(`no ${shards} sales on distinct members within ${SEARCH_LIMIT} ids`);
  return sales;
}

/** One sale id whose K shard partitions (the sale's own and the next K-1, partitioning.ts) are held by K different members. */
export function saleOnDistinctOwners({ shards, runId, owners, partitionOf }: LoadRequest): string {
  for (let i = 0; i < SEARCH_LIMIT; i++) {
    const saleId = `${runId}-s${i}`;
    const holders = Array.from({ length: shards }, (_, k) => owners.get(partitionOf(saleId, k)));
    if (holders.every((h) => h !== undefined) && new Set(holders).size === shards) return saleId;
  }
  throw new Error(`no sale whose ${shards} shards sit with ${shards} distinct members within ${SEARCH_LIMIT} ids`);
}

/** A sale open from a second ago for four hours, one unit per user, no challenge: what every decision-stage run schedules. */
export function benchSale(
  saleId: string,
  stock: number,
  { now, newId }: Pick<LoadRequest, 'now' | 'newId'>,
  shards = 1,
): EventOf<'SaleScheduled'> {
  return {
    type: 'SaleScheduled',
    eventId: newId(),
    occurredAt: now,
    correlationId: saleId,
    causationId: null,
    saleId,
    productId: 'bench-product',
    partnerId: 'demo-pay',
    stock,
    priceMinor: 9_900,
    currency: 'EUR',
    startsAt: now - 1_000,
    endsAt: now + 4 * 3600_000,
    perUserLimit: 1,
    // Longer than the bench: no reservation lapses while it runs.
    reservationSeconds: 4 * 3600,
    challenge: 'none',
    maxOpenEntriesPerUser: null,
    shards,
  };
}

function claim(saleId: string, userId: string, shard: number, { now, newId }: LoadRequest): EventOf<'ClaimRequested'> {
  const transactionId = newId();
  return {
    type: 'ClaimRequested',
    eventId: newId(),
    occurredAt: now,
    correlationId: transactionId,
    causationId: null,
    transactionId,
    saleId,
    userId,
    quantity: 1,
    shard,
  };
}

/**
 * Layout "K sales": K sales of one shard, each on a partition of its own member, each with
 * stock/K units and claims/K claims from distinct users (every claim granted). The same
 * decision-stage work per process as one sale on K shards, without the one queue of free
 * slots the shards of a sale share: set BENCH_SHARD_LAYOUT=sales to compare.
 */
export function kSalesLoad(req: LoadRequest): DecisionLoad {
  const each = Math.floor(req.claims / req.shards);
  const sales = salesOnDistinctOwners(req);
  return {
    layout: 'K sales, one partition each',
    sales: sales.map((saleId) => benchSale(saleId, each, req)),
    claims: sales.flatMap((saleId) => {
      const partition = req.partitionOf(saleId, 0);
      return Array.from({ length: each }, (_, u) => ({ event: claim(saleId, `${saleId}-u${u}`, 0, req), partition }));
    }),
  };
}

/**
 * Layout "one sale on K shards", the default: a sale with `shards: K` and stock for every
 * claim, each claim on its shopper's shard (shardOf(userId, K)) and so on that shard's
 * partition, as the edge sends them. The K decision-makers take from the sale's one queue of
 * free slots. The shards' loads are even only to within the hash's spread (about one per cent
 * at 15,000 claims a shard).
 */
export function oneSaleOnShardsLoad(req: LoadRequest): DecisionLoad {
  const saleId = saleOnDistinctOwners(req);
  return {
    layout: 'one sale on K shards',
    sales: [benchSale(saleId, req.claims, req, req.shards)],
    claims: Array.from({ length: req.claims }, (_, u) => {
      const userId = `${saleId}-u${u}`;
      const shard = shardOf(userId, req.shards);
      return { event: claim(saleId, userId, shard, req), partition: req.partitionOf(saleId, shard) };
    }),
  };
}

/**
 * The first `perPartition` claims of each partition, decided before the clock starts so every
 * process has warmed up (JIT, connections) on its own partition, and the rest, timed. In order
 * per partition, as they are loaded.
 */
export function splitWarmup(claims: readonly LoadedClaim[], perPartition: number): { warmup: LoadedClaim[]; timed: LoadedClaim[] } {
  const seen = new Map<number, number>();
  const warmup: LoadedClaim[] = [];
  const timed: LoadedClaim[] = [];
  for (const c of claims) {
    const n = seen.get(c.partition) ?? 0;
    seen.set(c.partition, n + 1);
    (n < perPartition ? warmup : timed).push(c);
  }
  return { warmup, timed };
}

/** The layouts the bench can load, by the name BENCH_SHARD_LAYOUT gives (`shards` unless told). */
export const DECISION_LAYOUTS = { shards: oneSaleOnShardsLoad, sales: kSalesLoad } as const;

export type DecisionLayout = keyof typeof DECISION_LAYOUTS;

export const decisionLayoutNamed = (name: string | undefined): DecisionLayout => (name === 'sales' ? 'sales' : 'shards');
