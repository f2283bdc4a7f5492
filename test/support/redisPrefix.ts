// Redis helpers for tests that share one server: flush only one prefix's keys, atomically
// (one script, so no writer sees half of them gone), as a Redis restart would.
import type { Redis } from 'ioredis';

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
