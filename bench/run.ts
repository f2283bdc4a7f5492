// `npm run bench`: brings up the system under test on the running stack, runs every scenario
// against it and the three baselines, checks the invariants over what the topics hold, and
// writes bench/results.json and bench/results.md. Exits non-zero if an invariant broke.
//
// Knobs (environment): BENCH_LAYOUT=split|single|three (the api apart from the other roles, the default:
// the fastest on two cores; every role in one process; the api and the decision-maker each apart),
// BENCH_SCALE (multiplies every count; 1 takes ~6-8 minutes), BENCH_RATES (offered claim
// rates, default 1000,2000,5000), BENCH_ONLY (comma list of claims,soldout,replay,decide,
// shards,baselines; a partial run writes its results under its work directory), BENCH_PROFILE=1
// (--cpu-prof on every server process), BENCH_KEEP=1 (keep topics, keys, schemas, files),
// BENCH_SHARD_LAYOUT=shards|sales (the decision stage on K shards: one sale on K shards, the
// default, or K sales of one shard each).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { keyPrefix } from '../platform/redis.js';
import { topicName, topics } from '../schemas/topics.js';
import { BENCH_DIR, type Layout, LAYOUTS, startSut, type Sut } from './context.js';
import { openBenchSession } from './session.js';
import { killAll } from './processes.js';
import { type BenchResults, capacityOf, claimPathCost, type ClaimRunReport, evaluateTargets, markdown } from './report.js';
import { decisionLatency, scanSales } from './salesScan.js';
import { baselinesScenario, startBaselineRounds } from './scenarios/baselines.js';
import { claimPathScenario } from './scenarios/claimPath.js';
import { decisionConsumerScenario } from './scenarios/decisionConsumer.js';
import { decisionShardsScenario, SHARD_COUNTS, shardsTopicPrefix } from './scenarios/decisionShards.js';
import { replayScenario } from './scenarios/replay.js';
import { soldOutScenario } from './scenarios/soldOut.js';

type Scenario = 'claims' | 'soldout' | 'replay' | 'decide' | 'shards' | 'baselines';
const only = process.env.BENCH_ONLY ? new Set(process.env.BENCH_ONLY.split(',').map((s) => s.trim())) : undefined;
const wanted = (s: Scenario) => !only || only.has(s);
const layout: Layout = (Object.keys(LAYOUTS) as Layout[]).find((l) => l === process.env.BENCH_LAYOUT) ?? 'split';
const scale = Number(process.env.BENCH_SCALE ?? '1');
const rates = (process.env.BENCH_RATES ?? '1000,2000,5000').split(',').filter(Boolean).map(Number);
const keep = process.env.BENCH_KEEP === '1';
const SUT_GROUPS = 5; // claims, inventory, transactions, reconciliation, settlement

const started = new Date();
const { ctx, pg } = await openBenchSession('bench', { layout, profile: process.env.BENCH_PROFILE === '1', scale, started });
const { prefix, schema, workDir, platform, admin } = ctx;
const say = (line: string) => ctx.say(line);
say(`bench ${prefix}: Postgres schema ${schema}, work files in ${workDir}, layout ${layout}, scale ${scale}`);

/** Clean-up of one run prefix: its topics and its Redis keys. */
async function dropTopicsAndKeys(p: string): Promise<void> {
  const names = topics.map((t) => topicName(p, t.name));
  const existing = new Set(await admin.listTopics());
  await admin.deleteTopics({ topics: names.filter((n) => existing.has(n)) }).catch(() => undefined);
  const stream = platform.redis.scanStream({ match: `${keyPrefix(p)}*`, count: 1000 });
  for await (const keys of stream) if ((keys as string[]).length) await platform.redis.unlink(...(keys as string[]));
}

const scenarios: BenchResults['scenarios'] = {};
let sut: Sut | undefined;
let exitCode = 0;
try {
  let claimRuns: Awaited<ReturnType<typeof claimPathScenario>> | undefined;
  let baselineRounds: Awaited<ReturnType<typeof startBaselineRounds>> | undefined;
  if (wanted('claims') || wanted('soldout') || wanted('baselines')) {
    say(`starting the system under test: ${LAYOUTS[layout].map((roles) => roles.join('+')).join(' | ')}`);
    sut = await startSut(ctx);
    if (wanted('claims') || wanted('baselines')) claimRuns = await claimPathScenario(ctx, sut, rates);
    if (wanted('soldout')) {
      // With the baselines in the run, the framework ceiling and the Redis-only baseline are
      // measured in rounds alternating with the sold-out storm's, each figure the median of its rounds.
      baselineRounds = wanted('baselines') && claimRuns ? await startBaselineRounds(ctx, claimRuns.claimsFile) : undefined;
      try {
        scenarios.soldOut = await soldOutScenario(ctx, sut, SUT_GROUPS, baselineRounds?.between);
      } finally {
        await baselineRounds?.stop();
      }
    }
    await sut.stop();
    sut = undefined;
  }
  if (wanted('replay')) scenarios.replay = await replayScenario(ctx);
  if (wanted('decide')) scenarios.decisionConsumer = await decisionConsumerScenario(ctx);
  if (wanted('shards')) scenarios.decisionShards = await decisionShardsScenario(ctx);
  if (wanted('baselines') && claimRuns)
    scenarios.baselines = await baselinesScenario(ctx, claimRuns.claimsFile, baselineRounds?.measured());

  say('checking the invariants over the sales topic');
  const scan = await scanSales({ kafka: platform.kafka, codec: platform.codec, topicPrefix: prefix });
  if (claimRuns && wanted('claims')) {
    scenarios.claimPath = claimRuns.runs.map((run): ClaimRunReport => {
      const sentAt = JSON.parse(fs.readFileSync(run.sendTimesFile, 'utf8')) as Record<string, number>;
      return {
        ...run,
        // At a fixed rate, over the sending window (autocannon's staggered phases start and end
        // apart); at saturation, the steady middle of the run (loadgen.ts).
        acceptedPerSec: run.offeredRate
          ? ((run.load.statusCodes['202'] ?? 0) / Math.max(1, run.load.requests)) * run.load.sendRate
          : ((run.load.statusCodes['202'] ?? 0) / Math.max(1, run.load.requests)) * run.load.rps,
        decisionLatencyMs: decisionLatency(sentAt, scan.decidedAt.get(run.saleId)),
      };
    });
  }
  const sales = [...(claimRuns?.runs.map((r) => r.saleId) ?? []), ...(scenarios.soldOut ? [scenarios.soldOut.saleId] : [])]
    .map((id) => scan.check.tally(id))
    .filter((t) => t !== undefined);
  if (scenarios.decisionConsumer?.tally) sales.push(scenarios.decisionConsumer.tally);
  for (const run of scenarios.decisionShards?.runs ?? []) sales.push(...run.tallies);
  const undecided = (scenarios.claimPath ?? []).filter((c) => c.decisionLatencyMs.undecided > 0);
  const naive = scenarios.baselines?.naive.violations ?? [];
  const redisOnly = scenarios.baselines?.redisOnly.violations ?? [];
  const invariants = {
    sales,
    naive,
    redisOnly,
    ok:
      sales.every((t) => t.violations.length === 0 && t.granted <= t.stock) &&
      naive.length === 0 &&
      redisOnly.length === 0 &&
      undecided.length === 0,
  };
  for (const c of undecided)
    sales.find((t) => t.saleId === c.saleId)?.violations.push(`${c.decisionLatencyMs.undecided} claims sent but never decided`);

  const results: BenchResults = {
    startedAt: started.toISOString(),
    finishedAt: new Date().toISOString(),
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? '?',
      memoryGiB: Math.round(os.totalmem() / 2 ** 30),
      node: process.version,
    },
    layout: `${layout}: ${LAYOUTS[layout].map((roles) => roles.join('+')).join(' | ')}`,
    topicPrefix: prefix,
    scenarios,
    claimPath: claimPathCost(scenarios),
    capacity: capacityOf(scenarios),
    invariants,
    targets: evaluateTargets(scenarios),
  };
  const outDir = only ? workDir : BENCH_DIR;
  fs.writeFileSync(path.join(outDir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  const table = markdown(results);
  fs.writeFileSync(path.join(outDir, 'results.md'), table);
  console.log(`\n${table}`);
  say(`wrote ${path.join(outDir, 'results.json')} and results.md`);
  for (const t of results.targets.filter((x) => !x.met && !x.shownOnly))
    say(`target missed: ${t.what} = ${t.figure.toFixed(2)} (wanted ${t.target})`);
  if (!invariants.ok) {
    console.error('INVARIANTS BROKEN: see the table above');
    exitCode = 1;
  }
} catch (err) {
  console.error(`bench failed: ${(err as Error).stack ?? String(err)}`);
  console.error(`process logs are in ${workDir}`);
  exitCode = 1;
} finally {
  await sut?.stop().catch(() => undefined);
  killAll();
  if (ctx.profile) say(`CPU profiles in ${path.join(workDir, 'profiles')} (summarise: tsx bench/profileSummary.ts <file>)`);
  if (!keep) {
    await ctx.store.close().catch(() => undefined);
    for (const p of [prefix, `${prefix}-dc`, ...SHARD_COUNTS.map((k) => shardsTopicPrefix(prefix, k))]) await dropTopicsAndKeys(p);
    for (const s of [schema, `${schema}_replay`, `${schema}_naive`])
      await pg.query(`drop schema if exists ${s} cascade`).catch(() => undefined);
    if (exitCode === 0 && !ctx.profile && !only) fs.rmSync(workDir, { recursive: true, force: true });
  }
  await admin.disconnect();
  await platform.close();
  await pg.end();
}
process.exit(exitCode);
