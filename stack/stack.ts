// `flashsale stack up [--brokers 1|3] | down | status`: the local Kafka (one node, or a
// three-node cluster), schema registry, Redis and PostgreSQL. `up` is idempotent and waits
// until each part answers; `down` stops only what `up` started (recorded in
// .flashsale/stack/started.json). The Kafka mode is recorded in kafka-mode.json, so `status`
// and `down` know which nodes are the stack's, and `up` refuses to switch modes while the
// other one runs.
import fs from 'node:fs';
import path from 'node:path';
import { ensureJars } from './jars.js';
import { type BrokerCount, KAFKA_PORT, kafkaAnswers, stackKafka } from './kafka.js';
import { ensureDatabase, POSTGRES_PORT, postgresAnswers, REDIS_PORT, redisAnswers, startPostgres, startRedis } from './machineServices.js';
import { paths } from './paths.js';
import { portOpen, runningPid, stopDaemon, waitUntil } from './process.js';
import { REGISTRY_PORT, REGISTRY_URL, registryAnswers, startRegistry } from './registry.js';

type Part = 'kafka' | 'registry' | 'redis' | 'postgres';

/** `part` is `kafka-<node>` for a node of the three-node cluster. */
export type PartStatus = { part: string; address: string; healthy: boolean; startedByUs: boolean; pid?: number; note?: string };

const startedFile = path.join(paths.state, 'started.json');
const modeFile = path.join(paths.state, 'kafka-mode.json');

function recordedMode(): BrokerCount | undefined {
  try {
    const { brokers } = JSON.parse(fs.readFileSync(modeFile, 'utf8')) as { brokers: number };
    return brokers === 3 ? 3 : brokers === 1 ? 1 : undefined;
  } catch {
    return undefined;
  }
}

/** The mode whose Kafka is running now: a node of the cluster alive, else anything answering on 9092 is the single node. */
async function runningMode(): Promise<BrokerCount | undefined> {
  const cluster = stackKafka(3);
  if (cluster.nodeIds.some((id) => cluster.running(id))) return 3;
  if (stackKafka(1).running(1) || (await answers(() => kafkaAnswers(KAFKA_PORT)))) return recordedMode() ?? 1;
  return undefined;
}

/** Why `up` with this many brokers must not go on while the other mode runs, or nothing. */
export function modeConflict(requested: BrokerCount, running: BrokerCount | undefined): string | undefined {
  if (running === undefined || running === requested) return undefined;
  return `stack is up with ${running} broker${running === 1 ? '' : 's'}; run \`flashsale stack down\` first`;
}

/** The KAFKA_BROKERS value for the stack's Kafka in this mode. */
export function stackBrokers(brokers: BrokerCount): string {
  return stackKafka(brokers).brokers.join(',');
}

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

/** Starts the stack's Kafka nodes that are not running, and waits until every node answers. */
async function ensureKafka(brokers: BrokerCount, log: (line: string) => void) {
  const cluster = stackKafka(brokers);
  const allAnswer = async () => (await Promise.all(cluster.nodeIds.map((id) => cluster.answering(id)))).every(Boolean);
  if (!(await allAnswer())) {
    for (const [i, id] of cluster.nodeIds.entries()) {
      const port = KAFKA_PORT + 2 * i;
      if (!cluster.running(id) && (await portOpen(port)))
        throw new Error(`port ${port} is taken by a process that is not a Kafka broker of this stack we can talk to`);
    }
    log(brokers === 1 ? 'starting Kafka (KRaft, one node)…' : `starting Kafka (KRaft, ${brokers} nodes on ${cluster.brokers.join(', ')})…`);
    recordStarted('kafka');
    await cluster.start();
  }
  fs.writeFileSync(modeFile, JSON.stringify({ brokers }));
  return cluster;
}

/**
 * Brings the stack up. `brokers` unset keeps the mode that runs (or was last brought up),
 * else one node: so the tests and the demo run on whichever Kafka the stack has.
 */
export async function stackUp(log: (line: string) => void = console.log, opts: { brokers?: BrokerCount } = {}): Promise<BrokerCount> {
  const running = await runningMode();
  const brokers = opts.brokers ?? running ?? recordedMode() ?? 1;
  const conflict = modeConflict(brokers, running);
  if (conflict) throw new Error(conflict);
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
  const cluster = await ensureKafka(brokers, log);
  if (!(await answers(registryAnswers))) {
    if (runningPid('registry') === undefined) {
      if (await portOpen(REGISTRY_PORT)) throw new Error(`port ${REGISTRY_PORT} is taken by something that is not a schema registry`);
      log('starting the schema registry (Apicurio)…');
      startRegistry(cluster.brokers.join(','));
      recordStarted('registry');
    }
    await waitUntil(
      registryAnswers,
      UP_TIMEOUT_MS.registry,
      `the schema registry on ${REGISTRY_URL} (see .flashsale/stack/logs/registry.out)`,
    );
  }
  return brokers;
}

async function kafkaStatus(started: Set<Part>): Promise<PartStatus[]> {
  const mode = (await runningMode()) ?? recordedMode() ?? 1;
  const cluster = stackKafka(mode);
  if (mode === 1) {
    const healthy = await answers(kafkaAnswers);
    const note = partitionsNote(paths.kafkaData);
    return [{ part: 'kafka', address: cluster.brokers[0]!, healthy, startedByUs: started.has('kafka'), pid: cluster.pid(1), note }];
  }
  const healthy = await Promise.all(cluster.nodeIds.map((id) => cluster.answering(id)));
  const leads = await cluster.leaders().catch(() => []);
  return cluster.nodeIds.map((id, i) => {
    const led = leads.filter((p) => p.leader === id && !p.topic.startsWith('__'));
    return {
      part: `kafka-${id}`,
      address: cluster.brokers[i]!,
      healthy: healthy[i]!,
      startedByUs: started.has('kafka'),
      pid: cluster.pid(id),
      note: `leads ${led.length} partition${led.length === 1 ? '' : 's'}`,
    };
  });
}

/**
 * Past this many partitions the single node is near its end: each partition keeps a few files
 * open and two mapped, and the broker died with "Too many open files" (the machine's limit,
 * 20,000 descriptors) holding ~19,900 partitions that runs without teardown had left.
 */
const PARTITIONS_WARNING = 5_000;

/** How many partitions the node keeps in its data folder (those being deleted left out), with a warning past PARTITIONS_WARNING. */
export function partitionsNote(dataDir: string): string | undefined {
  let dirs: string[];
  try {
    dirs = fs.readdirSync(dataDir);
  } catch {
    return undefined; // never started here
  }
  const partitions = dirs.filter((d) => /-\d+$/.test(d)).length;
  const warning =
    partitions > PARTITIONS_WARNING
      ? ': too many for one node; delete the topics of old prefixes (tests drop their own: test/support/testLeftovers.ts)'
      : '';
  return `${partitions} partition${partitions === 1 ? '' : 's'}${warning}`;
}

export async function stackStatus(): Promise<PartStatus[]> {
  const started = new Set(readStarted());
  const [kafka, registry, redis, postgres] = await Promise.all([
    kafkaStatus(started),
    answers(registryAnswers),
    answers(redisAnswers),
    answers(() => postgresAnswers(DATABASE_NAME)),
  ]);
  return [
    ...kafka,
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
  for (const brokers of [3, 1] as const) {
    const cluster = stackKafka(brokers);
    const running = cluster.nodeIds.filter((id) => cluster.running(id));
    if (running.length === 0) continue;
    await cluster.stop();
    log(brokers === 1 ? 'stopped Kafka' : `stopped Kafka (${running.length} of ${brokers} nodes were running)`);
  }
  fs.rmSync(modeFile, { force: true });
  // Redis and PostgreSQL are the machine's; they are left running even when `up` started
  // them, since other projects on the machine share them.
  fs.writeFileSync(startedFile, JSON.stringify(readStarted().filter((p) => p === 'redis' || p === 'postgres')));
}
