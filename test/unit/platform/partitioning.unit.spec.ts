// Our partition choice must be kafkajs' (and Java's) for every key: records already on the
// topics were placed by it, and a consumer or a fault suite looks for a key where it put it.
import fc from 'fast-check';
import { Partitioners } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { partitionAmong } from '../../../platform/kafka/partitioning.js';

const kafkajs = Partitioners.DefaultPartitioner();
const metadata = (count: number) =>
  Array.from({ length: count }, (_, partitionId) => ({ partitionId, leader: 0, partitionErrorCode: 0, replicas: [0], isr: [0] }));

describe('partition of a keyed record', () => {
  it("is kafkajs' default partitioner's, for any key and partition count", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.fullUnicodeString(), fc.uuid()), fc.integer({ min: 1, max: 64 }), (key, count) => {
        expect(partitionAmong(key, count)).toBe(kafkajs({ topic: 't', partitionMetadata: metadata(count), message: { key, value: null } }));
      }),
      { numRuns: 5_000 },
    );
  });

  it('places known keys where Kafka does', () => {
    // Byte lengths 0 to 7 cover every tail of the hash (none, 1, 2 and 3 bytes left over).
    for (const key of ['', 'a', 'ab', 'abc', 'abcd', 'abcde', 'sale-1', 'é☃', '5f0c2b8e-3d2a-4f5e-9a7b-1c2d3e4f5a6b'])
      expect(partitionAmong(key, 12)).toBe(kafkajs({ topic: 't', partitionMetadata: metadata(12), message: { key, value: null } }));
  });
});
