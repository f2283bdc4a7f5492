// The partition a keyed record goes to, worked out before the send: the same murmur2 hash
// (schemas/keyHash.ts) kafkajs' default partitioner (and Java's) uses, over the catalog's
// partition count, which ensureTopics holds the cluster to. Knowing it lets the publisher send one partition per
// produce request (see publisher.ts) and lets a fault suite find a sale's partition.
import { bucketOf, murmur2 } from '../../schemas/keyHash.js';
import { type TopicName, topicSpec } from '../../schemas/topics.js';

/** The partition kafkajs' default partitioner picks for records keyed `key` among `count` partitions. */
export function partitionAmong(key: string, count: number): number {
  return bucketOf(murmur2(Buffer.from(key)), count);
}

/**
 * The partition of catalog topic `name` that records keyed `key` go to, moved on by `shard`
 * partitions for a sharded sale's claims (schemas/topics.ts shardOffsetOf). A shard outside
 * 0..partitions-1 wraps round, so a record always has a partition.
 */
export function partitionOf(name: TopicName, key: string, shard = 0): number {
  const count = topicSpec(name).partitions;
  return (((partitionAmong(key, count) + shard) % count) + count) % count;
}
