// Each nemesis of a plan, struck and healed against the suite's parts: a kill is healed by a
// restart, a pause by SIGCONT, a proxy fault by a plain pipe again, a shifted clock by a good
// one. Every strike and heal goes into the history.
import { partitionOf } from '../platform/kafka/partitioning.js';
import { topicName } from '../schemas/topics.js';
import type { Environment } from './environment.js';
import type { History } from './history.js';
import type { Roles } from './roles.js';
import type { Nemesis } from './schedule.js';

export type Target = { env: Environment; roles: Roles; clock: { shiftSeconds: number }; topicPrefix: string; saleId: string };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The partition of `claims` the sale's claims go to, as the publisher places them. */
export const claimsPartition = (saleId: string): number => partitionOf('claims', saleId);

/** Strikes; resolves with what heals it. */
async function strike(n: Nemesis, t: Target): Promise<() => Promise<void>> {
  const { env, roles } = t;
  switch (n.kind) {
    case 'kill-role':
      await roles.kill(n.role);
      return () => roles.start(n.role);
    case 'pause-role':
      roles.pause(n.role);
      return async () => roles.resume(n.role);
    case 'kill-broker':
      return env.kafka.killLeader(topicName(t.topicPrefix, 'claims'), claimsPartition(t.saleId));
    case 'pause-broker': {
      const resume = await env.kafka.pauseLeader(topicName(t.topicPrefix, 'claims'), claimsPartition(t.saleId));
      return async () => resume();
    }
    case 'redis-snapshot': {
      // A snapshot now, writes after it, then a crash: Redis comes back with only the snapshot.
      await env.redis.save();
      await sleep(n.durationMs / 2);
      await env.redis.kill();
      return () => env.redis.restart();
    }
    case 'postgres-stop':
      await env.postgres.stop('immediate');
      return () => env.postgres.start();
    case 'proxy': {
      const proxies = env.proxies[n.part];
      for (const p of proxies) {
        if (n.mode === 'latency') p.latency(n.latencyMs);
        else if (n.mode === 'reset') p.reset();
        else p.blackhole();
      }
      return async () => proxies.forEach((p) => p.heal());
    }
    case 'clock-shift':
      t.clock.shiftSeconds = n.shiftSeconds;
      return async () => void (t.clock.shiftSeconds = 0);
  }
}

const strikesBroker = (n: Nemesis) => n.kind === 'kill-broker' || n.kind === 'pause-broker';

/**
 * Plays the plan's nemeses at their times from `startedAt`, each healed before the next
 * strikes. A healed broker catches up in the background; a broker nemesis (and the end of the
 * run) waits until the cluster is whole, so that at most one broker is ever away.
 */
export async function playNemeses(nemeses: readonly Nemesis[], t: Target, history: History, startedAt: number): Promise<void> {
  for (const n of nemeses) {
    await sleep(Math.max(0, startedAt + n.atMs - Date.now()));
    if (strikesBroker(n)) await t.env.kafka.whenWhole();
    const struckAt = Date.now();
    history.record({ type: 'nemesis', phase: 'strike', at: struckAt, nemesis: n });
    const heal = await strike(n, t);
    await sleep(Math.max(0, struckAt + n.durationMs - Date.now()));
    await heal();
    history.record({ type: 'nemesis', phase: 'heal', at: Date.now(), nemesis: n });
  }
  await t.env.kafka.whenWhole();
}
