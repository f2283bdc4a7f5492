// The stack's Apache Kafka: one KRaft node (broker + controller) on 127.0.0.1:9092, or with
// `stack up --brokers 3` a three-node cluster on 9092/9094/9096. Both are a kafkaCluster
// (stack/kafkaCluster.ts); the single node keeps the file layout it always had
// (.flashsale/stack/{server.properties,kafka-data,kafka.pid,logs}).
import path from 'node:path';
import { type ClusterSpec, kafkaCluster, type KafkaCluster, nodeCommand, type NodeConfig, brokerAnswers } from './kafkaCluster.js';
import { KAFKA_VERSION, paths } from './paths.js';

export const KAFKA_PORT = 9092;

export type BrokerCount = 1 | 3;

/** The stack's cluster of 1 or 3 nodes: ports from 9092, the 3-node one in its own folder. */
export function stackClusterSpec(brokers: BrokerCount): ClusterSpec {
  if (brokers === 1)
    return {
      nodes: 1,
      firstPort: KAFKA_PORT,
      root: paths.state,
      heap: '768m',
      stopTimeoutMs: 60_000,
      layout: () => ({
        configDir: paths.state,
        dataDir: paths.kafkaData,
        logsDir: paths.logs,
        pidFile: path.join(paths.state, 'kafka.pid'),
      }),
    };
  return { nodes: 3, firstPort: KAFKA_PORT, root: path.join(paths.state, 'kafka-cluster-3'), heap: '512m' };
}

export function stackKafka(brokers: BrokerCount): KafkaCluster {
  return kafkaCluster(stackClusterSpec(brokers));
}

/** Where a broker listens and keeps its data and logs: a fault test's own single node. */
export type KafkaNode = { port: number; controllerPort: number; dataDir: string; stateDir: string; logsDir: string };

/**
 * Writes a single node's configuration, formats its storage on first use, and answers the
 * java arguments that run it, for a fault test that runs it as its own child.
 */
export function kafkaCommand(node: KafkaNode, heap = '768m'): string[] {
  const config: NodeConfig = {
    id: 1,
    port: node.port,
    controllerPort: node.controllerPort,
    configDir: node.stateDir,
    dataDir: node.dataDir,
    logsDir: node.logsDir,
    pidFile: path.join(node.stateDir, 'kafka.pid'),
  };
  return nodeCommand(config, [config], heap, path.join(node.stateDir, 'cluster.id'));
}

export async function kafkaAnswers(port = KAFKA_PORT): Promise<boolean> {
  return brokerAnswers(port);
}

export { KAFKA_VERSION };
