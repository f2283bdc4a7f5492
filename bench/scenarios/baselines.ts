// Scenario 5, the baselines, run on the same machine in the same run with the same load:
// (a) the naive route a user would otherwise write (a conditional UPDATE of the stock and
// an order INSERT in PostgreSQL, one transaction per claim), and (b) the framework's own
// ceiling (the same express app, body parser and token check, answering 202 at once).
import path from 'node:path';
import { createDb } from '../../platform/postgres.js';

import { BENCH_DIR, type BenchContext, runLoad, sutEnv, type MeasuredLoad } from '../context.js';
import { startServer } from '../processes.js';
import { SATURATION_CONNECTIONS } from './claimPath.js';

export type BaselinesResult = {
  /** The median round, when measured in rounds alternating with the sold-out storm. */
  ceiling: MeasuredLoad;
  /** Requests per second in each ceiling round, in the order run. */
  ceilingRounds?: number[];
  naive: MeasuredLoad & { stock: number; stockLeft: number; orders: number; violations: string[] };
};

const NAIVE_SALE = 'naive';
const NAIVE_STOCK = 1_000_000;

export type Baseline = {
  /** One measured round of `amount` claims (the first call warms the server up first). */
  round(name: string, amount: number): Promise<MeasuredLoad>;
  stop(): Promise<void>;
};

export const CEILING = { name: 'baseline-ceiling', script: 'ceilingServer.ts', args: ['0'] };

export async function startBaseline(
  ctx: BenchContext,
  { name, script, args }: { name: string; script: string; args: string[] },
  claimsFile: string,
): Promise<Baseline> {
  const server = await startServer({
    name,
    script: path.join(BENCH_DIR, 'baselines', script),
    args,
    env: sutEnv(ctx.prefix),
    logDir: ctx.workDir,
    nodeFlags: ctx.profile ? ['--cpu-prof', `--cpu-prof-dir=${path.join(ctx.workDir, 'profiles')}`] : [],
  });
  const baseUrl = `http://127.0.0.1:${String(server.hello.port)}`;
  const common = { baseUrl, path: `/sales/${NAIVE_SALE}/claims`, claimsFile, connections: SATURATION_CONNECTIONS };
  let warm = false;
  return {
    async round(roundName, amount) {
      // A short warm-up, as the system under test had.
      if (!warm) await runLoad(ctx, { ...common, name: `${name}-warmup`, amount: Math.min(4_000, amount) });
      warm = true;
      return runLoad(ctx, { ...common, name: roundName, amount });
    },
    stop: () => server.stop(),
  };
}

async function measure(ctx: BenchContext, server: { name: string; script: string; args: string[] }, amount: number, claimsFile: string) {
  const baseline = await startBaseline(ctx, server, claimsFile);
  try {
    return await baseline.round(server.name, amount);
  } finally {
    await baseline.stop();
  }
}

/** `measuredCeiling`: the ceiling already measured, in rounds alternating with the sold-out storm. */
export async function baselinesScenario(ctx: BenchContext, claimsFile: string, measuredCeiling?: MeasuredLoad): Promise<BaselinesResult> {
  const amount = Math.max(2_000, Math.round(40_000 * ctx.scale));
  const ceiling = measuredCeiling ?? (await measure(ctx, CEILING, amount, claimsFile));
  ctx.say(
    `baseline (framework ceiling): ${ceiling.rps.toFixed(0)}/s (${JSON.stringify(ceiling.statusCodes)}); cores ${JSON.stringify(ceiling.cpu.cores)}`,
  );

  const schema = `${ctx.schema}_naive`;
  const db = createDb(ctx.config.databaseUrl, schema, 2);
  try {
    await db.query(`create schema if not exists ${schema}`);
    await db.query('create table stock (id text primary key, qty int not null)');
    await db.query('create table orders (transaction_id text, sale_id text, user_id text, quantity int)');
    await db.query('insert into stock (id, qty) values ($1, $2)', [NAIVE_SALE, NAIVE_STOCK]);
    const naiveAmount = Math.max(1_000, Math.round(amount / 2));
    const load = await measure(ctx, { name: 'baseline-naive', script: 'naiveServer.ts', args: ['0', schema] }, naiveAmount, claimsFile);
    const { rows } = await db.query<{ qty: number; orders: string }>(
      'select (select qty from stock where id = $1) as qty, (select count(*) from orders) as orders',
      [NAIVE_SALE],
    );
    const stockLeft = Number(rows[0]?.qty);
    const orders = Number(rows[0]?.orders);
    const violations = [
      ...(stockLeft < 0 ? [`stock went negative: ${stockLeft}`] : []),
      ...(stockLeft + orders !== NAIVE_STOCK ? [`${orders} orders but stock fell by ${NAIVE_STOCK - stockLeft}`] : []),
      ...((load.statusCodes['201'] ?? 0) > orders ? [`${load.statusCodes['201']} claims answered granted, ${orders} orders`] : []),
    ];
    ctx.say(
      `baseline (naive Postgres): ${load.rps.toFixed(0)}/s (${JSON.stringify(load.statusCodes)}); cores ${JSON.stringify(load.cpu.cores)}`,
    );
    return { ceiling, naive: { ...load, stock: NAIVE_STOCK, stockLeft, orders, violations } };
  } finally {
    await db.end();
  }
}
