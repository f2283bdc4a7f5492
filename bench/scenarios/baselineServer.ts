// A baseline server in the bench: started as its own process beside the system under test,
// warmed up once, then measured in rounds with the same load shape as the claim path.
import path from 'node:path';

import { BENCH_DIR, type BenchContext, runLoad, sutEnv, type MeasuredLoad } from '../context.js';
import { startServer } from '../processes.js';
import { SATURATION_CONNECTIONS } from './claimPath.js';

/** The sale every baseline is claimed on (POST /sales/baseline/claims). */
export const BASELINE_SALE = 'baseline';

export type BaselineServer = { name: string; script: string; args: string[] };

export const CEILING: BaselineServer = { name: 'baseline-ceiling', script: 'ceilingServer.ts', args: ['0'] };

export type Baseline = {
  /** One measured round of `amount` claims (the first call warms the server up first). */
  round(name: string, amount: number): Promise<MeasuredLoad>;
  stop(): Promise<void>;
};

/** `beforeMeasuring`: runs after the warm-up, before each measured round (a baseline's sale reopened, say). */
export async function startBaseline(
  ctx: BenchContext,
  { name, script, args }: BaselineServer,
  claimsFile: string,
  beforeMeasuring?: (amount: number) => Promise<void>,
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
  const common = { baseUrl, path: `/sales/${BASELINE_SALE}/claims`, claimsFile, connections: SATURATION_CONNECTIONS };
  let warm = false;
  return {
    async round(roundName, amount) {
      // A short warm-up, as the system under test had.
      if (!warm) await runLoad(ctx, { ...common, name: `${name}-warmup`, amount: Math.min(4_000, amount) });
      warm = true;
      await beforeMeasuring?.(amount);
      return runLoad(ctx, { ...common, name: roundName, amount });
    },
    stop: () => server.stop(),
  };
}

/** One round of a baseline, alone: started, warmed up, measured, stopped. */
export async function measureAlone(ctx: BenchContext, server: BaselineServer, amount: number, claimsFile: string): Promise<MeasuredLoad> {
  const baseline = await startBaseline(ctx, server, claimsFile);
  try {
    return await baseline.round(server.name, amount);
  } finally {
    await baseline.stop();
  }
}
