// The kafkajs client, configured once from Config. kafkajs's own logs go through pino.
import { Kafka, logLevel, type LogEntry } from 'kafkajs';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';

const levels: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

export function createKafka(config: Pick<Config, 'kafkaBrokers'>, clientId: string, log: Logger): Kafka {
  process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
  const kafkaLog = log.child({ component: 'kafkajs' });
  return new Kafka({
    clientId,
    brokers: config.kafkaBrokers,
    // kafkajs logs every retried coordinator lookup as an error; they are expected while a
    // one-node cluster loads its internal topics, so they are demoted to debug.
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log: entry }: LogEntry) => {
        const { message, ...rest } = entry;
        const lvl =
          level === logLevel.ERROR && /coordinator|concurrent operation/i.test(String(rest.error ?? ''))
            ? 'debug'
            : (levels[level] ?? 'info');
        kafkaLog[lvl]({ ...rest, namespace: undefined }, message);
      },
  });
}
