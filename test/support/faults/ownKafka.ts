// A single-node KRaft Kafka of a fault test's own (stack/kafka.ts's broker on free ports and
// a scratch directory), which the test stops and starts; its data survives a restart.
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { kafkaAnswers, kafkaCommand, type KafkaNode, type SecureListener } from '../../../stack/kafka.js';
import { waitFor } from '../waitFor.js';
import { freePort } from './ports.js';

export type OwnKafka = {
  /** The PLAINTEXT listener. */
  brokers: string;
  /** Each secure listener's address, by its name. */
  secure: Record<string, string>;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** SIGSTOP / SIGCONT the broker: frozen, it keeps its sockets open and answers nothing. */
  pause(): void;
  resume(): void;
  remove(): Promise<void>;
};

/** Secure listeners (TLS, SASL) beside the PLAINTEXT one, on free ports; SCRAM users created when the storage is formatted. */
export type OwnKafkaOptions = { secureListeners?: Omit<SecureListener, 'port'>[]; scramUsers?: string[] };

export async function startOwnKafka({ secureListeners = [], scramUsers = [] }: OwnKafkaOptions = {}): Promise<OwnKafka> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flashsale-kafka-'));
  const listeners: SecureListener[] = [];
  for (const listener of secureListeners) listeners.push({ ...listener, port: await freePort() });
  const node: KafkaNode = {
    port: await freePort(),
    controllerPort: await freePort(),
    dataDir: path.join(dir, 'data'),
    stateDir: dir,
    logsDir: path.join(dir, 'logs'),
    secureListeners: listeners,
    scramUsers,
  };
  let child: ChildProcess | undefined;
  async function start(): Promise<void> {
    const out = fs.openSync(path.join(dir, 'kafka.out'), 'a');
    child = spawn('java', kafkaCommand(node, '512m'), { stdio: ['ignore', out, out] });
    fs.closeSync(out);
    await waitFor(() => kafkaAnswers(node.port), { timeoutMs: 90_000, intervalMs: 500, what: `the test's Kafka on ${node.port}` });
  }
  async function stop(): Promise<void> {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => running.once('exit', () => resolve()));
    running.kill('SIGKILL');
    await gone;
  }
  await start();
  return {
    brokers: `127.0.0.1:${node.port}`,
    secure: Object.fromEntries(listeners.map((l) => [l.name, `127.0.0.1:${l.port}`])),
    start,
    stop,
    pause: () => void child?.kill('SIGSTOP'),
    resume: () => void child?.kill('SIGCONT'),
    async remove() {
      await stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
