// Redis helpers for tests that share one server: flush only one prefix's keys, atomically
// (one script, so no writer sees half of them gone), as a Redis restart would.
import { Redis } from 'ioredis';

const flushLua = `
local cursor, n = '0', 0
repeat
  local r = redis.call('SCAN', cursor, 'MATCH', ARGV[1] .. '*', 'COUNT', 1000)
  cursor = r[1]
  for _, key in ipairs(r[2]) do
    redis.call('DEL', key)
    n = n + 1
  end
until cursor == '0'
return n`;

/** Deletes every key starting with `prefix` in one atomic step; returns how many. */
export async function flushPrefix(redis: Redis, prefix: string): Promise<number> {
  return Number(await redis.eval(flushLua, 0, prefix));
}

/** Deletes the store's keys of the given sales and transactions: cleanup without scanning the whole keyspace. */
export async function deleteStoreKeys(
  redis: Redis,
  storePrefix: string,
  saleIds: readonly string[],
  txIds: readonly string[],
): Promise<void> {
  const keys = [
    ...['ready', 'lock', 'pos', 'expiries', 'outbox'].map((k) => `${storePrefix}${k}`),
    ...saleIds.flatMap((s) => ['', ':free', ':holder', ':held', ':live'].map((k) => `${storePrefix}sale:${s}${k}`)),
    ...txIds.map((t) => `${storePrefix}tx:${t}`),
  ];
  for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
}

/** Deletes every key starting with `prefix`, batch by batch (not atomic): cleanup after a test. */
export async function cleanPrefix(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 5000);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
}

/** cleanPrefix on a connection of its own: for after a test system (and its Redis client) has stopped. */
export async function cleanPrefixAt(redisUrl: string, prefix: string): Promise<void> {
  const redis = new Redis(redisUrl);
  try {
    await cleanPrefix(redis, prefix);
  } finally {
    redis.disconnect();
  }
}
