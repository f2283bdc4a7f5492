// The kafkajs client, configured once from Config (brokers, TLS, SASL). kafkajs's own logs go
// through pino.
import { type Admin, Kafka, type KafkaConfig, logLevel, type LogEntry } from 'kafkajs';
import type { Config } from '../config.js';
import type { KafkaSecurity } from '../connections.js';
import { FlashsaleError, reasonOf } from '../errors.js';
import type { Logger } from '../log.js';

const levels: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/** kafkajs's `ssl` and `sasl` options for the configured security (nothing: plain TCP, no login). */
export function securityOptions(security: KafkaSecurity): Pick<KafkaConfig, 'ssl' | 'sasl'> {
  const { tls, sasl } = security;
  return {
    ...(tls ? { ssl: tls } : {}),
    // One object per mechanism in kafkajs's types; the three share this shape.
    ...(sasl ? { sasl: { mechanism: sasl.mechanism, username: sasl.username, password: sasl.password } as KafkaConfig['sasl'] } : {}),
  };
}

/** The brokers refused this process's login or TLS handshake: fix the named settings; retrying will not help. */
export class KafkaAccessError extends FlashsaleError {
  override name = 'KafkaAccessError';
  readonly retriable = false;
}

const TLS_FAILURE = /certificate|self[- ]signed|SSL|TLS|handshake|unable to verify|EPROTO/i;

/**
 * Connects an admin client, turning a refused login or a failed TLS handshake into one line
 * that names the settings to check (kafkajs's own message is kept at the end).
 */
export async function connectAdmin(admin: Admin, config: Pick<Config, 'kafkaBrokers' | 'kafkaSecurity'>): Promise<void> {
  try {
    await admin.connect();
  } catch (err) {
    const { sasl, tls } = config.kafkaSecurity;
    const where = config.kafkaBrokers.join(',');
    if ((err as Error).name === 'KafkaJSSASLAuthenticationError' && sasl)
      throw new KafkaAccessError(
        `Kafka at ${where} refused the SASL ${sasl.mechanism.toUpperCase()} login of user "${sasl.username}" (check KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD, KAFKA_SASL_MECHANISM): ${reasonOf(err)}`,
        { cause: err },
      );
    if (tls && TLS_FAILURE.test(causes(err)))
      throw new KafkaAccessError(
        `TLS to Kafka at ${where} failed (check KAFKA_TLS_CA_FILE, KAFKA_TLS_CERT_FILE, KAFKA_TLS_KEY_FILE): ${causes(err)}`,
        { cause: err },
      );
    throw err;
  }
}

/** The messages of an error and its causes, joined: kafkajs wraps a socket's failure in its retry errors. */
function causes(err: unknown): string {
  const messages: string[] = [];
  for (let e: unknown = err; e instanceof Error && messages.length < 5; e = e.cause) messages.push(e.message);
  return messages.join(': ');
}

export function createKafka(config: Pick<Config, 'kafkaBrokers' | 'kafkaSecurity'>, clientId: string, log: Logger): Kafka {
  process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
  const kafkaLog = log.child({ component: 'kafkajs' });
  return new Kafka({
    clientId,
    brokers: config.kafkaBrokers,
    ...securityOptions(config.kafkaSecurity),
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
