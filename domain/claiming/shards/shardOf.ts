// Which shard of a sale decides a shopper's claims, and which units each shard starts with.
// A shopper's shard is fixed for the sale, so their entries, duplicates and per-user limit
// are checked on one shard, locally, as on an unsharded sale.

/**
 * Kafka's murmur2 (the Java client's, and kafkajs' default partitioner's) over the key's UTF-8
 * bytes. The same hash the catalog's partitioning uses, written out here because domain/
 * imports no kafkajs; a unit test holds it to kafkajs' own. 32-bit arithmetic by Math.imul:
 * the 64-bit Long steps of kafkajs only ever keep their low 32 bits.
 */
export function murmur2(key: string): number {
  const data = new TextEncoder().encode(key);
  const m = 0x5bd1e995;
  let h = (0x9747b28c ^ data.length) | 0;
  const whole = data.length - (data.length % 4);
  for (let i = 0; i < whole; i += 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m) ^ k;
  }
  const rest = data.length % 4;
  if (rest === 3) h ^= data[whole + 2]! << 16;
  if (rest >= 2) h ^= data[whole + 1]! << 8;
  if (rest >= 1) h = Math.imul(h ^ data[whole]!, m);
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

/** The shard (0..shards-1) of a shopper: murmur2, made positive as Kafka does, modulo the shard count. */
export function shardOf(userId: string, shards: number): number {
  if (!Number.isInteger(shards) || shards < 1) throw new Error(`a sale has at least one shard, not ${shards}`);
  return (murmur2(userId) & 0x7fffffff) % shards;
}

/**
 * The slot numbers each shard starts with: slot n (1..stock) in shard (n - 1) mod K, so every
 * shard holds stock/K units, give or take one, and a slot's number says nothing of where it is later.
 */
export function initialShardSlots(stock: number, shards: number): number[][] {
  const slots = Array.from({ length: shards }, (): number[] => []);
  for (let n = 1; n <= stock; n++) slots[(n - 1) % shards]!.push(n);
  return slots;
}

/** Below this many free units a shard asks another for some: a tenth of its starting share, at least one. */
export function lowWaterMark(stock: number, shards: number): number {
  return Math.max(1, Math.ceil(stock / (10 * shards))); // integers only: 0.1 × 90 / 3 is 3.0000000000000004 in floats
}
