// Scenario 1, the claim path over HTTP: a sale with plenty of stock and a crowd of users
// (two transactions each, limit one: the second is refused as a duplicate) claiming through
// POST /sales/:saleId/claims. Once at saturation, then at fixed offered rates with each
// request's send time kept for the claim-to-decision latency.
import path from 'node:path';

import { type BenchContext, createSales, runLoad, type Sut, type MeasuredLoad } from '../context.js';
import { prepareClaims } from '../prepare.js';
import { waitForQuiet } from '../quiet.js';

export type ClaimRun = {
  name: string;
  saleId: string;
  offeredRate?: number;
  claims: number;
  connections: number;
  load: MeasuredLoad;
  sendTimesFile: string;
  /** From the load's end until every consumer had caught up (decisions, projections). */
  drainMs: number;
};

type Plan = { name: string; claims: number; connections: number; rate?: number };

/**
 * Connections of every saturation run (claim path, sold-out storm, both baselines). Each waits
 * for its answer before sending again, so a system that answers slowly but in bulk (the claim
 * path gathers concurrent claims into shared produce requests) needs many in flight to show
 * its rate; the baselines get the same number.
 */
export const SATURATION_CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 400);

/** The runs, in order, with their claims scaled by the bench's scale (never below 200). */
function plansFor(scale: number, rates: number[]): Plan[] {
  const n = (x: number) => Math.max(200, Math.round(x * scale));
  return [
    // Warms the JIT (Node's and the broker's: a Kafka started a minute before took twice the
    // CPU per claim over the next run) and the connections; not reported as a figure.
    { name: 'warmup', claims: n(16_000), connections: SATURATION_CONNECTIONS },
    { name: 'saturation', claims: n(40_000), connections: SATURATION_CONNECTIONS },
    // ~8 s at each rate. Each connection waits for its answer before the next request, so
    // there are enough of them (one per 10/s) that a 100 ms answer does not hold the rate back.
    ...rates.map((rate) => ({ name: `rate-${rate}`, claims: n(rate * 8), connections: Math.max(25, Math.ceil(rate / 10)), rate })),
  ];
}

export async function claimPathScenario(ctx: BenchContext, sut: Sut, rates: number[]): Promise<{ runs: ClaimRun[]; claimsFile: string }> {
  const plans = plansFor(ctx.scale, rates);
  const saleOf = (p: Plan) => `bench-${ctx.stamp}-${p.name}`;
  ctx.say(`claim path: scheduling ${plans.length} sales and preparing ${plans.reduce((s, p) => s + p.claims, 0)} entered transactions`);
  await createSales(
    ctx,
    sut.baseUrl,
    plans.map((p) => ({ saleId: saleOf(p), stock: p.claims, perUserLimit: 1 })),
  );
  const files = new Map<string, string>();
  for (const p of plans) {
    const file = path.join(ctx.workDir, `claims-${p.name}.json`);
    await prepareClaims({
      publisher: ctx.platform.publisher,
      store: ctx.store,
      identity: ctx.config,
      saleId: saleOf(p),
      users: Math.ceil(p.claims / 2),
      transactionsPerUser: 2,
      file,
    });
    files.set(p.name, file);
  }
  const settled = await waitForQuiet(ctx.admin, ctx.prefix, { timeoutMs: 300_000, expectGroups: 3 });
  ctx.say(`claim path: entries prepared and projected (${(settled / 1000).toFixed(1)} s to settle)`);

  const runs: ClaimRun[] = [];
  for (const p of plans) {
    const sendTimesFile = path.join(ctx.workDir, `sent-${p.name}.json`);
    const load = await runLoad(ctx, {
      name: p.name,
      baseUrl: sut.baseUrl,
      path: `/sales/${saleOf(p)}/claims`,
      claimsFile: files.get(p.name)!,
      connections: p.connections,
      amount: p.claims,
      ...(p.rate ? { overallRate: p.rate, phases: 25 } : {}),
      sendTimesFile,
    });
    const drainMs = await waitForQuiet(ctx.admin, ctx.prefix, { timeoutMs: 300_000, expectGroups: 3 });
    ctx.say(
      `claim path ${p.name}: ${load.requests} requests in ${load.durationSeconds.toFixed(1)} s = ${load.rps.toFixed(0)}/s ` +
        `(${JSON.stringify(load.statusCodes)}), edge p99 ${load.latencyMs.p99.toFixed(1)} ms, drained ${drainMs} ms later; ` +
        `cores ${JSON.stringify(load.cpu.cores)}; Redis busy ${load.redis.busy} (${load.redis.top.map((t) => `${t.command} ${t.ms} ms`).join(', ')})`,
    );
    runs.push({
      name: p.name,
      saleId: saleOf(p),
      ...(p.rate ? { offeredRate: p.rate } : {}),
      claims: p.claims,
      connections: p.connections,
      load,
      sendTimesFile,
      drainMs,
    });
  }
  return { runs, claimsFile: files.get('saturation')! };
}
