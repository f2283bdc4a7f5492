// Readiness, as the contract defines it: Kafka, the schema registry, Redis and PostgreSQL
// answer, the flash-sale store in Redis holds a complete state (not flushed, not being
// rebuilt: the sale routes answer 503 until then), and the projections have caught up with
// their topics. "Caught up" allows a small
// lag: under a steady crowd a live projection is always a few events behind, and an API
// taken out of rotation for that would make things worse, not better.
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

function within<T>(promise: Promise<T>, fallback: T): Promise<T> {
  return Promise.race([
    promise.catch(() => fallback),
    new Promise<T>((resolve) => setTimeout(() => resolve(fallback), CHECK_TIMEOUT_MS).unref()),
  ]);
}

export function createReadinessCheck({ kafka, redis, db, config }: Platform): ReadinessCheck {
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
    const kafkaUp = within(
      admin.connect().then(async () => (await admin.describeCluster()).brokers.length > 0),
      false,
    );
    const [kafkaOk, registryOk, redisOk, dbOk] = await Promise.all([
      kafkaUp,
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
    await admin.disconnect().catch(() => undefined);
    return { ready: Object.values(parts).every((v) => v === true), parts };
  };
}
