// What a claim costs in CPU under each design: the core time of the processes that serve it
// during the load, per claim answered. The load generator, the bench driver and whatever
// else shares the machine are left out, so a design is charged for its own work only.
import type { CpuUse } from './cpu.js';
import type { BaselinesResult } from './scenarios/baselines.js';

export type ClaimCost = {
  design: string;
  perSec: number;
  /** CPU time per claim, in µs, over every serving process. */
  cpuMicros: number;
  /** The same, process group by process group. */
  byGroup: Record<string, number>;
};

const STACK = ['kafka', 'registry', 'redis', 'postgres'];

/** The claim path: every process of the system under test, and all of the stack it runs on. */
export const servesClaimPath = (group: string): boolean => group.startsWith('sut-') || STACK.includes(group);

export function claimCost(design: string, cpu: CpuUse, perSec: number, serves: (group: string) => boolean): ClaimCost {
  const byGroup: Record<string, number> = {};
  for (const [group, cores] of Object.entries(cpu.cores)) if (serves(group) && perSec > 0) byGroup[group] = (cores / perSec) * 1e6;
  return { design, perSec, cpuMicros: Object.values(byGroup).reduce((a, b) => a + b, 0), byGroup };
}

/** Each design the run measured: the claim path at saturation (per claim accepted), then each baseline (per claim answered). */
export function claimCosts(
  claimPath: { acceptedPerSec: number; load: { cpu: CpuUse } } | undefined,
  baselines: BaselinesResult | undefined,
): ClaimCost[] {
  const costs: ClaimCost[] = [];
  if (claimPath) costs.push(claimCost('1. claim path, saturation', claimPath.load.cpu, claimPath.acceptedPerSec, servesClaimPath));
  if (!baselines) return costs;
  const { redisOnly, naive, ceiling } = baselines;
  costs.push(claimCost('5c. Redis-only baseline', redisOnly.cpu, redisOnly.rps, (g) => g === 'baseline-redis-only' || g === 'redis'));
  costs.push(claimCost('5a. naive Postgres baseline', naive.cpu, naive.rps, (g) => g === 'baseline-naive' || g === 'postgres'));
  costs.push(claimCost('5b. framework ceiling', ceiling.cpu, ceiling.rps, (g) => g === 'baseline-ceiling'));
  return costs;
}

/** The results page's section on what a claim costs. */
export function claimCostLines(costs: readonly ClaimCost[]): string[] {
  if (!costs.length) return [];
  const redisOnly = costs.find((c) => c.design.includes('Redis-only'))?.cpuMicros;
  const us = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '–');
  return [
    '',
    'What a claim costs in CPU, by design: core time of the processes serving it during the load, per claim answered ' +
      '(per claim accepted, 202, on the claim path), leaving out the load generator, the bench driver and anything else on the machine:',
    '',
    '| design | claims per s | CPU per claim (µs) | × Redis-only | by process (µs) |',
    '|---|---:|---:|---:|---|',
    ...costs.map((c) => {
      const groups = Object.entries(c.byGroup)
        .filter(([, v]) => v >= 1)
        .map(([g, v]) => `${g} ${us(v)}`)
        .join(', ');
      const times = redisOnly ? `${(c.cpuMicros / redisOnly).toFixed(2)}×` : '';
      return `| ${c.design} | ${us(c.perSec)} | ${us(c.cpuMicros)} | ${times} | ${groups} |`;
    }),
  ];
}
