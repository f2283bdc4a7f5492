// One node of a KRaft cluster (stack/kafkaCluster.ts): its ports and folders, the
// server.properties it runs with, the java command that formats and runs it, and whether
// the process in its pid file is still it.
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { paths } from './paths.js';
import { run, sleep } from './process.js';

/** Where a node keeps its config, data, logs and pid file. */
export type NodeDirs = { configDir: string; dataDir: string; logsDir: string; pidFile: string };

export type ProxiedPorts = { listenPort(nodeId: number): number; advertisedPort(nodeId: number): number };

export type ClusterSpec = {
  nodes: number;
  firstPort: number;
  root: string;
  heap?: string;
  /**
   * A second client listener per node for a proxy: `true` for the default ports (node i
   * listens on firstPort + 100 + 2(i-1) and advertises firstPort + 200 + 2(i-1)), or your own.
   */
  proxied?: boolean | ProxiedPorts;
  /** Where each node keeps its files, when not root/node-i (the stack's single node keeps its older layout). */
  layout?: (nodeId: number) => NodeDirs;
  /** Bounded waits, in ms: start (every node answers; default 120 s) and restart (answers, then back in the ISR; default 120 s each: on two loaded cores a restart took 45 s). */
  startTimeoutMs?: number;
  restartTimeoutMs?: number;
  /** How long stop() waits after SIGTERM before SIGKILL (default 30 s). */
  stopTimeoutMs?: number;
  /**
   * How long the controller waits for a broker's heartbeat before it fences the broker (and
   * moves its leaderships); Kafka's default is 9 s. A fault suite shortens it so that a broker
   * paused for a few seconds is paused past it.
   */
  brokerSessionTimeoutMs?: number;
};

/** One more client listener: its name, protocol, port and `listener.name.<name>.*` settings (TLS stores, SASL mechanisms, JAAS). */
export type SecureListener = {
  name: string;
  protocol: 'SSL' | 'SASL_SSL' | 'SASL_PLAINTEXT';
  port: number;
  settings: Record<string, string>;
};

/** One node as its server.properties sees it. */
export type NodeConfig = NodeDirs & {
  id: number;
  port: number;
  controllerPort: number;
  proxied?: { listenPort: number; advertisedPort: number };
  /** Client listeners beside the PLAINTEXT one (which brokers and readiness checks keep using): a test of TLS or SASL. */
  secureListeners?: SecureListener[];
  /** SCRAM users written into the storage when it is formatted (Kafka's `--add-scram`), e.g. `SCRAM-SHA-512=[name=u,password=p]`. */
  scramUsers?: string[];
  /** ClusterSpec.brokerSessionTimeoutMs. */
  brokerSessionTimeoutMs?: number;
};

export function defaultLayout(root: string): (nodeId: number) => NodeDirs {
  return (id) => {
    const dir = path.join(root, `node-${id}`);
    return { configDir: dir, dataDir: path.join(dir, 'data'), logsDir: path.join(dir, 'logs'), pidFile: path.join(dir, 'kafka.pid') };
  };
}

const defaultProxiedPorts = (firstPort: number): ProxiedPorts => ({
  listenPort: (id) => firstPort + 100 + 2 * (id - 1),
  advertisedPort: (id) => firstPort + 200 + 2 * (id - 1),
});

export function clusterNodes(spec: ClusterSpec): NodeConfig[] {
  const layout = spec.layout ?? defaultLayout(spec.root);
  const proxied = spec.proxied === true ? defaultProxiedPorts(spec.firstPort) : spec.proxied || undefined;
  return Array.from({ length: spec.nodes }, (_, i) => {
    const id = i + 1;
    return {
      id,
      port: spec.firstPort + 2 * i,
      controllerPort: spec.firstPort + 2 * i + 1,
      ...layout(id),
      ...(proxied ? { proxied: { listenPort: proxied.listenPort(id), advertisedPort: proxied.advertisedPort(id) } } : {}),
      ...(spec.brokerSessionTimeoutMs ? { brokerSessionTimeoutMs: spec.brokerSessionTimeoutMs } : {}),
    };
  });
}

/**
 * The replication of the internal topics and the topic defaults: with three or more nodes,
 * three copies of which two must have a write (one node may be lost without losing an
 * acknowledged write or refusing new ones); with fewer, what the nodes can hold.
 */
function replication(nodes: number): { rf: number; minIsr: number } {
  const rf = Math.min(3, nodes);
  return { rf, minIsr: rf >= 3 ? 2 : 1 };
}

export function serverProperties(node: NodeConfig, voters: NodeConfig[]): string {
  const { rf, minIsr } = replication(voters.length);
  const listeners = [`PLAINTEXT://127.0.0.1:${node.port}`, `CONTROLLER://127.0.0.1:${node.controllerPort}`];
  const advertised = [`PLAINTEXT://127.0.0.1:${node.port}`];
  const protocols = ['PLAINTEXT:PLAINTEXT', 'CONTROLLER:PLAINTEXT'];
  if (node.proxied) {
    listeners.push(`PROXIED://127.0.0.1:${node.proxied.listenPort}`);
    advertised.push(`PROXIED://127.0.0.1:${node.proxied.advertisedPort}`);
    protocols.push('PROXIED:PLAINTEXT');
  }
  const secure = node.secureListeners ?? [];
  for (const l of secure) {
    listeners.push(`${l.name}://127.0.0.1:${l.port}`);
    advertised.push(`${l.name}://127.0.0.1:${l.port}`);
    protocols.push(`${l.name}:${l.protocol}`);
  }
  const secureSettings = secure.flatMap((l) =>
    Object.entries(l.settings).map(([key, value]) => `listener.name.${l.name.toLowerCase()}.${key}=${value}`),
  );
  // A heartbeat a quarter of the session, as Kafka's defaults (2 s of 9 s) roughly keep it.
  const session = node.brokerSessionTimeoutMs
    ? [
        `broker.session.timeout.ms=${node.brokerSessionTimeoutMs}`,
        `broker.heartbeat.interval.ms=${Math.max(250, Math.floor(node.brokerSessionTimeoutMs / 4))}`,
      ]
    : [];
  return [
    'process.roles=broker,controller',
    `node.id=${node.id}`,
    `controller.quorum.voters=${voters.map((v) => `${v.id}@127.0.0.1:${v.controllerPort}`).join(',')}`,
    `listeners=${listeners.join(',')}`,
    `advertised.listeners=${advertised.join(',')}`,
    'controller.listener.names=CONTROLLER',
    // Brokers talk to each other on PLAINTEXT only, never through the proxied listener.
    'inter.broker.listener.name=PLAINTEXT',
    `listener.security.protocol.map=${protocols.join(',')}`,
    ...secureSettings,
    ...session,
    `log.dirs=${node.dataDir}`,
    'num.partitions=1',
    // Every internal topic must accept the replication the cluster can hold: with one node a
    // factor of 1, or kafkajs consumers never find their group coordinator and transactions
    // never start.
    `offsets.topic.replication.factor=${rf}`,
    `transaction.state.log.replication.factor=${rf}`,
    `transaction.state.log.min.isr=${minIsr}`,
    `share.coordinator.state.topic.replication.factor=${rf}`,
    `share.coordinator.state.topic.min.isr=${minIsr}`,
    `default.replication.factor=${rf}`,
    `min.insync.replicas=${minIsr}`,
    // A replica that missed acknowledged writes must never become leader.
    'unclean.leader.election.enable=false',
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

/** The cluster's id, kept beside the nodes so every node is formatted with the same one. */
function clusterId(file: string): string {
  if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8').trim();
  // 22 chars of base64url, as Kafka's own.
  const id = crypto.randomBytes(16).toString('base64url');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, id);
  return id;
}

/**
 * Writes the node's configuration, formats its storage on first use (with the cluster's id),
 * and answers the java arguments that run it.
 */
export function nodeCommand(node: NodeConfig, voters: NodeConfig[], heap: string, clusterIdFile: string): string[] {
  fs.mkdirSync(node.logsDir, { recursive: true });
  fs.mkdirSync(node.configDir, { recursive: true });
  const props = path.join(node.configDir, 'server.properties');
  const log4jFile = path.join(node.configDir, 'kafka-log4j2.xml');
  fs.writeFileSync(props, serverProperties(node, voters));
  fs.writeFileSync(log4jFile, log4j2(node.logsDir));
  const jvm = ['-Xms256m', `-Xmx${heap}`, `-Dlog4j2.configurationFile=${log4jFile}`, '-cp', classpath()];
  if (!fs.existsSync(path.join(node.dataDir, 'meta.properties'))) {
    // `--cluster-id=` form: one id in 64 starts with '-', which argparse would take for a flag.
    const scram = (node.scramUsers ?? []).flatMap((user) => ['--add-scram', user]);
    run('java', [...jvm, 'kafka.tools.StorageTool', 'format', `--cluster-id=${clusterId(clusterIdFile)}`, '-c', props, ...scram]);
  }
  return [...jvm, 'kafka.Kafka', props];
}

/** The pid in the file if that process is alive, not a zombie, and is this node's Kafka. */
export function livePid(pidFile: string, configDir: string): number | undefined {
  let pid: number;
  try {
    pid = Number(fs.readFileSync(pidFile, 'utf8').trim());
    if (!Number.isInteger(pid) || pid <= 0) return undefined;
    process.kill(pid, 0);
  } catch {
    return undefined;
  }
  try {
    // A reused pid or a reaped-late zombie is not our node (Linux only; elsewhere trust the pid).
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (/^\d+ \(.*\) Z/.test(stat)) return undefined;
    const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    if (!cmdline.includes(path.join(configDir, 'server.properties'))) return undefined;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || fs.existsSync('/proc/self')) return undefined;
  }
  return pid;
}

function gone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return true;
  }
  try {
    return /^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

export async function waitGone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (gone(pid)) return true;
    await sleep(100);
  }
  return gone(pid);
}

/** Starts the node detached (it outlives the command that started it) and writes its pid file. */
export function spawnNode(node: NodeConfig, voters: NodeConfig[], heap: string, clusterIdFile: string): void {
  const args = nodeCommand(node, voters, heap, clusterIdFile);
  const out = fs.openSync(path.join(node.logsDir, 'kafka.out'), 'a');
  const child = spawn('java', args, { detached: true, stdio: ['ignore', out, out] });
  fs.closeSync(out);
  if (child.pid === undefined) throw new Error(`kafka node ${node.id}: could not start java`);
  child.unref();
  fs.writeFileSync(node.pidFile, String(child.pid));
}

/** SIGTERM to every running node, then SIGKILL to any still alive after the timeout. */
export async function stopNodes(nodes: NodeConfig[], timeoutMs: number): Promise<void> {
  const pids = nodes.flatMap((n) => {
    const p = livePid(n.pidFile, n.configDir);
    fs.rmSync(n.pidFile, { force: true });
    return p === undefined ? [] : [p];
  });
  for (const p of pids) {
    process.kill(p, 'SIGTERM');
    process.kill(p, 'SIGCONT'); // a paused node cannot act on SIGTERM
  }
  await Promise.all(
    pids.map(async (p) => {
      if (await waitGone(p, timeoutMs)) return;
      process.kill(p, 'SIGKILL');
      await waitGone(p, 10_000);
    }),
  );
}
