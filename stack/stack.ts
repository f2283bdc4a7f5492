// `flashsale stack up | down | status`: the local Kafka, schema registry, Redis and
// PostgreSQL. `up` is idempotent and waits until each part answers; `down` stops only
// what `up` started (recorded in .flashsale/stack/started.json).
import fs from 'node:fs';
import path from 'node:path';
import { ensureJars } from './jars.js';
import { KAFKA_PORT, kafkaAnswers, startKafka } from './kafka.js';
import { ensureDatabase, POSTGRES_PORT, postgresAnswers, REDIS_PORT, redisAnswers, startPostgres, startRedis } from './machineServices.js';
import { paths } from './paths.js';
import { portOpen, runningPid, stopDaemon, waitUntil } from './process.js';
import { REGISTRY_PORT, REGISTRY_URL, registryAnswers, startRegistry } from './registry.js';

type Part = 'kafka' | 'registry' | 'redis' | 'postgres';

export type PartStatus = { part: Part; address: string; healthy: boolean; startedByUs: boolean };

const startedFile = path.join(paths.state, 'started.json');

function readStarted(): Part[] {
  try {
    return JSON.parse(fs.readFileSync(startedFile, 'utf8')) as Part[];
  } catch {
    return [];
  }
}

function recordStarted(part: Part): void {
  const started = new Set(readStarted());
  started.add(part);
  fs.writeFileSync(startedFile, JSON.stringify([...started]));
}

async function answers(check: () => Promise<boolean>): Promise<boolean> {
  return check().catch(() => false);
}

const UP_TIMEOUT_MS = { kafka: 90_000, registry: 120_000, redis: 15_000, postgres: 30_000 };

export async function stackUp(log: (line: string) => void = console.log): Promise<void> {
  fs.mkdirSync(paths.state, { recursive: true });

  if (!(await answers(redisAnswers))) {
    log('starting Redis…');
    startRedis();
    recordStarted('redis');
    await waitUntil(redisAnswers, UP_TIMEOUT_MS.redis, `Redis on 127.0.0.1:${REDIS_PORT}`);
  }
  if (!(await answers(() => postgresAnswers()))) {
    log('starting PostgreSQL…');
    startPostgres();
    recordStarted('postgres');
    await waitUntil(() => postgresAnswers(), UP_TIMEOUT_MS.postgres, `PostgreSQL on 127.0.0.1:${POSTGRES_PORT}`);
  }
  await ensureDatabase();

  ensureJars(log);
  if (!(await answers(kafkaAnswers))) {
    if (runningPid('kafka') === undefined) {
      if (await portOpen(KAFKA_PORT)) throw new Error(`port ${KAFKA_PORT} is taken by a process that is not a Kafka broker we can talk to`);
      log('starting Kafka (KRaft, one node)…');
      startKafka();
      recordStarted('kafka');
    }
    await waitUntil(kafkaAnswers, UP_TIMEOUT_MS.kafka, `Kafka on 127.0.0.1:${KAFKA_PORT} (see .flashsale/stack/logs/kafka.log)`);
  }
  if (!(await answers(registryAnswers))) {
    if (runningPid('registry') === undefined) {
      if (await portOpen(REGISTRY_PORT)) throw new Error(`port ${REGISTRY_PORT} is taken by something that is not a schema registry`);
      log('starting the schema registry (Apicurio)…');
      startRegistry();
      recordStarted('registry');
    }
    await waitUntil(
      registryAnswers,
      UP_TIMEOUT_MS.registry,
      `the schema registry on ${REGISTRY_URL} (see .flashsale/stack/logs/registry.out)`,
    );
  }
}

export async function stackStatus(): Promise<PartStatus[]> {
  const started = new Set(readStarted());
  const [kafka, registry, redis, postgres] = await Promise.all([
    answers(kafkaAnswers),
    answers(registryAnswers),
    answers(redisAnswers),
    answers(() => postgresAnswers(DATABASE_NAME)),
  ]);
  return [
    { part: 'kafka', address: `127.0.0.1:${KAFKA_PORT}`, healthy: kafka, startedByUs: started.has('kafka') },
    { part: 'registry', address: REGISTRY_URL, healthy: registry, startedByUs: started.has('registry') },
    { part: 'redis', address: `redis://127.0.0.1:${REDIS_PORT}`, healthy: redis, startedByUs: started.has('redis') },
    {
      part: 'postgres',
      address: `postgres://postgres@127.0.0.1:${POSTGRES_PORT}/${DATABASE_NAME}`,
      healthy: postgres,
      startedByUs: started.has('postgres'),
    },
  ];
}

const DATABASE_NAME = 'flashsale';

export async function stackDown(log: (line: string) => void = console.log): Promise<void> {
  // The registry first: it writes to Kafka until it stops.
  if (await stopDaemon('registry')) log('stopped the schema registry');
  if (await stopDaemon('kafka', 60_000)) log('stopped Kafka');
  // Redis and PostgreSQL are the machine's; they are left running even when `up` started
  // them, since other projects on the machine share them.
  fs.writeFileSync(startedFile, JSON.stringify(readStarted().filter((p) => p === 'redis' || p === 'postgres')));
}
