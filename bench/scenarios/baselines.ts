// Scenario 5, the baselines, run on the same machine in the same run with the same load:
// (a) the naive route a user would otherwise write (a conditional UPDATE of the stock and
// an order INSERT in PostgreSQL, one transaction per claim), (b) the framework's own
// ceiling (the same express app, body parser and token check, answering 202 at once), and
// (c) the Redis-only route a user who wants no log would pick (one Lua call decides, 201/409
// at once, nothing on Kafka): against it the claim path shows what its log, audit and
// replay cost per claim.
import { createDb } from '../../platform/postgres.js';

import { type BenchContext, medianByRate, type MeasuredLoad } from '../context.js';
import { BASELINE_SALE, CEILING, measureAlone, startBaseline } from './baselineServer.js';
import { measureRedisOnlyAlone, type RedisOnlyResult, startRedisOnly } from './redisOnly.js';

export type BaselinesResult = {
  /** The median round, when measured in rounds alternating with the sold-out storm. */
  ceiling: MeasuredLoad;
  /** Requests per second in each ceiling round, in the order run. */
  ceilingRounds?: number[];
  naive: MeasuredLoad & { stock: number; stockLeft: number; orders: number; violations: string[] };
  /** The median round as `ceiling`; its violations are every round's. */
  redisOnly: RedisOnlyResult;
  redisOnlyRounds?: number[];
};

type Alternated = Pick<BaselinesResult, 'ceiling' | 'ceilingRounds' | 'redisOnly' | 'redisOnlyRounds'>;

const NAIVE_STOCK = 1_000_000;

/**
 * The ceiling and the Redis-only baseline measured between the sold-out storm's rounds, so
 * every side of a ratio shares the machine's ups and downs: storm, ceiling, Redis-only, storm...
 */
export async function startBaselineRounds(ctx: BenchContext, claimsFile: string) {
  const amount = Math.max(2_000, Math.round(20_000 * ctx.scale));
  const ceiling = await startBaseline(ctx, CEILING, claimsFile);
  const redisOnly = await startRedisOnly(ctx, claimsFile);
  const ceilings: MeasuredLoad[] = [];
  const redisOnlys: RedisOnlyResult[] = [];
  return {
    // An arrow, so it can be handed to the storm as is.
    between: async (round: number): Promise<void> => {
      const c = await ceiling.round(`baseline-ceiling-${round}`, amount);
      ctx.say(`baseline (framework ceiling), round ${round}: ${c.rps.toFixed(0)}/s; cores ${JSON.stringify(c.cpu.cores)}`);
      ceilings.push(c);
      const r = await redisOnly.round(`baseline-redis-only-${round}`, amount);
      ctx.say(
        `baseline (Redis only), round ${round}: ${r.rps.toFixed(0)}/s (${JSON.stringify(r.statusCodes)}); cores ${JSON.stringify(r.cpu.cores)}`,
      );
      redisOnlys.push(r);
    },
    measured(): Alternated | undefined {
      if (!ceilings.length || !redisOnlys.length) return undefined;
      return {
        ceiling: medianByRate(ceilings),
        ceilingRounds: ceilings.map((r) => r.rps),
        redisOnly: { ...medianByRate(redisOnlys), violations: redisOnlys.flatMap((r) => r.violations) },
        redisOnlyRounds: redisOnlys.map((r) => r.rps),
      };
    },
    async stop(): Promise<void> {
      await ceiling.stop();
      await redisOnly.stop();
    },
  };
}

async function measureNaive(ctx: BenchContext, amount: number, claimsFile: string): Promise<BaselinesResult['naive']> {
  const schema = `${ctx.schema}_naive`;
  const db = createDb(ctx.config.databaseUrl, schema, 2);
  try {
    await db.query(`create schema if not exists ${schema}`);
    await db.query('create table stock (id text primary key, qty int not null)');
    await db.query('create table orders (transaction_id text, sale_id text, user_id text, quantity int)');
    await db.query('insert into stock (id, qty) values ($1, $2)', [BASELINE_SALE, NAIVE_STOCK]);
    const naiveServer = { name: 'baseline-naive', script: 'naiveServer.ts', args: ['0', schema] };
    const load = await measureAlone(ctx, naiveServer, amount, claimsFile);
    const { rows } = await db.query<{ qty: number; orders: string }>(
      'select (select qty from stock where id = $1) as qty, (select count(*) from orders) as orders',
      [BASELINE_SALE],
    );
    const stockLeft = Number(rows[0]?.qty);
    const orders = Number(rows[0]?.orders);
    const violations = [
      ...(stockLeft < 0 ? [`stock went negative: ${stockLeft}`] : []),
      ...(stockLeft + orders !== NAIVE_STOCK ? [`${orders} orders but stock fell by ${NAIVE_STOCK - stockLeft}`] : []),
      ...((load.statusCodes['201'] ?? 0) > orders ? [`${load.statusCodes['201']} claims answered granted, ${orders} orders`] : []),
    ];
    return { ...load, stock: NAIVE_STOCK, stockLeft, orders, violations };
  } finally {
    await db.end();
  }
}

/** `alternated`: the ceiling and the Redis-only baseline already measured, in rounds alternating with the sold-out storm. */
export async function baselinesScenario(ctx: BenchContext, claimsFile: string, alternated?: Alternated): Promise<BaselinesResult> {
  const amount = Math.max(2_000, Math.round(40_000 * ctx.scale));
  const ceiling = alternated?.ceiling ?? (await measureAlone(ctx, CEILING, amount, claimsFile));
  ctx.say(
    `baseline (framework ceiling): ${ceiling.rps.toFixed(0)}/s (${JSON.stringify(ceiling.statusCodes)}); cores ${JSON.stringify(ceiling.cpu.cores)}`,
  );
  const redisOnly = alternated?.redisOnly ?? (await measureRedisOnlyAlone(ctx, amount, claimsFile));
  ctx.say(
    `baseline (Redis only): ${redisOnly.rps.toFixed(0)}/s (${JSON.stringify(redisOnly.statusCodes)}); cores ${JSON.stringify(redisOnly.cpu.cores)}`,
  );
  const naive = await measureNaive(ctx, Math.max(1_000, Math.round(amount / 2)), claimsFile);
  ctx.say(
    `baseline (naive Postgres): ${naive.rps.toFixed(0)}/s (${JSON.stringify(naive.statusCodes)}); cores ${JSON.stringify(naive.cpu.cores)}`,
  );
  return { ...alternated, ceiling, naive, redisOnly };
}
