// Scenario 2, the decision consumer alone: on a deployment of its own, a sale is warmed into
// Redis, the `claims` topic is preloaded with N ClaimRequested for it (published directly),
// and only then is the claims role started, in its own process. Decisions per second from
// the first decision to the last (their occurredAt), and to the moment the group had
// committed them all (which includes publishing the last batch).
import crypto from 'node:crypto';
import path from 'node:path';
import { claimsSubscription } from '../../consumers/claims/decisionMaker.js';
import { consumerGroupId } from '../../platform/kafka/groupId.js';
import { consumerLag } from '../../platform/kafka/lag.js';
import { openPlatform } from '../../runtime/platform.js';
import { topicName } from '../../schemas/topics.js';
import type { FlashsaleEvent } from '../../schemas/events/index.js';
import { envelope } from '../../producers/http/envelope.js';
import { BENCH_DIR, type BenchContext, sutEnv } from '../context.js';
import { type CpuUse, cpuBetween, snapshot } from '../cpu.js';
import { childNames, startServer } from '../processes.js';
import { redisBetween, redisStats, type RedisUse } from '../redisStats.js';
import { scanSales } from '../salesScan.js';
import type { SaleTally } from '../invariants.js';
import { benchSale } from '../shardLayout.js';
import { warmSales } from '../warmSales.js';

export type DecisionConsumerResult = {
  topicPrefix: string;
  claims: number;
  decisions: number;
  firstToLastSeconds: number;
  decisionsPerSec: number;
  toCommittedSeconds: number;
  decisionsPerSecToCommitted: number;
  tally: SaleTally | undefined;
  /** From the claims process's start to the last commit. */
  cpu: CpuUse;
  redis: RedisUse;
};

const PUBLISH_BATCH = 2_000; // one produce request stays under the broker's 1 MB message size

export async function decisionConsumerScenario(ctx: BenchContext): Promise<DecisionConsumerResult> {
  const topicPrefix = `${ctx.prefix}-dc`;
  const claims = Math.max(1_000, Math.round(100_000 * ctx.scale));
  const saleId = `bench-${ctx.stamp}-decide`;
  const platform = await openPlatform({ ...ctx.config, topicPrefix }, ctx.log, { dbSchema: ctx.schema });
  try {
    await warmSales(platform, [benchSale(saleId, claims, { now: Date.now(), newId: () => crypto.randomUUID() })]);
    ctx.say(`decision consumer: preloading ${claims} claims on ${topicName(topicPrefix, 'claims')}`);
    for (let i = 0; i < claims; i += PUBLISH_BATCH) {
      const now = Date.now();
      const batch: FlashsaleEvent[] = [];
      for (let j = i; j < Math.min(claims, i + PUBLISH_BATCH); j++) {
        const transactionId = crypto.randomUUID();
        batch.push({
          type: 'ClaimRequested',
          ...envelope(transactionId, now),
          transactionId,
          saleId,
          userId: `${saleId}-u${j}`,
          quantity: 1,
          shard: 0,
        });
      }
      await platform.publisher.publish(batch);
    }

    const admin = platform.kafka.admin();
    await admin.connect();
    const claimsTopic = topicName(topicPrefix, 'claims');
    const redisBefore = await redisStats(platform.redis);
    const cpuBefore = snapshot(childNames());
    const child = await startServer({
      name: 'sut-claims-alone',
      script: path.join(BENCH_DIR, 'sut.ts'),
      arg: { roles: ['claims'], dbSchema: ctx.schema },
      env: sutEnv(topicPrefix),
      logDir: ctx.workDir,
      nodeFlags: ctx.profile ? ['--cpu-prof', `--cpu-prof-dir=${path.join(ctx.workDir, 'profiles')}`] : [],
    });
    let committedAt: number;
    let cpu: CpuUse;
    let redis: RedisUse;
    try {
      const deadline = Date.now() + 300_000;
      while ((await consumerLag(admin, consumerGroupId(topicPrefix, claimsSubscription.group), [claimsTopic])) > 0) {
        if (Date.now() > deadline) throw new Error('the decision-maker did not get through the preloaded claims in 300 s');
        await new Promise((r) => setTimeout(r, 20));
      }
      committedAt = Date.now();
      cpu = cpuBetween(cpuBefore, snapshot(childNames()));
      redis = redisBetween(redisBefore, await redisStats(platform.redis), cpu.seconds);
    } finally {
      await child.stop();
      await admin.disconnect();
    }

    const scan = await scanSales({ kafka: platform.kafka, codec: platform.codec, topicPrefix });
    const times = [...(scan.decidedAt.get(saleId)?.values() ?? [])];
    const first = times.reduce((a, b) => Math.min(a, b), Infinity);
    const last = times.reduce((a, b) => Math.max(a, b), -Infinity);
    const firstToLastSeconds = (last - first) / 1000;
    const toCommittedSeconds = (committedAt - first) / 1000;
    const result: DecisionConsumerResult = {
      topicPrefix,
      claims,
      decisions: times.length,
      firstToLastSeconds,
      decisionsPerSec: times.length / firstToLastSeconds,
      toCommittedSeconds,
      decisionsPerSecToCommitted: times.length / toCommittedSeconds,
      tally: scan.check.tally(saleId),
      cpu,
      redis,
    };
    ctx.say(
      `decision consumer: ${result.decisions} decisions, first to last ${firstToLastSeconds.toFixed(2)} s = ${result.decisionsPerSec.toFixed(0)}/s ` +
        `(${result.decisionsPerSecToCommitted.toFixed(0)}/s to the last commit); cores ${JSON.stringify(cpu.cores)}; ` +
        `Redis busy ${redis.busy} (${redis.top.map((t) => `${t.command} ${t.ms} ms`).join(', ')})`,
    );
    return result;
  } finally {
    await platform.close();
  }
}
