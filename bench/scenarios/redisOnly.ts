// The Redis-only baseline in the bench: its sale reopened before each measured round with
// half the round's claims as stock, so half are granted and half refused, as on the claim
// path's sale (each user's second claim refused there); its invariants checked after each.
import { type RedisOnlyRound, redisOnlyViolations } from '../baselines/redisOnlyCheck.js';
import { createRedisOnlyStore } from '../baselines/redisOnlyStore.js';
import type { BenchContext, MeasuredLoad } from '../context.js';
import { BASELINE_SALE, type BaselineServer, startBaseline } from './baselineServer.js';

export const REDIS_ONLY: BaselineServer = { name: 'baseline-redis-only', script: 'redisOnlyServer.ts', args: ['0'] };

export type RedisOnlyResult = MeasuredLoad & RedisOnlyRound & { violations: string[] };

export type RedisOnlyBaseline = {
  round(name: string, amount: number): Promise<RedisOnlyResult>;
  stop(): Promise<void>;
};

export async function startRedisOnly(ctx: BenchContext, claimsFile: string): Promise<RedisOnlyBaseline> {
  const store = createRedisOnlyStore({ redis: ctx.platform.redis, topicPrefix: ctx.prefix });
  let stock = 0;
  const baseline = await startBaseline(ctx, REDIS_ONLY, claimsFile, async (amount) => {
    stock = Math.floor(amount / 2);
    await store.open(BASELINE_SALE, stock);
  });
  return {
    async round(name, amount) {
      const load = await baseline.round(name, amount);
      const { stockLeft, holders } = await store.count(BASELINE_SALE);
      const round: RedisOnlyRound = { stock, stockLeft, holders, answeredGranted: load.statusCodes['201'] ?? 0 };
      return { ...load, ...round, violations: redisOnlyViolations(round) };
    },
    stop: () => baseline.stop(),
  };
}

/** One round of the Redis-only baseline, alone. */
export async function measureRedisOnlyAlone(ctx: BenchContext, amount: number, claimsFile: string): Promise<RedisOnlyResult> {
  const baseline = await startRedisOnly(ctx, claimsFile);
  try {
    return await baseline.round(REDIS_ONLY.name, amount);
  } finally {
    await baseline.stop();
  }
}
