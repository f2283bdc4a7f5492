// A KRaft Kafka of one or more combined broker+controller nodes on loopback, run from Maven
// Central's jars with the machine's default Java (17). The stack's single node is the 1-node
// case of this; `stack up --brokers 3` and the fault suites run three.
//
// Node i (1..n): client port firstPort + 2(i-1), controller port firstPort + 2(i-1) + 1, config
// in root/node-i, data in root/node-i/data, logs in root/node-i/logs, pid in root/node-i/kafka.pid.
// Every node votes in the controller quorum. The processes are detached with pid files, so any
// process that knows the spec (a fault suite, `stack status`) can open the same cluster and
// kill, restart, pause or stop its nodes.
//
// The proxied listener (spec.proxied): each node also listens for clients on a second port
// and advertises a third, so a fault suite can put a TCP proxy it controls (advertised →
// listen) between the system and Kafka. A client bootstrapping from `proxiedBrokers` is handed
// the advertised (proxy) addresses in metadata, so all its traffic crosses the proxy; the
// inter-broker (PLAINTEXT) and controller (CONTROLLER) listeners never do, so a cut
// between the system and Kafka is not also a cut inside the cluster.
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { type ClusterSpec, clusterNodes, livePid, type NodeConfig, spawnNode, stopNodes, waitGone } from './kafkaNode.js';
import { waitUntil } from './process.js';

export type { ClusterSpec, NodeConfig, NodeDirs, ProxiedPorts } from './kafkaNode.js';
export { clusterNodes, nodeCommand, serverProperties } from './kafkaNode.js';

export type KafkaCluster = {
  brokers: string[];
  nodeIds: number[];
  /** With spec.proxied: the advertised (proxy-side) addresses, and the routes the proxy must forward. */
  proxiedBrokers: string[];
  proxyRoutes: { from: number; to: number }[];
  start(): Promise<void>;
  stop(): Promise<void>;
  kill(nodeId: number): Promise<void>;
  /** Kills (-9) and starts the node again; by default waits until it is back in the ISR of every partition it holds. */
  restart(nodeId: number, opts?: { untilInSync?: boolean }): Promise<void>;
  /** Waits until every replica of every partition is in its partition's ISR (the cluster whole again after a fault). */
  whenInSync(): Promise<void>;
  pause(nodeId: number): void;
  resume(nodeId: number): void;
  running(nodeId: number): boolean;
  pid(nodeId: number): number | undefined;
  /** Node ids that answer a metadata request on their own client port. */
  answering(nodeId: number): Promise<boolean>;
  leaderOf(topic: string, partition: number): Promise<number>;
  /** topic → partition → leader, for every topic (internal ones included). */
  leaders(): Promise<PartitionState[]>;
};

function adminOf(brokers: string[]) {
  return new Kafka({
    clientId: 'flashsale-stack',
    brokers,
    connectionTimeout: 1000,
    requestTimeout: 3000,
    retry: { retries: 0 },
    logLevel: logLevel.NOTHING,
  }).admin();
}

/** The broker on this port answers metadata, with a controller and (if given) at least that many brokers registered. */
export async function brokerAnswers(port: number, expectBrokers = 1): Promise<boolean> {
  const admin = adminOf([`127.0.0.1:${port}`]);
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.length >= expectBrokers && cluster.controller !== null;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** Runs `use` with an admin client bootstrapped from these brokers. */
async function withAdmin<T>(brokers: string[], use: (admin: ReturnType<typeof adminOf>) => Promise<T>): Promise<T> {
  if (brokers.length === 0) throw new Error('no node of the cluster is running');
  const admin = adminOf(brokers);
  try {
    await admin.connect();
    return await use(admin);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

export type PartitionState = { topic: string; partition: number; leader: number; replicas: number[]; isr: number[] };

function partitionStates(brokers: string[]): Promise<PartitionState[]> {
  return withAdmin(brokers, async (admin) => {
    const names = await admin.listTopics();
    const { topics } = await admin.fetchTopicMetadata({ topics: names });
    return topics.flatMap((t) =>
      t.partitions.map((p) => ({ topic: t.name, partition: p.partitionId, leader: p.leader, replicas: p.replicas, isr: p.isr })),
    );
  });
}

function leaderVia(brokers: string[], topic: string, partition: number): Promise<number> {
  return withAdmin(brokers, async (admin) => {
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
    const found = topics[0]?.partitions.find((p) => p.partitionId === partition);
    if (!found) throw new Error(`no partition ${topic}/${partition} in the metadata`);
    return found.leader;
  });
}

const allInSync = (partitions: readonly PartitionState[]) => partitions.every((p) => p.replicas.every((r) => p.isr.includes(r)));

export function kafkaCluster(spec: ClusterSpec): KafkaCluster {
  const heap = spec.heap ?? '512m';
  const nodes = clusterNodes(spec);
  const clusterIdFile = path.join(spec.root, 'cluster.id');
  const nodeOf = (id: number): NodeConfig => {
    const node = nodes.find((n) => n.id === id);
    if (!node) throw new Error(`the cluster has no node ${id} (nodes 1..${nodes.length})`);
    return node;
  };
  const pid = (id: number) => livePid(nodeOf(id).pidFile, nodeOf(id).configDir);
  const running = (id: number) => pid(id) !== undefined;
  const answering = (id: number) => brokerAnswers(nodeOf(id).port, nodes.length).catch(() => false);
  const live = () => nodes.filter((n) => running(n.id)).map((n) => `127.0.0.1:${n.port}`);
  const leaders = () => partitionStates(live());
  const signal = (id: number, sig: NodeJS.Signals) => {
    const p = pid(id);
    if (p === undefined) throw new Error(`kafka node ${id} is not running`);
    process.kill(p, sig);
  };
  async function kill(id: number): Promise<void> {
    const p = pid(id);
    if (p === undefined) return;
    process.kill(p, 'SIGKILL');
    if (!(await waitGone(p, 10_000))) throw new Error(`kafka node ${id} (pid ${p}) survived SIGKILL for 10 s`);
  }
  return {
    brokers: nodes.map((n) => `127.0.0.1:${n.port}`),
    nodeIds: nodes.map((n) => n.id),
    proxiedBrokers: nodes.flatMap((n) => (n.proxied ? [`127.0.0.1:${n.proxied.advertisedPort}`] : [])),
    proxyRoutes: nodes.flatMap((n) => (n.proxied ? [{ from: n.proxied.advertisedPort, to: n.proxied.listenPort }] : [])),
    running,
    pid,
    answering,
    leaders,
    async start() {
      for (const node of nodes) if (!running(node.id)) spawnNode(node, nodes, heap, clusterIdFile);
      const what = (n: NodeConfig) => `Kafka node ${n.id} on 127.0.0.1:${n.port} (see ${path.join(n.logsDir, 'kafka.log')})`;
      await Promise.all(nodes.map((n) => waitUntil(() => answering(n.id), spec.startTimeoutMs ?? 120_000, what(n))));
    },
    stop: () => stopNodes(nodes, spec.stopTimeoutMs ?? 30_000),
    kill,
    // A node still running is killed (-9) first: restart means "from a cold process".
    async restart(id, { untilInSync = true } = {}) {
      const timeoutMs = spec.restartTimeoutMs ?? 120_000;
      await kill(id);
      spawnNode(nodeOf(id), nodes, heap, clusterIdFile);
      await waitUntil(() => answering(id), timeoutMs, `Kafka node ${id} after its restart`);
      if (!untilInSync) return;
      const backInIsr = async () => (await leaders()).every((p) => !p.replicas.includes(id) || p.isr.includes(id));
      await waitUntil(backInIsr, timeoutMs, `Kafka node ${id} back in the ISR of its partitions`);
    },
    whenInSync: () => waitUntil(async () => allInSync(await leaders()), spec.restartTimeoutMs ?? 120_000, 'every replica back in its ISR'),
    pause: (id) => signal(id, 'SIGSTOP'),
    resume: (id) => signal(id, 'SIGCONT'),
    leaderOf: (topic, partition) => leaderVia(live(), topic, partition),
  };
}
