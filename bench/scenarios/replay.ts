// Scenario 4, replay: the bench's whole history rebuilt from the topics, (a) into a fresh
// Postgres schema by the analyst's replay (runtime/replay) with the same projection code the
// live consumers run, then compared with the live schema; (b) the Redis flash-sale store
// rebuilt by its own rebuilder after its ready marker is removed. Events per second from the
// first batch applied to the last.
import { createInventoryScripts } from '../../writeModel/inventoryScripts.js';
import { inventoryKeys } from '../../writeModel/keys.js';
import { createInventoryMetrics } from '../../writeModel/metrics.js';
import { createInventoryRebuilder } from '../../writeModel/rebuild.js';
import { replayableProjections } from '../../projections/catalog.js';
import { replayProjections } from '../../runtime/replay/replayProjections.js';
import type { BenchContext } from '../context.js';
import { type CpuUse, cpuBetween, snapshot } from '../cpu.js';
import { childNames } from '../processes.js';

export type ReplayResult = {
  postgres: {
    events: number;
    seconds: number;
    eventsPerSec: number;
    equalToLive: boolean;
    differences: number;
    liveBehind: string[];
    /** Over the whole replay, the comparison with the live schema included. */
    cpu: CpuUse;
  };
  redis: { events: number; seconds: number; eventsPerSec: number; cpu: CpuUse };
};

async function postgresReplay(ctx: BenchContext): Promise<ReplayResult['postgres']> {
  let first: number | undefined;
  let last = 0;
  const timed = replayableProjections(ctx.config).map((p) => ({
    ...p,
    applyBatch: async (...args: Parameters<typeof p.applyBatch>) => {
      first ??= performance.now();
      await p.applyBatch(...args);
      last = performance.now();
    },
  }));
  const into = `${ctx.schema}_replay`;
  const before = snapshot(childNames());
  const result = await replayProjections({
    kafka: ctx.platform.kafka,
    codec: ctx.platform.codec,
    databaseUrl: ctx.config.databaseUrl,
    topicPrefix: ctx.prefix,
    liveSchema: ctx.schema,
    intoSchema: into,
    projections: timed,
    window: {},
  });
  const cpu = cpuBetween(before, snapshot(childNames()));
  const seconds = (last - (first ?? last)) / 1000;
  return {
    cpu,
    events: result.events,
    seconds,
    eventsPerSec: result.events / seconds,
    equalToLive: result.differences.length === 0 && result.liveBehind.length === 0,
    differences: result.differences.reduce((n, d) => n + d.onlyInLive.length + d.onlyInReplay.length, 0),
    liveBehind: result.liveBehind,
  };
}

async function redisRebuild(ctx: BenchContext): Promise<ReplayResult['redis']> {
  const { redis, kafka, codec } = ctx.platform;
  const keys = inventoryKeys(ctx.prefix);
  const scripts = createInventoryScripts(redis, ctx.prefix);
  let events = 0;
  let first: number | undefined;
  let last = 0;
  // Counts and times what the rebuilder folds, through the scripts it is handed.
  const timedScripts: typeof scripts = {
    ...scripts,
    apply: async (mode, batch) => {
      first ??= performance.now();
      const outcome = await scripts.apply(mode, batch);
      if (mode.mode === 'rebuild') events += batch.length;
      last = performance.now();
      return outcome;
    },
  };
  await redis.del(keys.ready);
  const before = snapshot(childNames());
  const rebuilder = createInventoryRebuilder({
    kafka,
    codec,
    log: ctx.log,
    scripts: timedScripts,
    topicPrefix: ctx.prefix,
    metrics: createInventoryMetrics(undefined),
    checkEveryMs: 50,
  });
  rebuilder.start();
  try {
    const deadline = Date.now() + 300_000;
    while ((await redis.exists(keys.ready)) === 0) {
      if (Date.now() > deadline) throw new Error('the Redis store was not rebuilt within 300 s');
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    await rebuilder.stop();
  }
  const cpu = cpuBetween(before, snapshot(childNames()));
  const seconds = (last - (first ?? last)) / 1000;
  return { events, seconds, eventsPerSec: events / seconds, cpu };
}

export async function replayScenario(ctx: BenchContext): Promise<ReplayResult> {
  ctx.say('replay: rebuilding the Postgres projections into a fresh schema');
  const postgres = await postgresReplay(ctx);
  ctx.say(
    `replay (Postgres): ${postgres.events} events in ${postgres.seconds.toFixed(1)} s = ${postgres.eventsPerSec.toFixed(0)}/s; ` +
      `${postgres.equalToLive ? 'equal to the live schema' : `DIFFERS from the live schema (${postgres.differences} rows)`}; cores ${JSON.stringify(postgres.cpu.cores)}`,
  );
  ctx.say('replay: rebuilding the Redis store from the topics');
  const redis = await redisRebuild(ctx);
  ctx.say(`replay (Redis): ${redis.events} events in ${redis.seconds.toFixed(1)} s = ${redis.eventsPerSec.toFixed(0)}/s`);
  return { postgres, redis };
}
