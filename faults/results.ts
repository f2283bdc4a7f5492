// faults/results.json and the summary a person reads: per run its seed, nemeses, numbers and
// violations; a violation shows the seed, the schedule and the first offending transaction.
import fs from 'node:fs';
import type { RunResult } from './run.js';

export type Results = { runs: Omit<RunResult, 'historyFile'>[]; violations: number };

export function toResults(runs: readonly RunResult[]): Results {
  return {
    runs: runs.map(({ historyFile: _history, ...r }) => r),
    violations: runs.reduce((n, r) => n + r.violations.length, 0),
  };
}

export function writeResults(file: string, runs: readonly RunResult[]): void {
  fs.writeFileSync(file, `${JSON.stringify(toResults(runs), null, 2)}\n`);
}

/** The runs a results file holds (none if there is no file), for `--append`. */
export function readResults(file: string): RunResult[] {
  if (!fs.existsSync(file)) return [];
  return (JSON.parse(fs.readFileSync(file, 'utf8')) as Results).runs;
}

/** Earlier runs and new ones: a seed run again on the same number of brokers replaces its earlier run. */
export function mergeRuns(earlier: readonly RunResult[], later: readonly RunResult[]): RunResult[] {
  const key = (r: RunResult) => `${r.seed}/${r.brokers}`;
  const replaced = new Set(later.map(key));
  return [...earlier.filter((r) => !replaced.has(key(r))), ...later];
}

/** A run's report: one line when it holds; the seed, its schedule and the first offender when it does not. */
export function describeRun(r: RunResult): string {
  const head =
    `seed ${r.seed} (${r.brokers} broker${r.brokers > 1 ? 's' : ''}${r.shards ? `, ${r.shards} shards` : ''}, ${(r.durationMs / 1000).toFixed(0)} s: ` +
    `${(r.phasesMs.start / 1000).toFixed(0)} start, ${(r.phasesMs.sale / 1000).toFixed(0)} sale, ${(r.phasesMs.check / 1000).toFixed(0)} check): ` +
    `${r.claims} claims, ${r.grants} grants for ${r.stock} units, ${r.webhooks} webhooks, ${r.nemeses.length} nemeses, ` +
    `${r.crashes} role crashes, ${r.unanswered} shoppers unanswered`;
  if (r.violations.length === 0) return `✔ ${head}`;
  const first = r.violations.find((v) => v.transactionId) ?? r.violations[0]!;
  return [
    `✘ ${head}: ${r.violations.length} VIOLATIONS`,
    `  replay it: npm run faults -- --seed ${r.seed} --brokers ${r.brokers}${r.shards ? ` --shards ${r.shards}` : ''}`,
    ...r.nemeses.map((n) => `  nemesis ${n}`),
    `  first offending transaction: ${first.transactionId ?? '(none named)'}: [${first.check}] ${first.says}`,
    ...r.violations.slice(0, 10).map((v) => `  [${v.check}] ${v.transactionId ?? ''} ${v.says}`),
    ...(r.historyFile ? [`  history: ${r.historyFile}`] : []),
  ].join('\n');
}

export function summary(runs: readonly RunResult[]): string {
  const total = runs.reduce((n, r) => n + r.violations.length, 0);
  const mean = runs.length ? runs.reduce((n, r) => n + r.durationMs, 0) / runs.length / 1000 : 0;
  return `${runs.length} runs, ${total} violations, ${runs.filter((r) => r.violations.length > 0).length} runs with violations; a run took ${mean.toFixed(0)} s on average`;
}
