// The capacity model: from a bench run's own per-core figures, what one sale of N claims/s
// needs (shards, and so `claims` partitions; API workers; Redis masters; cores for Kafka,
// PostgreSQL and in all) and what caps the hottest sale first with today's deployment. Pure:
// figures in, counts out; the report prints its table into results.md from the run.
import type { CpuUse } from './cpu.js';
import type { RedisUse } from './redisStats.js';

/** What the run measured, per unit of work. A claim is an accepted claim (202), decided once. */
export type MeasuredCosts = {
  /** Decisions per second one shard reached: one decision-maker process on one partition. */
  decisionsPerSecPerShard: number;
  /** CPU of the decision-maker process per decision. */
  decisionMakerMicrosPerDecision: number;
  /** Redis's CPU per decision at the decision stage alone (its process, from /proc). */
  redisMicrosPerDecision: number;
  /** The same by Redis's own clock (INFO commandstats, redisStats.ts): shown beside it, not used (see redisCpu). */
  redisCommandMicrosPerDecision: number;
  /** Claims the api role accepts per second per core it uses, at saturation. */
  apiClaimsPerSecPerCore: number;
  /** Per accepted claim on the whole claim path at saturation (the api's reads, the decision, the projections), CPU. */
  redisMicrosPerClaim: number;
  kafkaMicrosPerClaim: number;
  postgresMicrosPerClaim: number;
  /** Every process of the system and the stack, not the load generator. */
  cpuMicrosPerAcceptedClaim: number;
};

/** What today's deployment has: the catalog's `claims` partitions (a sale's shards are at most that many). */
export type Deployment = { claimsPartitions: number };

/**
 * Redis masters one sale can use today: every shard of a sale lives on the one Redis (Redis
 * Cluster, with a shard's keys under its own hash tag, is designed but not built).
 */
export const SALE_REDIS_MASTERS_TODAY = 1;

/**
 * Every count is planned at this share of its component's capacity: the third left over takes
 * a burst above the planned rate and a neighbour's load while one instance restarts.
 */
export const PLANNED_BUSY = 0.7;

export type SaleNeeds = {
  claimsPerSec: number;
  /** One decision-maker process and one `claims` partition each. */
  shards: number;
  apiWorkers: number;
  /** Only useful once a sale's shards can live on separate masters (Redis Cluster, not built). */
  redisMasters: number;
  kafkaCores: number;
  postgresCores: number;
  totalCores: number;
  fitsToday: boolean;
};

const cores = (claimsPerSec: number, micros: number) => (claimsPerSec * micros) / 1e6 / PLANNED_BUSY;

export function saleNeeds(claimsPerSec: number, costs: MeasuredCosts, today: Deployment): SaleNeeds {
  const shards = Math.ceil(claimsPerSec / (costs.decisionsPerSecPerShard * PLANNED_BUSY));
  const redisMasters = Math.ceil(cores(claimsPerSec, costs.redisMicrosPerClaim));
  return {
    claimsPerSec,
    shards,
    apiWorkers: Math.ceil(claimsPerSec / (costs.apiClaimsPerSecPerCore * PLANNED_BUSY)),
    redisMasters,
    kafkaCores: cores(claimsPerSec, costs.kafkaMicrosPerClaim),
    postgresCores: cores(claimsPerSec, costs.postgresMicrosPerClaim),
    totalCores: cores(claimsPerSec, costs.cpuMicrosPerAcceptedClaim),
    fitsToday: shards <= today.claimsPartitions && redisMasters <= SALE_REDIS_MASTERS_TODAY,
  };
}

export type Ceiling = { what: string; claimsPerSec: number };

/**
 * What caps one sale with today's deployment, lowest first (each at its full capacity, not
 * the planned share). The api, Kafka and PostgreSQL grow by adding workers, brokers and cores;
 * these two do not: a sale's shards are at most the `claims` partitions, and all of them live
 * on one Redis master, whose single thread decides for every shard.
 */
export function ceilingsToday(costs: MeasuredCosts, today: Deployment): Ceiling[] {
  return [
    { what: "one Redis master (all of a sale's shards live on it; no Redis Cluster)", claimsPerSec: 1e6 / costs.redisMicrosPerClaim },
    {
      what: `${today.claimsPartitions} claims partitions, one shard each`,
      claimsPerSec: today.claimsPartitions * costs.decisionsPerSecPerShard,
    },
  ].sort((a, b) => a.claimsPerSec - b.claimsPerSec);
}

type DecisionStage = { decisions: number; decisionsPerSec: number; cpu: CpuUse; redis: RedisUse };
type Saturation = { acceptedPerSec: number; load: { cpu: CpuUse } };

/**
 * Redis's load is its process's CPU. Its commands' own time (INFO commandstats) is wall-clock
 * time per command: on two shared cores it counts the time the server was descheduled in the
 * middle of a script (the decision stage: 0.63 busy by commandstats against 0.40 cores of CPU
 * on 2026-12-02), which a master with a core of its own would not spend.
 */
const redisCpu = (cpu: CpuUse) => cpu.cores.redis ?? 0;

const sumOf = (cpu: CpuUse, take: (group: string) => boolean) =>
  Object.entries(cpu.cores)
    .filter(([g]) => take(g))
    .reduce((n, [, c]) => n + c, 0);

/** The model's inputs from the run: the one-shard decision stage and the claim path at saturation. */
export function measuredCosts(
  decisionStage: DecisionStage | undefined,
  saturation: Saturation | undefined,
  cpuMicrosPerAcceptedClaim: number | undefined,
): MeasuredCosts | undefined {
  if (!decisionStage || !saturation || cpuMicrosPerAcceptedClaim === undefined || saturation.acceptedPerSec <= 0) return undefined;
  const { cpu: load } = saturation.load;
  const api = sumOf(load, (g) => g.startsWith('sut-api'));
  if (api <= 0) return undefined;
  const perDecision = (coresBusy: number) => ((coresBusy * decisionStage.cpu.seconds) / decisionStage.decisions) * 1e6;
  const perClaim = (coresBusy: number) => (coresBusy / saturation.acceptedPerSec) * 1e6;
  return {
    decisionsPerSecPerShard: decisionStage.decisionsPerSec,
    // In the decision-stage runs the only processes of the system are the decision-makers.
    decisionMakerMicrosPerDecision: perDecision(sumOf(decisionStage.cpu, (g) => g.startsWith('sut-'))),
    redisMicrosPerDecision: perDecision(redisCpu(decisionStage.cpu)),
    redisCommandMicrosPerDecision: perDecision(decisionStage.redis.busy),
    apiClaimsPerSecPerCore: saturation.acceptedPerSec / api,
    redisMicrosPerClaim: perClaim(redisCpu(load)),
    kafkaMicrosPerClaim: perClaim(load.cores.kafka ?? 0),
    postgresMicrosPerClaim: perClaim(load.cores.postgres ?? 0),
    cpuMicrosPerAcceptedClaim,
  };
}

export type CapacityModel = { costs: MeasuredCosts; today: Deployment; sales: SaleNeeds[]; ceilings: Ceiling[] };

export const MODELLED_SALES = [100_000, 500_000] as const;

export function capacityModel(costs: MeasuredCosts, today: Deployment): CapacityModel {
  return { costs, today, sales: MODELLED_SALES.map((n) => saleNeeds(n, costs, today)), ceilings: ceilingsToday(costs, today) };
}

const int = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '–');

/** The results page's capacity section. */
export function capacityLines(model: CapacityModel | undefined): string[] {
  if (!model) return [];
  const { costs: c, today, sales, ceilings } = model;
  return [
    '',
    `Capacity model (bench/capacity.ts) from this run's figures, every part planned at ${PLANNED_BUSY * 100}% busy. Measured: one shard ` +
      `decides ${int(c.decisionsPerSecPerShard)}/s (decision-maker ${int(c.decisionMakerMicrosPerDecision)} µs CPU and Redis ` +
      `${int(c.redisMicrosPerDecision)} µs CPU per decision; ${int(c.redisCommandMicrosPerDecision)} µs by Redis's own command clock, ` +
      `which counts time descheduled on shared cores); the api accepts ${int(c.apiClaimsPerSecPerCore)} claims/s per core; per accepted ` +
      `claim on the claim path Redis ${int(c.redisMicrosPerClaim)} µs, Kafka ${int(c.kafkaMicrosPerClaim)} µs, PostgreSQL ` +
      `${int(c.postgresMicrosPerClaim)} µs, every process ${int(c.cpuMicrosPerAcceptedClaim)} µs.`,
    '',
    `| one sale, claims/s | shards (= claims partitions, decision-makers) | API workers | Redis masters | Kafka cores | PostgreSQL cores | cores in all | fits today (${today.claimsPartitions} partitions, one Redis) |`,
    '|---:|---:|---:|---:|---:|---:|---:|---|',
    ...sales.map(
      (s) =>
        `| ${int(s.claimsPerSec)} | ${s.shards} | ${s.apiWorkers} | ${s.redisMasters} | ${s.kafkaCores.toFixed(1)} | ${s.postgresCores.toFixed(1)} | ${s.totalCores.toFixed(0)} | ${s.fitsToday ? 'yes' : 'no'} |`,
    ),
    '',
    `What caps one sale today, lowest first: ${ceilings.map((x) => `${x.what}, ${int(x.claimsPerSec)} claims/s`).join('; ')}. ` +
      'Redis masters beyond one help a hot sale only once its shards can live on separate masters.',
  ];
}
