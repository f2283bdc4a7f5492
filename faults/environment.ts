// The parts the suite owns, brought up once and kept between runs: its own redis-server
// (snapshots on disk, so it can come back from one), its own PostgreSQL cluster, its own
// Kafka (one node, or a three-node cluster), and TCP proxies between the system and each of
// them. The shared schema registry (:8081) serves them all; each run has its own topic prefix
// (which also prefixes its Redis keys) and its own Postgres schema.
import { startOwnKafka, type OwnKafka } from '../test/support/faults/ownKafka.js';
import { startOwnPostgres, type OwnPostgres } from '../test/support/faults/ownPostgres.js';
import { startOwnRedis, type OwnRedis } from '../test/support/faults/ownRedis.js';
import { startTcpProxy, type TcpProxy } from '../test/support/faults/tcpProxy.js';
import type { ProxiedPart } from './schedule.js';

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
    proxies: [],
    stop: () => kafka.remove(),
  };
}

export async function startEnvironment({ brokers }: { brokers: 1 | 3 }): Promise<Environment> {
  // One after the other: on two busy cores a JVM starting beside initdb starves a redis-server's first answer.
  const redis = await startOwnRedis({ persistence: 'rdb' });
  const postgres = await startOwnPostgres();
  const kafka = brokers === 3 ? await threeBrokers() : await singleBroker();
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

async function threeBrokers(): Promise<KafkaUnderTest> {
  throw new Error('--brokers 3 needs stack/kafkaCluster.ts, which this branch does not have yet');
}
