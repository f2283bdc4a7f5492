// A test's own slice of the real stack: a fresh topic prefix (and so fresh topics and
// registry subjects), the catalog's topics created, a codec and a publisher.
import crypto from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { loadConfig, type Config } from '../../platform/config.js';
import { createKafka } from '../../platform/kafka/client.js';
import { createEventPublisher, type EventPublisher } from '../../platform/kafka/publisher.js';
import { ensureTopics } from '../../platform/kafka/topics.js';
import { createLogger, type Logger } from '../../platform/log.js';
import { createEventCodec, createSchemaRegistry, type EventCodec } from '../../platform/registry/codec.js';
import { testRunId } from './testRun.js';

export type TestStack = {
  config: Config;
  log: Logger;
  kafka: Kafka;
  codec: EventCodec;
  publisher: EventPublisher;
  prefix: string;
  close(): Promise<void>;
};

/** A prefix of the test run's (testRun.ts), so the run's teardown finds what it left. */
export function freshPrefix(label: string): string {
  return `t${testRunId()}-${label}-${crypto.randomBytes(3).toString('hex')}`;
}

export async function openTestStack(label: string, prefix = freshPrefix(label)): Promise<TestStack> {
  const config = { ...loadConfig(), topicPrefix: prefix };
  const log = createLogger(process.env.TEST_LOG_LEVEL ?? 'warn');
  const kafka = createKafka(config, `test-${label}`, log);
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, prefix);
  await admin.disconnect();
  const codec = createEventCodec({ registry: createSchemaRegistry(config), topicPrefix: prefix });
  await codec.registerAll();
  const publisher = await createEventPublisher({ kafka, codec, topicPrefix: prefix });
  return { config, log, kafka, codec, publisher, prefix, close: () => publisher.disconnect() };
}
