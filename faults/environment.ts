// The parts the suite owns, brought up once and kept between runs: its own redis-server
// (snapshots on disk, so it can come back from one), its own PostgreSQL cluster, its own
// Kafka (one node, or a three-node cluster), and TCP proxies between the system and each of
// them. The shared schema registry (:8081) serves them all; each run has its own topic prefix
// (which also prefixes its Redis keys) and its own Postgres schema.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { kafkaCluster } from '../stack/kafkaCluster.js';
import { onWorkerExit } from '../test/support/faults/cleanup.js';
import { startOwnKafka, type OwnKafka } from '../test/support/faults/ownKafka.js';
import { startOwnPostgres, type OwnPostgres } from '../test/support/faults/ownPostgres.js';
import { startOwnRedis, type OwnRedis } from '../test/support/faults/ownRedis.js';
import { freePortRange } from '../test/support/faults/ports.js';
import { startTcpProxy, type TcpProxy } from '../test/support/faults/tcpProxy.js';
import { type ProxiedPart, SESSION_TIMEOUTS_MS } from './schedule.js';

/** The Kafka the system runs on, and how the nemeses break it. */
export type KafkaUnderTest = {
  /** The bootstrap list the system uses (through the proxies when there are). */
  systemBrokers: string;
  /** A direct bootstrap list, for the suite's own reads. */
  directBrokers: string;
  nodes: number;
  /** Kills (SIGKILL) the node leading the partition now; returns what brings it back. */
  killLeader(topic: string, partition: number): Promise<() => Promise<void>>;
  pauseLeader(topic: string, partition: number): Promise<() => void>;
  /**
   * Waits until the cluster is whole again: every replica back in its ISR. A healed broker
   * rejoins in the background (40 s and more on two loaded cores, while the sale goes on); a
   * broker nemesis waits for this before it strikes, so no two brokers are ever out at once.
   */
  whenWhole(): Promise<void>;
  /** Proxies in front of every node, when the cluster advertises them. */
  proxies: TcpProxy[];
  stop(): Promise<void>;
};

export type Environment = {
  redis: OwnRedis;
  postgres: OwnPostgres;
  kafka: KafkaUnderTest;
  proxies: Record<ProxiedPart, TcpProxy[]>;
  /** What the system is pointed at. */
  systemRedisUrl: string;
  systemDatabaseUrl: string;
  stop(): Promise<void>;
};

async function singleBroker(): Promise<KafkaUnderTest> {
  const kafka: OwnKafka = await startOwnKafka();
  return {
    systemBrokers: kafka.brokers,
    directBrokers: kafka.brokers,
    nodes: 1,
    async killLeader() {
      await kafka.stop();
      return () => kafka.start();
    },
    async pauseLeader() {
      kafka.pause();
      return () => kafka.resume();
    },
    whenWhole: async () => undefined,
    proxies: [],
    stop: () => kafka.remove(),
  };
}

export async function startEnvironment({ brokers }: { brokers: 1 | 3 }): Promise<Environment> {
  // One after the other: on two busy cores a JVM starting beside initdb starves a redis-server's first answer.
  const redis = await startOwnRedis({ persistence: 'rdb' });
  const postgres = await startOwnPostgres();
  const kafka = brokers === 3 ? await cluster(3) : await singleBroker();
  const redisProxy = await startTcpProxy({ host: '127.0.0.1', port: redis.port });
  const postgresProxy = await startTcpProxy({ host: '127.0.0.1', port: postgres.port });
  return {
    redis,
    postgres,
    kafka,
    proxies: { kafka: kafka.proxies, redis: [redisProxy], postgres: [postgresProxy] },
    systemRedisUrl: `redis://127.0.0.1:${redisProxy.port}`,
    systemDatabaseUrl: `postgres://postgres@127.0.0.1:${postgresProxy.port}/flashsale`,
    async stop() {
      await Promise.all([redisProxy.close(), postgresProxy.close(), ...kafka.proxies.map((p) => p.close())]);
      await Promise.allSettled([kafka.stop(), redis.stop(), postgres.destroy()]);
    },
  };
}

/**
 * A KRaft cluster of the suite's own (stack/kafkaCluster.ts) on a free port range, with the
 * proxied listener: the system bootstraps from the proxy addresses, so a proxy fault cuts or
 * slows all its Kafka traffic, while the nodes replicate among themselves directly.
 */
async function cluster(nodes: number): Promise<KafkaUnderTest> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'flashsale-nemesis-kafka-'));
  const c = kafkaCluster({
    nodes,
    firstPort: await freePortRange(nodes * 2, [100, 200]),
    root,
    proxied: true,
    brokerSessionTimeoutMs: SESSION_TIMEOUTS_MS.broker,
  });
  // The nodes are detached processes: whatever ends the suite, they end with it.
  const forget = onWorkerExit(() => {
    for (const id of c.nodeIds) {
      const pid = c.pid(id);
      if (pid) process.kill(pid, 'SIGKILL');
    }
    fs.rmSync(root, { recursive: true, force: true });
  });
  // The proxies bind their ports before the nodes start: the free range overlaps the ephemeral
  // ports, and a node's outbound connections took one of them while the cluster started.
  const proxies = await Promise.all(c.proxyRoutes.map((r) => startTcpProxy({ host: '127.0.0.1', port: r.to }, r.from)));
  await c.start();
  return {
    systemBrokers: c.proxiedBrokers.join(','),
    directBrokers: c.brokers.join(','),
    nodes,
    async killLeader(topic, partition) {
      const leader = await c.leaderOf(topic, partition);
      await c.kill(leader);
      return () => c.restart(leader, { untilInSync: false });
    },
    async pauseLeader(topic, partition) {
      const leader = await c.leaderOf(topic, partition);
      c.pause(leader);
      return () => c.resume(leader);
    },
    whenWhole: () => c.whenInSync(),
    proxies,
    async stop() {
      await c.stop();
      fs.rmSync(root, { recursive: true, force: true });
      forget();
    },
  };
}
