// Scenario 2b, the decision stage on 1, 2 and 4 shards: K decision-makers (the claims role, one
// process each, one consumer group) on a deployment of their own for each K. The processes
// start and join the group first; the layout (shardLayout.ts) is then chosen from the group's
// assignment, so each process owns exactly one loaded partition (one sale on K shards, or K
// sales); the sales are warmed; each process decides a few claims to warm up; and the timed
// claims are written in one Kafka transaction whose commit starts the clock (gate.ts).
// Decisions per second (first → last decision, and to all committed), CPU per process group
// from the commit to the last commit, and the rate per core of the machine.
import crypto from 'node:crypto';
import path from 'node:path';
import type { Admin } from 'kafkajs';
import { claimsSubscription } from '../../consumers/claims/decisionMaker.js';
import { consumerGroupId } from '../../platform/kafka/groupId.js';
import { consumerLag } from '../../platform/kafka/lag.js';
import { partitionOf } from '../../platform/kafka/partitioning.js';
import { openPlatform, type Platform } from '../../runtime/platform.js';
import { topicName, topicSpec } from '../../schemas/topics.js';
import { BENCH_DIR, type BenchContext, sutEnv } from '../context.js';
import { cpuBetween, snapshot, waitForQuietMachine } from '../cpu.js';
import { loadBehindGate } from '../gate.js';
import { describeOwners, sameOwners, waitForStableGroup } from '../groupAssignment.js';
import { type Child, childNames, startServer } from '../processes.js';
import { redisBetween, redisStats } from '../redisStats.js';
import { scanSales } from '../salesScan.js';
import { DECISION_LAYOUTS, type DecisionLoad, decisionLayoutNamed, type LoadedClaim, type Owners, splitWarmup } from '../shardLayout.js';
import {
  cpuSecondsByGroup,
  DECISION_MAKER,
  type DecisionShardsResult,
  oneLoadedPartitionEach,
  perCoreRate,
  processShares,
  type ShardRun,
} from '../shardsReport.js';
import { warmSales } from '../warmSales.js';

export const SHARD_COUNTS = [1, 2, 4] as const;

/** Each K's own deployment, so one run's sales and group never meet another's. */
export const shardsTopicPrefix = (prefix: string, shards: number) => `${prefix}-ds${shards}`;

/** 60,000 timed claims a run at scale 1 (a few seconds of deciding each), divisible by every K. */
const claimsPerRun = (scale: number) => Math.max(4_000, Math.floor((60_000 * scale) / 4) * 4);

/**
 * Claims each process decides before the clock starts: at four shards a process decides a
 * quarter of the claims, so its cold start (V8's JIT, its connections) would weigh four times
 * as much per decision as at one.
 */
const WARMUP_PER_PARTITION = 2_000;

/** One sale on K shards, or K sales of one shard each with BENCH_SHARD_LAYOUT=sales (shardLayout.ts). */
const layout = decisionLayoutNamed(process.env.BENCH_SHARD_LAYOUT);

export async function decisionShardsScenario(ctx: BenchContext): Promise<DecisionShardsResult> {
  const runs: ShardRun[] = [];
  for (const shards of SHARD_COUNTS) runs.push(await shardRun(ctx, shards));
  return { runs };
}

async function shardRun(ctx: BenchContext, shards: number): Promise<ShardRun> {
  const topicPrefix = shardsTopicPrefix(ctx.prefix, shards);
  const platform = await openPlatform({ ...ctx.config, topicPrefix }, ctx.log, { dbSchema: ctx.schema });
  const admin = platform.kafka.admin();
  await admin.connect();
  const children: Child[] = [];
  try {
    const topic = topicName(topicPrefix, 'claims');
    const groupId = consumerGroupId(topicPrefix, claimsSubscription.group);
    const partitions = topicSpec('claims').partitions;
    children.push(...(await Promise.all(Array.from({ length: shards }, (_, i) => startDecisionMaker(ctx, topicPrefix, i + 1)))));
    const owners = await waitForStableGroup(admin, { groupId, topic, members: shards, partitions, timeoutMs: 90_000 });
    const load = DECISION_LAYOUTS[layout]({
      shards,
      claims: claimsPerRun(ctx.scale) + shards * WARMUP_PER_PARTITION,
      runId: `bench-${ctx.stamp}-k${shards}`,
      owners,
      partitionOf: (saleId, shard) => partitionOf('claims', saleId, shard),
      now: Date.now(),
      newId: () => crypto.randomUUID(),
    });
    const { warmup, timed: claims } = splitWarmup(load.claims, WARMUP_PER_PARTITION);
    ctx.say(`decision stage, ${shards} shard(s): ${load.layout}; ${warmup.length} claims to warm up, then ${claims.length} timed`);
    await warmSales(platform, load.sales);
    const gated = { topic, groupId, admin, kafka: platform.kafka, codec: platform.codec };
    await decideBehindGate(gated, warmup, `${topicPrefix}-warmup`);
    const timed = await measured(ctx, platform, (beforeOpening) => decideBehindGate(gated, claims, `${topicPrefix}-gate`, beforeOpening));
    const ownersAfter = (await describeOwners(admin, groupId, topic)).owners;
    await stopAll(children);
    return await tally(ctx, platform, { shards, topicPrefix, load: { ...load, claims }, owners, ownersAfter, timed });
  } finally {
    await stopAll(children);
    await admin.disconnect();
    await platform.close();
  }
}

function startDecisionMaker(ctx: BenchContext, topicPrefix: string, n: number): Promise<Child> {
  return startServer({
    name: `${DECISION_MAKER}${n}`,
    script: path.join(BENCH_DIR, 'sut.ts'),
    arg: { roles: ['claims'], dbSchema: ctx.schema },
    env: sutEnv(topicPrefix),
    logDir: ctx.workDir,
    nodeFlags: ctx.profile ? ['--cpu-prof', `--cpu-prof-dir=${path.join(ctx.workDir, 'profiles')}`] : [],
  });
}

async function stopAll(children: Child[]): Promise<void> {
  await Promise.all(children.splice(0).map((c) => c.stop()));
}

/** Records a read-committed consumer can see on the topic (kafkajs' admin lists offsets read-committed). */
async function visibleRecords(admin: Admin, topic: string): Promise<number> {
  return (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
}

type Gated = { topic: string; groupId: string; admin: Admin; kafka: Platform['kafka']; codec: Platform['codec'] };

/**
 * Loads the claims behind a transaction, opens the gate (calling `beforeOpening` just before,
 * so a caller can start its clock there), and waits until the group has committed them all.
 */
async function decideBehindGate(
  { topic, groupId, admin, kafka, codec }: Gated,
  claims: readonly LoadedClaim[],
  transactionalId: string,
  beforeOpening: () => Promise<void> = async () => undefined,
): Promise<void> {
  const alreadyThere = await visibleRecords(admin, topic);
  const gate = await loadBehindGate({ kafka, codec, topic, claims, transactionalId });
  let opened = false;
  try {
    await beforeOpening();
    await gate.open();
    opened = true;
  } finally {
    if (!opened) await gate.abort();
  }
  const deadline = Date.now() + 120_000;
  // The commit returns once the coordinator has logged it; the markers reach the partitions
  // a moment later, and until then the claims are invisible and the lag reads 0.
  while ((await visibleRecords(admin, topic)) < alreadyThere + claims.length) {
    if (Date.now() > deadline) throw new Error(`the loaded claims did not become visible within 120 s`);
    await new Promise((r) => setTimeout(r, 10));
  }
  // The commit markers count in the lag until each decision-maker has read past its own.
  while ((await consumerLag(admin, groupId, [topic])) > 0) {
    if (Date.now() > deadline) throw new Error(`the decision-makers did not get through ${claims.length} claims in 120 s`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

type Timed = Awaited<ReturnType<typeof measured>>;

/** CPU and Redis from just before the gate opens to the last commit. */
async function measured(ctx: BenchContext, platform: Platform, decide: (beforeOpening: () => Promise<void>) => Promise<void>) {
  let before: { neighbours: number; redis: Awaited<ReturnType<typeof redisStats>>; cpu: ReturnType<typeof snapshot> } | undefined;
  await decide(async () => {
    const neighbours = await waitForQuietMachine(childNames, 10_000);
    before = { neighbours, redis: await redisStats(platform.redis), cpu: snapshot(childNames()) };
  });
  if (!before) throw new Error('the gate opened without the clock started');
  const committedAt = Date.now();
  const cpu = cpuBetween(before.cpu, snapshot(childNames()));
  const redis = redisBetween(before.redis, await redisStats(platform.redis), cpu.seconds);
  ctx.say(`  committed; cores ${JSON.stringify(cpu.cores)}; Redis busy ${redis.busy}`);
  return { committedAt, cpu, redis, neighboursBefore: before.neighbours };
}

/** Reads the decisions back: rates, the per-core rate, each process's share, the invariants. */
async function tally(
  ctx: BenchContext,
  platform: Platform,
  run: { shards: number; topicPrefix: string; load: DecisionLoad; owners: Owners; ownersAfter: Owners; timed: Timed },
): Promise<ShardRun> {
  const { shards, topicPrefix, load, owners, ownersAfter, timed } = run;
  const scan = await scanSales({ kafka: platform.kafka, codec: platform.codec, topicPrefix });
  const partitionOfClaim = new Map(load.claims.map((c) => [c.event.transactionId, c.partition]));
  const loaded = new Map<number, number>();
  for (const { partition } of load.claims) loaded.set(partition, (loaded.get(partition) ?? 0) + 1);
  const decidedByPartition = new Map<number, number>();
  const times: number[] = [];
  for (const { saleId } of load.sales)
    for (const [transactionId, at] of scan.decidedAt.get(saleId) ?? []) {
      const p = partitionOfClaim.get(transactionId);
      if (p === undefined) continue; // a warm-up claim, decided before the clock started
      times.push(at);
      decidedByPartition.set(p, (decidedByPartition.get(p) ?? 0) + 1);
    }
  const first = times.reduce((a, b) => Math.min(a, b), Infinity);
  const last = times.reduce((a, b) => Math.max(a, b), -Infinity);
  const processes = processShares(owners, loaded, decidedByPartition);
  const result: ShardRun = {
    shards,
    layout: load.layout,
    topicPrefix,
    claims: load.claims.length,
    warmupPerProcess: WARMUP_PER_PARTITION,
    decisions: times.length,
    firstToLastSeconds: (last - first) / 1000,
    decisionsPerSec: times.length / ((last - first) / 1000),
    toCommittedSeconds: (timed.committedAt - first) / 1000,
    decisionsPerSecToCommitted: times.length / ((timed.committedAt - first) / 1000),
    cpu: timed.cpu,
    cpuSeconds: cpuSecondsByGroup(timed.cpu),
    redis: timed.redis,
    perCoreRate: perCoreRate(times.length, timed.cpu),
    neighboursBefore: timed.neighboursBefore,
    processes,
    oneLoadedPartitionEach: oneLoadedPartitionEach(shards, processes),
    assignmentHeld: sameOwners(owners, ownersAfter),
    tallies: load.sales.map((s) => scan.check.tally(s.saleId)).filter((t) => t !== undefined),
  };
  ctx.say(
    `decision stage, ${shards} shard(s): ${result.decisions} decisions, ${result.decisionsPerSec.toFixed(0)}/s first to last ` +
      `(${result.decisionsPerSecToCommitted.toFixed(0)}/s to all committed), ${result.perCoreRate.toFixed(0)} per CPU-second; ` +
      `processes ${processes.map((p) => `[${p.partitions.join(',')}]→${p.decisions}`).join(' ')}` +
      `${result.oneLoadedPartitionEach ? '' : ' NOT ONE LOADED PARTITION EACH'}${result.assignmentHeld ? '' : ' REASSIGNED DURING THE RUN'}`,
  );
  return result;
}
