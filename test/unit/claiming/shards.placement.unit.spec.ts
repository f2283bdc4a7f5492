// Where a shopper's claims and a sale's units start when the sale is split into shards.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { initialShardSlots, lowWaterMark, murmur2, shardOf } from '../../../domain/claiming/shards/shardOf.js';
import { partitionAmong } from '../../../platform/kafka/partitioning.js';

describe("a shopper's shard", () => {
  it("hashes as Kafka's murmur2 does (the Java client's own test vectors)", () => {
    expect(murmur2('21')).toBe(-973932308);
    expect(murmur2('foobar')).toBe(-790332482);
    expect(murmur2('a-little-bit-long-string')).toBe(-985981536);
    expect(murmur2('a-little-bit-longer-string')).toBe(-1486304829);
    expect(murmur2('lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8')).toBe(-58897971);
    expect(murmur2('abc')).toBe(479470107);
  });

  it('is the partition kafkajs would give the user id as a key, among as many partitions as shards', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.fullUnicodeString(), fc.uuid()), fc.integer({ min: 1, max: 12 }), (userId, shards) => {
        expect(shardOf(userId, shards)).toBe(partitionAmong(userId, shards));
      }),
      { numRuns: 2_000 },
    );
  });

  it('spreads shoppers evenly over the shards', () => {
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 20_000; i++) counts[shardOf(`u-${i}`, 4)]! += 1;
    for (const c of counts) expect(Math.abs(c - 5_000)).toBeLessThan(500);
  });

  it('is shard 0 on a sale of one shard, and no sale has fewer', () => {
    expect(shardOf('anyone', 1)).toBe(0);
    expect(() => shardOf('anyone', 0)).toThrow('at least one shard');
  });
});

describe("a shard's starting units", () => {
  it('puts slot n on shard (n - 1) mod K', () => {
    expect(initialShardSlots(7, 3)).toEqual([
      [1, 4, 7],
      [2, 5],
      [3, 6],
    ]);
    expect(initialShardSlots(2, 4)).toEqual([[1], [2], [], []]);
  });

  it('gives every shard its share of the stock, give or take one, and every slot to one shard', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 500 }), fc.integer({ min: 1, max: 16 }), (stock, shards) => {
        const slots = initialShardSlots(stock, shards);
        expect(slots).toHaveLength(shards);
        for (const own of slots) expect(Math.abs(own.length - stock / shards)).toBeLessThan(1);
        expect(slots.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: stock }, (_, i) => i + 1));
      }),
    );
  });

  it('asks for units below a tenth of its starting share, and at the latest when dry', () => {
    expect(lowWaterMark(1_000, 4)).toBe(25);
    expect(lowWaterMark(101, 4)).toBe(3);
    expect(lowWaterMark(5, 2)).toBe(1);
  });
});
