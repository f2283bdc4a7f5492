// The partition a keyed record goes to, worked out before the send: the same murmur2 hash
// kafkajs' default partitioner (and Java's) uses, over the catalog's partition count, which
// ensureTopics holds the cluster to. Knowing it lets the publisher send one partition per
// produce request (see publisher.ts) and lets a fault suite find a sale's partition.
import { type TopicName, topicSpec } from '../../schemas/topics.js';

const M = 0x5bd1e995;
const SEED = 0x9747b28c;

/**
 * Kafka's murmur2 of a key's UTF-8 bytes (the Java client's Utils.murmur2), as kafkajs'
 * default partitioner computes it, in 32-bit arithmetic: kafkajs works on 64-bit Longs and
 * keeps the low 32 bits, a dozen Long objects per record (and a filtered copy of the partition
 * list per call) on the publisher's path. The result is the same number (see the unit test).
 */
function murmur2(key: string): number {
  const data = Buffer.from(key);
  const length = data.length;
  let h = SEED ^ length;
  const whole = length - (length % 4);
  for (let i = 0; i < whole; i += 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  // The one to three bytes left over, last first (Java's switch falls through from 3 to 1).
  const left = length - whole;
  if (left > 0) {
    if (left > 2) h ^= data[whole + 2]! << 16;
    if (left > 1) h ^= data[whole + 1]! << 8;
    h = Math.imul(h ^ data[whole]!, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/** The partition kafkajs' default partitioner picks for records keyed `key` among `count` partitions. */
export function partitionAmong(key: string, count: number): number {
  return (murmur2(key) & 0x7fffffff) % count;
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
