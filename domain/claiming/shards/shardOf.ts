// Which shard of a sale decides a shopper's claims, and which units each shard starts with.
// A shopper's shard is fixed for the sale, so their entries, duplicates and per-user limit
// are checked on one shard, locally, as on an unsharded sale.
import { bucketOf, murmur2 as murmur2Bytes } from '../../../schemas/keyHash.js';

/** Kafka's murmur2 of the key's UTF-8 bytes (schemas/keyHash.ts). */
export function murmur2(key: string): number {
  return murmur2Bytes(new TextEncoder().encode(key));
}

/** The shard (0..shards-1) of a shopper: murmur2, made positive as Kafka does, modulo the shard count. */
export function shardOf(userId: string, shards: number): number {
  if (!Number.isInteger(shards) || shards < 1) throw new Error(`a sale has at least one shard, not ${shards}`);
  return bucketOf(murmur2(userId), shards);
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
