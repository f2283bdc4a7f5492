// Readiness, as the contract defines it: Kafka, the schema registry, Redis and PostgreSQL
// answer, the flash-sale store in Redis holds a complete state (not flushed, not being
// rebuilt: the sale routes answer 503 until then), and the projections have caught up with
// their topics. "Caught up" allows a small
// lag: under a steady crowd a live projection is always a few events behind, and an API
// taken out of rotation for that would make things worse, not better. A consumer of this
// process waiting out a transient fault (a partition paused until its dependency answers)
// makes it not ready, and the body says which and why.
//
// The answer is kept for READINESS_CACHE_MS and shared by every caller meanwhile (and by
// every caller while a check is under way): a flood of /readyz on the public port then costs
// one check a second, not a Kafka admin connection, a registry call and a lag query per call.
import type { Admin } from 'kafkajs';
import { consumerWaitsOf } from '../platform/kafka/consumerWaits.js';
import { consumerGroupId } from '../platform/kafka/groupId.js';
import { consumerLag } from '../platform/kafka/lag.js';
import { inventoryKeys } from '../writeModel/keys.js';
import { inventorySubscription } from '../writeModel/projector.js';
import { replayableProjections } from '../projections/catalog.js';
import { topicName, type TopicName } from '../schemas/topics.js';
import type { ReadinessCheck } from '../producers/http/app.js';
import type { Platform } from './platform.js';

export const CAUGHT_UP_LAG = 1000;
const CHECK_TIMEOUT_MS = 2000;
export const READINESS_CACHE_MS = 1000;

/** One check at a time, its answer reused for `ms` after it came: load balancers see at most `ms` of staleness. */
export function cachedReadiness(check: ReadinessCheck, ms = READINESS_CACHE_MS, now = Date.now): ReadinessCheck {
  let last: { at: number; answer: Awaited<ReturnType<ReadinessCheck>> } | undefined;
  let running: ReturnType<ReadinessCheck> | undefined;
  return () => {
    if (last && now() - last.at < ms) return Promise.resolve(last.answer);
    running ??= check()
      .then((answer) => {
        last = { at: now(), answer };
        return answer;
      })
      .finally(() => {
        running = undefined;
      });
    return running;
  };
}

function within<T>(promise: Promise<T>, fallback: T): Promise<T> {
  return Promise.race([
    promise.catch(() => fallback),
    new Promise<T>((resolve) => setTimeout(() => resolve(fallback), CHECK_TIMEOUT_MS).unref()),
  ]);
}

/** Whether each part answers within CHECK_TIMEOUT_MS: Kafka, the registry, Redis, Postgres. */
function dependenciesUp({ redis, db, config }: Platform, admin: Admin): Promise<[boolean, boolean, boolean, boolean]> {
  return Promise.all([
    within(
      admin.connect().then(async () => (await admin.describeCluster()).brokers.length > 0),
      false,
    ),
    within(
      fetch(`${config.schemaRegistryUrl}/subjects`, { signal: AbortSignal.timeout(CHECK_TIMEOUT_MS) }).then((r) => r.ok),
      false,
    ),
    within(
      redis.ping().then((p) => p === 'PONG'),
      false,
    ),
    within(
      db.query('select 1').then(() => true),
      false,
    ),
  ]);
}

export function createReadinessCheck(platform: Platform): ReadinessCheck {
  return cachedReadiness(uncachedReadinessCheck(platform));
}

function uncachedReadinessCheck(platform: Platform): ReadinessCheck {
  const { kafka, redis, config, metrics } = platform;
  const waits = consumerWaitsOf(metrics);
  const projections: { name: string; groupId: string; topics: readonly TopicName[] }[] = [
    {
      name: 'inventory',
      groupId: consumerGroupId(config.topicPrefix, inventorySubscription.group),
      topics: inventorySubscription.topics,
    },
    ...replayableProjections(config).map((p) => ({ name: p.name, groupId: p.liveGroupId(config.topicPrefix), topics: p.topics })),
  ];
  return async () => {
    const admin = kafka.admin();
    const [kafkaOk, registryOk, redisOk, dbOk] = await dependenciesUp(platform, admin);
    const parts: Record<string, boolean | string> = { kafka: kafkaOk, registry: registryOk, redis: redisOk, postgres: dbOk };
    if (redisOk) {
      const complete = await within(
        redis.exists(inventoryKeys(config.topicPrefix).ready).then((n) => n === 1),
        false,
      );
      parts.store = complete ? true : 'being rebuilt from the topics';
    }
    if (kafkaOk) {
      for (const p of projections) {
        const lag = await within(
          consumerLag(
            admin,
            p.groupId,
            p.topics.map((t) => topicName(config.topicPrefix, t)),
          ),
          Number.POSITIVE_INFINITY,
        );
        parts[`projection:${p.name}`] = lag <= CAUGHT_UP_LAG ? true : `behind by ${Number.isFinite(lag) ? lag : '?'} events`;
      }
    }
    for (const w of waits.list()) {
      const part = `consumer:${w.consumer}`;
      const said = typeof parts[part] === 'string' ? `${String(parts[part])}; ` : '';
      parts[part] = `${said}${w.partition} waiting out a transient fault since ${new Date(w.since).toISOString()}: ${w.reason}`;
    }
    await admin.disconnect().catch(() => undefined);
    return { ready: Object.values(parts).every((v) => v === true), parts };
  };
}
