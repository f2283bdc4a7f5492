// The local Apache Kafka: one KRaft node (broker + controller) on 127.0.0.1:9092, run from
// Maven Central's jars with the machine's default Java (17).
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { KAFKA_VERSION, paths } from './paths.js';
import { run, startDaemon } from './process.js';

export const KAFKA_PORT = 9092;
const CONTROLLER_PORT = 9093;

/** Where a broker listens and keeps its data and logs: the stack's own by default; a fault test passes its own. */
export type KafkaNode = {
  port: number;
  controllerPort: number;
  dataDir: string;
  stateDir: string;
  logsDir: string;
  /** Client listeners beside the PLAINTEXT one (which brokers and readiness checks keep using): a test of TLS or SASL. */
  secureListeners?: SecureListener[];
  /** SCRAM users written into the storage when it is formatted (Kafka's `--add-scram`), e.g. `SCRAM-SHA-512=[name=u,password=p]`. */
  scramUsers?: string[];
};

/** One more listener: its name, protocol, port and `listener.name.<name>.*` settings (TLS stores, SASL mechanisms, JAAS). */
export type SecureListener = {
  name: string;
  protocol: 'SSL' | 'SASL_SSL' | 'SASL_PLAINTEXT';
  port: number;
  settings: Record<string, string>;
};

const stackNode: KafkaNode = {
  port: KAFKA_PORT,
  controllerPort: CONTROLLER_PORT,
  dataDir: paths.kafkaData,
  stateDir: paths.state,
  logsDir: paths.logs,
};

function serverProperties(node: KafkaNode): string {
  const extra = node.secureListeners ?? [];
  const clients = [`PLAINTEXT://127.0.0.1:${node.port}`, ...extra.map((l) => `${l.name}://127.0.0.1:${l.port}`)];
  return [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${node.controllerPort}`,
    `listeners=${[...clients, `CONTROLLER://127.0.0.1:${node.controllerPort}`].join(',')}`,
    `advertised.listeners=${clients.join(',')}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    `listener.security.protocol.map=${['PLAINTEXT:PLAINTEXT', 'CONTROLLER:PLAINTEXT', ...extra.map((l) => `${l.name}:${l.protocol}`)].join(',')}`,
    ...extra.flatMap((l) => Object.entries(l.settings).map(([key, value]) => `listener.name.${l.name.toLowerCase()}.${key}=${value}`)),
    `log.dirs=${node.dataDir}`,
    'num.partitions=1',
    // One node: every internal topic must accept a replication factor of 1, or kafkajs
    // consumers never find their group coordinator and transactions never start.
    'offsets.topic.replication.factor=1',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    'group.initial.rebalance.delay.ms=0',
    'auto.create.topics.enable=false',
    // Audit topics are kept forever by their own topic config; this is only the fallback.
    'log.retention.hours=-1',
    '',
  ].join('\n');
}

const log4j2 = (logsDir: string) => `<?xml version="1.0" encoding="UTF-8"?>
<Configuration status="WARN">
  <Appenders>
    <File name="file" fileName="${path.join(logsDir, 'kafka.log')}">
      <PatternLayout pattern="[%d] %p %m (%c)%n"/>
    </File>
  </Appenders>
  <Loggers>
    <Logger name="kafka" level="INFO"/>
    <Logger name="org.apache.kafka" level="INFO"/>
    <Logger name="state.change.logger" level="WARN"/>
    <Root level="WARN"><AppenderRef ref="file"/></Root>
  </Loggers>
</Configuration>
`;

function classpath(): string {
  return fs
    .readdirSync(paths.kafkaLibs)
    .filter((f) => f.endsWith('.jar'))
    .map((f) => path.join(paths.kafkaLibs, f))
    .join(':');
}

/**
 * Writes the node's configuration, formats its storage on first use, and answers the java
 * arguments that run it: the stack starts them as its daemon, a fault test as its own child.
 */
export function kafkaCommand(node: KafkaNode = stackNode, heap = '768m'): string[] {
  fs.mkdirSync(node.logsDir, { recursive: true });
  fs.mkdirSync(node.stateDir, { recursive: true });
  const props = path.join(node.stateDir, 'server.properties');
  const log4jFile = path.join(node.stateDir, 'kafka-log4j2.xml');
  fs.writeFileSync(props, serverProperties(node));
  fs.writeFileSync(log4jFile, log4j2(node.logsDir));
  const cp = classpath();
  const jvm = ['-Xms256m', `-Xmx${heap}`, `-Dlog4j2.configurationFile=${log4jFile}`, '-cp', cp];
  if (!fs.existsSync(path.join(node.dataDir, 'meta.properties'))) {
    // First start: format the storage with a fresh cluster id (22 chars of base64url, as Kafka's own).
    const clusterId = crypto.randomBytes(16).toString('base64url');
    // `--cluster-id=` form: one id in 64 starts with '-', which argparse would take for a flag.
    const scram = (node.scramUsers ?? []).flatMap((user) => ['--add-scram', user]);
    run('java', [...jvm, 'kafka.tools.StorageTool', 'format', `--cluster-id=${clusterId}`, '-c', props, ...scram]);
  }
  return [...jvm, 'kafka.Kafka', props];
}

export function startKafka(): number {
  return startDaemon('kafka', 'java', kafkaCommand());
}

export async function kafkaAnswers(port = KAFKA_PORT): Promise<boolean> {
  const kafka = new Kafka({
    clientId: 'flashsale-stack',
    brokers: [`127.0.0.1:${port}`],
    connectionTimeout: 1000,
    requestTimeout: 2000,
    retry: { retries: 0 },
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.length > 0 && cluster.controller !== null;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

export { KAFKA_VERSION };
