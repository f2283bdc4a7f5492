// The Redis-only baseline's store: the miaosha-style design, where one Lua script decides a
// claim in the request (refuse a user who holds one, else take a unit if any is left and
// remember the user) and nothing else keeps a record. Keys live under the run's own prefix.
import type { Redis } from '../../platform/redis.js';
import { keyPrefix } from '../../platform/redis.js';

export type RedisOnlyDecision = 'granted' | 'sold_out' | 'duplicate';

// The duplicate check comes first, so a holder's second claim is told `duplicate` even
// once the stock is gone. One unit per user, as in the designs this stands for.
const claimLua = `
if redis.call('SISMEMBER', KEYS[2], ARGV[1]) == 1 then return 'duplicate' end
local left = tonumber(redis.call('GET', KEYS[1]) or '0')
if left <= 0 then return 'sold_out' end
redis.call('DECR', KEYS[1])
redis.call('SADD', KEYS[2], ARGV[1])
return 'granted'`;

type ClaimScript = (stockKey: string, usersKey: string, userId: string) => Promise<string>;

const defined = new WeakSet<Redis>();

export type RedisOnlyStore = {
  /** One EVALSHA: the claim's decision. */
  claim(saleId: string, userId: string): Promise<RedisOnlyDecision>;
  /** Opens (or reopens) a sale: `stock` units and nobody holding one. */
  open(saleId: string, stock: number): Promise<void>;
  /** What a sale holds now: units left and users remembered. */
  count(saleId: string): Promise<{ stockLeft: number; holders: number }>;
};

export function redisOnlyKeys(topicPrefix: string, saleId: string): { stock: string; users: string } {
  const base = `${keyPrefix(topicPrefix)}redis-only:${saleId}`;
  return { stock: `${base}:stock`, users: `${base}:users` };
}

export function createRedisOnlyStore({ redis, topicPrefix }: { redis: Redis; topicPrefix: string }): RedisOnlyStore {
  if (!defined.has(redis)) {
    redis.defineCommand('fsRedisOnlyClaim', { numberOfKeys: 2, lua: claimLua });
    defined.add(redis);
  }
  const claimScript = (redis as unknown as { fsRedisOnlyClaim: ClaimScript }).fsRedisOnlyClaim.bind(redis);
  return {
    async claim(saleId, userId) {
      const keys = redisOnlyKeys(topicPrefix, saleId);
      const decision = await claimScript(keys.stock, keys.users, userId);
      if (decision !== 'granted' && decision !== 'sold_out' && decision !== 'duplicate') {
        throw new Error(`unexpected reply from the Redis-only claim script: ${decision}`);
      }
      return decision;
    },
    async open(saleId, stock) {
      const keys = redisOnlyKeys(topicPrefix, saleId);
      await redis.multi().del(keys.users).set(keys.stock, stock).exec();
    },
    async count(saleId) {
      const keys = redisOnlyKeys(topicPrefix, saleId);
      const [left, holders] = await Promise.all([redis.get(keys.stock), redis.scard(keys.users)]);
      return { stockLeft: Number(left ?? 0), holders };
    },
  };
}
