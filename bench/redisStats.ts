// What Redis spent its (single) thread on during a measurement, from INFO commandstats: the
// server is shared, so a neighbour's heavy command shows up here as well as our own.
import type { Redis } from '../platform/redis.js';

type Stats = Map<string, { calls: number; usec: number }>;

export async function redisStats(redis: Redis): Promise<Stats> {
  const stats: Stats = new Map();
  const info = await redis.info('commandstats').catch(() => '');
  for (const line of info.split('\n')) {
    const m = /^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/.exec(line.trim());
    if (m) stats.set(m[1]!, { calls: Number(m[2]), usec: Number(m[3]) });
  }
  return stats;
}

export type RedisUse = { busy: number; top: { command: string; calls: number; ms: number }[] };

/** Share of the wall time Redis spent executing commands, and the commands that took most of it. */
export function redisBetween(before: Stats, after: Stats, seconds: number): RedisUse {
  const rows = [...after].map(([command, a]) => {
    const b = before.get(command) ?? { calls: 0, usec: 0 };
    return { command, calls: a.calls - b.calls, ms: Math.round((a.usec - b.usec) / 1000) };
  });
  const totalMs = rows.reduce((n, r) => n + r.ms, 0);
  return {
    busy: Math.round((totalMs / 1000 / seconds) * 100) / 100,
    top: rows
      .filter((r) => r.ms > 0)
      .sort((x, y) => y.ms - x.ms)
      .slice(0, 5),
  };
}
