// What the bench's scenarios share: the run's names (topic prefix, Postgres schema), its
// own clients on the stack, the system under test's processes, and small helpers to run
// the load generator and schedule sales through the public API.
import path from 'node:path';
import type { Admin } from 'kafkajs';
import { createApiClient, type ApiClient } from '../demo/api.js';
import type { Config } from '../platform/config.js';
import type { Logger } from '../platform/log.js';
import { signUserToken } from '../producers/http/auth.js';
import { createSaleStore, type SaleStore } from '../writeModel/saleStore.js';
import type { Platform } from '../runtime/platform.js';
import type { LoadgenResult } from './loadgen.js';
import { type CpuUse, cpuBetween, snapshot, waitForQuietMachine } from './cpu.js';
import { type Child, childNames, runToEnd, startServer } from './processes.js';
import { redisBetween, redisStats, type RedisUse } from './redisStats.js';

/** How the roles are spread over processes: all in one; the api apart; the api and the decision-maker each apart. */
export const LAYOUTS = {
  single: [['api', 'claims', 'projections', 'reconciliation', 'expiry']],
  split: [['api'], ['claims', 'projections', 'reconciliation', 'expiry']],
  three: [['api'], ['claims'], ['projections', 'reconciliation', 'expiry']],
} as const;

export type Layout = keyof typeof LAYOUTS;

export type BenchContext = {
  stamp: string;
  prefix: string;
  schema: string;
  config: Config;
  log: Logger;
  platform: Platform;
  admin: Admin;
  store: SaleStore;
  workDir: string;
  layout: Layout;
  profile: boolean;
  scale: number;
  say(line: string): void;
};

export const BENCH_DIR = path.dirname(new URL(import.meta.url).pathname);

/** Environment of every process of the system under test: the bench's prefix, limits far above the load. */
export function sutEnv(topicPrefix: string): Record<string, string> {
  return {
    TOPIC_PREFIX: topicPrefix,
    PORT: '0',
    OPS_PORT: '0',
    RATE_LIMIT_USER_PER_SEC: '1000000',
    RATE_LIMIT_OPERATOR_PER_SEC: '1000000',
    RATE_LIMIT_IP_PER_SEC: '100000000',
    LOG_LEVEL: process.env.BENCH_SUT_LOG_LEVEL ?? 'warn',
  };
}

export type Sut = { children: Child[]; baseUrl: string; stop(): Promise<void> };

/** Starts the system under test: every role in one process, or the api apart from the rest. */
export async function startSut(ctx: BenchContext): Promise<Sut> {
  const groups = LAYOUTS[ctx.layout];
  const children: Child[] = [];
  for (const roles of groups) {
    children.push(
      await startServer({
        name: `sut-${roles.join('+')}`,
        script: path.join(BENCH_DIR, 'sut.ts'),
        arg: { roles, dbSchema: ctx.schema },
        env: sutEnv(ctx.prefix),
        logDir: ctx.workDir,
        nodeFlags: ctx.profile ? ['--cpu-prof', `--cpu-prof-dir=${path.join(ctx.workDir, 'profiles')}`] : [],
      }),
    );
  }
  const port = children.map((c) => c.hello.port).find((p) => typeof p === 'number');
  if (typeof port !== 'number') throw new Error('the system under test printed no port');
  // As a load balancer would: no traffic before /readyz says so (the Redis store is built
  // from the topics first; until then the sale routes answer 503).
  const readyBy = Date.now() + 120_000;
  for (;;) {
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    if (Date.now() > readyBy) throw new Error('the system under test was not ready within 120 s (GET /readyz)');
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    children,
    baseUrl: `http://127.0.0.1:${port}`,
    async stop() {
      for (const c of children.reverse()) await c.stop();
    },
  };
}

export type LoadOptions = {
  name: string;
  baseUrl: string;
  path: string;
  claimsFile: string;
  connections: number;
  amount: number;
  overallRate?: number;
  phases?: number;
  sendTimesFile?: string;
};

/** `neighboursBefore`: cores other processes used in the second before the load started (after waiting up to 30 s for them to calm down). */
export type MeasuredLoad = LoadgenResult & { cpu: CpuUse; redis: RedisUse; neighboursBefore: number };

/** Runs the load generator to its end; notes the cores each process group used meanwhile. */
export async function runLoad(ctx: BenchContext, opts: LoadOptions): Promise<MeasuredLoad> {
  const { name, baseUrl, ...rest } = opts;
  const neighbours = await waitForQuietMachine(childNames, 30_000);
  const before = snapshot(childNames());
  const redisBefore = await redisStats(ctx.platform.redis);
  const result = await runToEnd<LoadgenResult>({
    name: `loadgen-${name}`,
    script: path.join(BENCH_DIR, 'loadgen.ts'),
    arg: { url: baseUrl, ...rest, maxSeconds: 120 },
    logDir: ctx.workDir,
    timeoutMs: 180_000,
  });
  const cpu = cpuBetween(before, snapshot(childNames()));
  const redis = redisBetween(redisBefore, await redisStats(ctx.platform.redis), cpu.seconds);
  // The load generator has exited: it reports its own use, which `other` then no longer holds.
  cpu.cores['load generator'] = result.cores;
  cpu.cores.other = Math.max(0, Math.round(((cpu.cores.other ?? 0) - result.cores) * 100) / 100);
  return { ...result, cpu, redis, neighboursBefore: neighbours };
}

/** The round with the median rate (the lower middle one for an even count). */
export function medianByRate<T extends MeasuredLoad>(rounds: readonly T[]): T {
  const sorted = [...rounds].sort((a, b) => a.rps - b.rps);
  const median = sorted[Math.floor((sorted.length - 1) / 2)];
  if (!median) throw new Error('no rounds to take a median of');
  return median;
}

export type SaleTerms = { saleId: string; stock: number; perUserLimit: number };

/** A product and sales through the operators' API, as an operator would schedule them; challenge "none". */
export async function createSales(ctx: BenchContext, baseUrl: string, sales: SaleTerms[]): Promise<ApiClient> {
  const api = createApiClient(baseUrl);
  const op = await signUserToken(ctx.config, 'bench-operator', { operator: true });
  const productId = `bench-${ctx.stamp}`;
  const put = await api.putProduct(op, productId, { name: 'Bench sneaker', partnerId: 'demo-pay', priceMinor: 9_900, currency: 'EUR' });
  if (put.status >= 300) throw new Error(`PUT /products answered ${put.status}: ${JSON.stringify(put.body)}`);
  const now = Date.now();
  for (const s of sales) {
    const res = await api.scheduleSale(op, {
      saleId: s.saleId,
      productId,
      stock: s.stock,
      startsAt: new Date(now - 1_000).toISOString(),
      endsAt: new Date(now + 4 * 3600_000).toISOString(),
      perUserLimit: s.perUserLimit,
      // Longer than the bench: no reservation lapses while it runs.
      reservationSeconds: 4 * 3600,
      challenge: 'none',
    });
    if (res.status !== 201) throw new Error(`POST /sales ${s.saleId} answered ${res.status}: ${JSON.stringify(res.body)}`);
  }
  return api;
}

export function benchStore(platform: Platform): SaleStore {
  return createSaleStore({ redis: platform.redis, topicPrefix: platform.config.topicPrefix });
}
