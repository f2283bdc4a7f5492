// Kafka's murmur2 (the Java client's Utils.murmur2, and kafkajs' default partitioner's) over a
// key's UTF-8 bytes: how a keyed record finds its partition (platform/kafka/partitioning.ts)
// and a shopper their shard (domain/claiming/shards/shardOf.ts). Here, beside the catalog's
// keys, so both use one implementation; the caller encodes the key (Buffer.from on the
// publisher's hot path, TextEncoder in the pure domain). Unit tests hold it to kafkajs' own
// and to the Java client's test vectors.

const M = 0x5bd1e995;
const SEED = 0x9747b28c;

/**
 * In 32-bit arithmetic by Math.imul: kafkajs works on 64-bit Longs and keeps the low 32 bits,
 * a dozen Long objects per record; the result is the same number.
 */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  let h = (SEED ^ length) | 0;
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

/** Which of `count` buckets a key's hash falls in: made positive as Kafka does, modulo the count. */
export function bucketOf(hash: number, count: number): number {
  return (hash & 0x7fffffff) % count;
}
