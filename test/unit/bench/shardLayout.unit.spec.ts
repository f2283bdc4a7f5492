// The decision stage on K shards loads its claims so that each of the K decision-makers owns
// exactly one loaded partition, whatever the group's assignor handed out: as one sale on K
// shards (the default) or as K sales of one shard each.
import { describe, expect, it } from 'vitest';
import { shardOf } from '../../../domain/claiming/shards/shardOf.js';
import { partitionAmong, partitionOf } from '../../../platform/kafka/partitioning.js';
import {
  DECISION_LAYOUTS,
  type DecisionLoad,
  decisionLayoutNamed,
  kSalesLoad,
  type LoadRequest,
  oneSaleOnShardsLoad,
  type Owners,
  saleOnDistinctOwners,
  salesOnDistinctOwners,
  splitWarmup,
} from '../../../bench/shardLayout.js';
import { oneLoadedPartitionEach, processShares } from '../../../bench/shardsReport.js';

const PARTITIONS = 6;

/** What kafkajs' round-robin assignor gives K members over six partitions: member i holds i, i+K, ... */
function roundRobin(members: number): Owners {
  return new Map(Array.from({ length: PARTITIONS }, (_, p) => [p, `m${p % members}`]));
}

function request(shards: number, owners: Owners = roundRobin(shards), claims = 1_200): LoadRequest {
  let id = 0;
  return {
    shards,
    claims,
    runId: `run-k${shards}`,
    owners,
    // The publisher's own routing: the sale's partition plus the shard.
    partitionOf: (saleId, shard) => partitionOf('claims', saleId, shard),
    now: 1_000_000,
    newId: () => `id-${id++}`,
  };
}

/** Each member's share of the load, as the report computes it (every claim decided). */
function shares(load: DecisionLoad, owners: Owners) {
  const loaded = new Map<number, number>();
  for (const { partition } of load.claims) loaded.set(partition, (loaded.get(partition) ?? 0) + 1);
  return processShares(owners, loaded, loaded);
}

describe('layout "K sales"', () => {
  it.each([1, 2, 4])('gives each of %i decision-makers exactly one loaded partition', (shards) => {
    const req = request(shards);
    const load = kSalesLoad(req);
    const processes = shares(load, req.owners);
    expect(oneLoadedPartitionEach(shards, processes)).toBe(true);
    expect(processes.map((p) => p.decisions)).toEqual(Array.from({ length: shards }, () => 1_200 / shards));
  });

  it('schedules K sales with stock/K each and claims/K claims from distinct users, on their own partitions', () => {
    const load = kSalesLoad(request(4));
    expect(load.sales.map((s) => [s.stock, s.shards])).toEqual([
      [300, 1],
      [300, 1],
      [300, 1],
      [300, 1],
    ]);
    expect(load.claims.every((c) => c.event.shard === 0)).toBe(true);
    expect(new Set(load.claims.map((c) => c.event.userId)).size).toBe(1_200);
    expect(new Set(load.claims.map((c) => c.event.transactionId)).size).toBe(1_200);
    for (const { event, partition } of load.claims) expect(partition).toBe(partitionAmong(event.saleId, PARTITIONS));
    expect(load.layout).toBe('K sales, one partition each');
  });

  it('avoids a member holding two loaded partitions when the assignor gave it two', () => {
    // Four members over six partitions: m0 holds 0 and 4, m1 holds 1 and 5.
    const owners = roundRobin(4);
    const sales = salesOnDistinctOwners(request(4, owners));
    expect(new Set(sales.map((s) => owners.get(partitionAmong(s, PARTITIONS)))).size).toBe(4);
  });

  it('refuses K shards on a group with fewer members', () => {
    expect(() => kSalesLoad(request(4, roundRobin(3)))).toThrow(/4 decision-makers wanted, the group has 3/);
  });
});

describe('layout "one sale on K shards"', () => {
  it('finds a sale whose K consecutive shard partitions sit with K distinct members', () => {
    const owners = roundRobin(4);
    const saleId = saleOnDistinctOwners(request(4, owners));
    const first = partitionAmong(saleId, PARTITIONS);
    const holders = [0, 1, 2, 3].map((k) => owners.get((first + k) % PARTITIONS));
    expect(new Set(holders).size).toBe(4);
  });

  it.each([1, 2, 4])('routes each claim to its shopper’s shard partition, one loaded partition per member (%i shards)', (shards) => {
    const req = request(shards);
    const load = oneSaleOnShardsLoad(req);
    const saleId = load.sales[0]!.saleId;
    const first = partitionAmong(saleId, PARTITIONS);
    for (const { event, partition } of load.claims) {
      expect(event.shard).toBe(shardOf(event.userId, shards));
      expect(partition).toBe((first + event.shard) % PARTITIONS);
    }
    expect(load.sales).toHaveLength(1);
    expect(load.sales[0]).toMatchObject({ stock: 1_200, shards });
    expect(oneLoadedPartitionEach(shards, shares(load, req.owners))).toBe(true);
  });
});

describe('the warm-up', () => {
  it('takes the first claims of each partition, in order, and leaves the rest to be timed', () => {
    const load = kSalesLoad(request(2));
    const { warmup, timed } = splitWarmup(load.claims, 100);
    expect(warmup).toHaveLength(200);
    expect(timed).toHaveLength(1_000);
    for (const partition of new Set(load.claims.map((c) => c.partition))) {
      const all = load.claims.filter((c) => c.partition === partition);
      expect(warmup.filter((c) => c.partition === partition)).toEqual(all.slice(0, 100));
      expect(timed.filter((c) => c.partition === partition)).toEqual(all.slice(100));
    }
  });
});

describe('the layout the bench loads', () => {
  it('is one sale on K shards unless BENCH_SHARD_LAYOUT says sales', () => {
    expect(DECISION_LAYOUTS[decisionLayoutNamed(undefined)]).toBe(oneSaleOnShardsLoad);
    expect(DECISION_LAYOUTS[decisionLayoutNamed('shards')]).toBe(oneSaleOnShardsLoad);
    expect(DECISION_LAYOUTS[decisionLayoutNamed('sales')]).toBe(kSalesLoad);
  });
});
