// `npm run faults -- --runs N [--seed S] [--first-seed S] [--brokers 1|3] [--shards K] [--quick]
// [--append] [--plant-bug NAME]`: seeded runs under nemeses on the suite's own parts, each
// checked; writes faults/results.json (results-shards.json for a sharded sale) and a summary.
// Exits non-zero when any run has a violation.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError, Option } from 'commander';
import cliProgress from 'cli-progress';
import { startEnvironment } from './environment.js';
import { plantBug, PLANTABLE_BUGS, type PlantableBug } from './plantBug.js';
import { describeRun, mergeRuns, readResults, summary, writeResults } from './results.js';
import { DEFAULT_SETTINGS, QUICK_SETTINGS, runOnce, type RunResult } from './run.js';

const here = path.dirname(fileURLToPath(import.meta.url));

function whole(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`expected a whole number, got ${value}`);
  return n;
}

type Options = {
  runs: number;
  seed?: number;
  brokers: '1' | '3';
  plantBug?: PlantableBug;
  firstSeed: number;
  quick?: boolean;
  append?: boolean;
  shards: number;
};

async function main(opts: Options): Promise<number> {
  const seeds = opts.seed === undefined ? Array.from({ length: opts.runs }, (_, i) => opts.firstSeed + i) : [opts.seed];
  const env = await startEnvironment({ brokers: opts.brokers === '3' ? 3 : 1 });
  const planted = opts.plantBug ? plantBug(opts.plantBug) : undefined;
  const bar = new cliProgress.SingleBar(
    { format: 'runs [{bar}] {value}/{total} | violations {violations}' },
    cliProgress.Presets.shades_classic,
  );
  const results: RunResult[] = [];
  const file = path.join(here, `results${planted ? `-${opts.plantBug}` : ''}${opts.shards > 1 ? '-shards' : ''}.json`);
  const earlier = opts.append ? readResults(file) : [];
  const settings = { ...(opts.quick ? QUICK_SETTINGS : DEFAULT_SETTINGS), shards: opts.shards };
  try {
    bar.start(seeds.length, 0, { violations: 0 });
    for (const seed of seeds) {
      const r = await runOnce({ seed, env, settings, runsDir: path.join(here, 'runs'), ...(planted ? { from: planted.root } : {}) });
      results.push(r);
      bar.increment(1, { violations: results.reduce((n, x) => n + x.violations.length, 0) });
      bar.stop();
      console.log(describeRun(r));
      if (results.length < seeds.length)
        bar.start(seeds.length, results.length, { violations: results.reduce((n, x) => n + x.violations.length, 0) });
      writeResults(file, mergeRuns(earlier, results));
    }
  } finally {
    bar.stop();
    planted?.remove();
    await env.stop();
  }
  console.log(summary(results));
  if (opts.append) console.log(`in ${path.relative(process.cwd(), file)}: ${summary(mergeRuns(earlier, results))}`);
  return results.some((r) => r.violations.length > 0) ? 1 : 0;
}

const program = new Command('faults')
  .description(
    'seeded runs of a flash sale under nemeses (kills, pauses, outages, proxy faults, a wrong clock), each checked against the promise',
  )
  .option('--runs <n>', 'how many seeded runs', whole, 3)
  .option('--seed <s>', 'replay exactly this seed', whole)
  .option('--first-seed <s>', 'the seed of the first run (then +1 each)', whole, 1)
  .addOption(new Option('--brokers <n>', 'Kafka nodes').choices(['1', '3']).default('1'))
  .option('--shards <k>', "the sale's shards (1 to 6); above one, a second decision-maker shares them", whole, 1)
  .option('--quick', 'a short sale: 120 shoppers for 15 units over 14 s, reservations of 8 s')
  .option('--append', 'keep the runs already in the results file (a seed run again replaces its earlier run)')
  .addOption(new Option('--plant-bug <name>', 'run the system from a copy of the source with this bug planted').choices(PLANTABLE_BUGS))
  .action(async (opts: Options) => {
    process.exitCode = await main(opts);
    // Kafka clients and timers of the runs may linger; the results are written.
    process.exit();
  });

await program.parseAsync();
