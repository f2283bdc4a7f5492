// The clients every role shares, opened once per process from Config: Kafka (topics
// created idempotently, schemas registered), the publisher, Redis, PostgreSQL, metrics.
import type { Kafka } from 'kafkajs';
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { Config } from '../platform/config.js';
import { connectAdmin, createKafka } from '../platform/kafka/client.js';
import { createEventPublisher, type EventPublisher } from '../platform/kafka/publisher.js';
import { prepareTopics } from '../platform/kafka/topics.js';
import type { Logger } from '../platform/log.js';
import { createDb, type Db } from '../platform/postgres.js';
import { createRedis, type Redis } from '../platform/redis.js';
import { createEventCodec, createSchemaRegistry, type EventCodec } from '../platform/registry/codec.js';

export type Platform = {
  config: Config;
  log: Logger;
  kafka: Kafka;
  codec: EventCodec;
  publisher: EventPublisher;
  redis: Redis;
  db: Db;
  metrics: Registry;
  close(): Promise<void>;
};

export async function openPlatform(config: Config, log: Logger, opts: { dbSchema?: string } = {}): Promise<Platform> {
  for (const name of config.devDefaults)
    log.warn(
      `${name} is a development default, published in the source: never run like this in production (NODE_ENV=production refuses it).`,
    );
  for (const warning of config.connectionWarnings) log.warn(warning);
  const kafka = createKafka(config, 'flashsale', log);
  const admin = kafka.admin();
  await connectAdmin(admin, config);
  try {
    await prepareTopics(admin, { prefix: config.topicPrefix, mode: config.kafkaTopics, durability: config.kafkaDurability });
  } finally {
    await admin.disconnect();
  }
  const codec = createEventCodec({ registry: createSchemaRegistry(config), topicPrefix: config.topicPrefix });
  await codec.registerAll();
  const publisher = await createEventPublisher({
    kafka,
    codec,
    topicPrefix: config.topicPrefix,
    publishTimeoutMs: config.publishTimeoutMs,
  });
  const redis = createRedis(config.redisUrl);
  const db = createDb(config.databaseUrl, opts.dbSchema);
  const metrics = new Registry();
  collectDefaultMetrics({ register: metrics });
  return {
    config,
    log,
    kafka,
    codec,
    publisher,
    redis,
    db,
    metrics,
    async close() {
      await publisher.disconnect();
      redis.disconnect();
      await db.end();
    },
  };
}
