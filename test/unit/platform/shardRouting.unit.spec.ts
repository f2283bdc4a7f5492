// Where a sharded sale's claims go: the sale's own claims partition plus the shopper's shard,
// so a sale of K shards is on K distinct partitions; every other record stays on its key's.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { shardOf } from '../../../domain/claiming/shards/shardOf.js';
import { partitionAmong, partitionOf } from '../../../platform/kafka/partitioning.js';
import { shardOffsetOf, topicSpec } from '../../../schemas/topics.js';
import { sampleEvents } from '../../support/sampleEvents.js';

const P = topicSpec('claims').partitions;

describe('a sharded sale on the claims topic', () => {
  it("puts shard k on the sale's partition plus k, wrapping round", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.integer({ min: 0, max: 3 * P }), (saleId, shard) => {
        expect(partitionOf('claims', saleId, shard)).toBe((partitionAmong(saleId, P) + shard) % P);
      }),
    );
    expect(partitionOf('claims', 'sale-1')).toBe(partitionAmong('sale-1', P));
  });

  it('spreads the K shards of a sale over K distinct partitions, for every K up to the partitions', () => {
    for (let shards = 1; shards <= P; shards++) {
      const partitions = new Set(Array.from({ length: shards }, (_, k) => partitionOf('claims', 'hot-sale', k)));
      expect(partitions.size).toBe(shards);
    }
  });

  it('routes a claim, and a claim handed on, by its shard, and every other event by its key alone', () => {
    const events = sampleEvents('sale-1');
    expect(shardOffsetOf({ ...events.ClaimRequested, shard: 2 })).toBe(2);
    expect(shardOffsetOf({ ...events.ClaimForwarded, shard: 3 })).toBe(3);
    for (const e of Object.values(events)) if (e.type !== 'ClaimRequested' && e.type !== 'ClaimForwarded') expect(shardOffsetOf(e)).toBe(0);
  });

  it("keeps each shopper on one shard's partition, and the shoppers of a sale on all of its shards' partitions", () => {
    const shards = 3;
    const used = new Set<number>();
    for (let i = 0; i < 300; i++) {
      const userId = `u-${i}`;
      const partition = partitionOf('claims', 'hot-sale', shardOf(userId, shards));
      expect(partitionOf('claims', 'hot-sale', shardOf(userId, shards))).toBe(partition);
      used.add(partition);
    }
    expect([...used].sort()).toEqual([0, 1, 2].map((k) => partitionOf('claims', 'hot-sale', k)).sort());
  });
});
