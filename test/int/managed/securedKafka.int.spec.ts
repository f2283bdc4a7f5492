// A managed Kafka by configuration, against a broker of the test's own with a SASL_SSL
// listener (SCRAM users made when its storage is formatted, PLAIN users in its JAAS) and a
// mutual-TLS listener, both with certificates of a throwaway CA: the system's start
// (openPlatform, from the environment) connects with SCRAM-SHA-512 over TLS, is refused with
// one clear line for a wrong password or an untrusted certificate, and with KAFKA_TOPICS=verify
// starts on an existing catalog and refuses one that lacks a topic, naming it.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../platform/config.js';
import { connectAdmin, createKafka } from '../../../platform/kafka/client.js';
import { ensureTopics } from '../../../platform/kafka/topics.js';
import { createLogger } from '../../../platform/log.js';
import { openPlatform } from '../../../runtime/platform.js';
import { topicName, topics } from '../../../schemas/topics.js';
import { type OwnKafka, startOwnKafka } from '../../support/faults/ownKafka.js';
import { createTestCa, type TestCa } from '../../support/faults/testCa.js';
import { sampleEvents } from '../../support/sampleEvents.js';

const PASSWORD = 'scram-password-of-the-test';
const log = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
let ca: TestCa;
let kafka: OwnKafka;

beforeAll(async () => {
  ca = createTestCa();
  const tls = {
    'ssl.keystore.type': 'PEM',
    'ssl.keystore.location': ca.serverKeystoreFile,
    'ssl.truststore.type': 'PEM',
    'ssl.truststore.location': ca.caFile,
  };
  const scramModule = 'org.apache.kafka.common.security.scram.ScramLoginModule required;';
  kafka = await startOwnKafka({
    secureListeners: [
      {
        name: 'SASL_SSL',
        protocol: 'SASL_SSL',
        settings: {
          ...tls,
          'sasl.enabled.mechanisms': 'SCRAM-SHA-512,SCRAM-SHA-256,PLAIN',
          'scram-sha-512.sasl.jaas.config': scramModule,
          'scram-sha-256.sasl.jaas.config': scramModule,
          'plain.sasl.jaas.config': `org.apache.kafka.common.security.plain.PlainLoginModule required user_flashsale="${PASSWORD}";`,
        },
      },
      { name: 'MTLS', protocol: 'SSL', settings: { ...tls, 'ssl.client.auth': 'required' } },
    ],
    scramUsers: [`SCRAM-SHA-512=[name=flashsale,password=${PASSWORD}]`, `SCRAM-SHA-256=[name=flashsale,password=${PASSWORD}]`],
  });
});

afterAll(async () => {
  await kafka?.remove();
  ca?.remove();
});

/** The environment of a process on this broker's SASL_SSL listener. */
function scramEnv(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    KAFKA_BROKERS: kafka.secure.SASL_SSL!,
    KAFKA_TLS_CA_FILE: ca.caFile,
    KAFKA_SASL_MECHANISM: 'scram-sha-512',
    KAFKA_SASL_USERNAME: 'flashsale',
    KAFKA_SASL_PASSWORD: PASSWORD,
    TOPIC_PREFIX: `managed-${randomUUID().slice(0, 8)}`,
    LOG_LEVEL: 'silent',
    ...overrides,
  };
}

describe('a managed Kafka by configuration', () => {
  it('starts the system with SCRAM-SHA-512 over TLS: topics created, schemas registered, an event published', async () => {
    const platform = await openPlatform({ ...loadConfig(scramEnv()), opsPort: 0 }, log);
    try {
      await platform.publisher.publish([sampleEvents(`sale-${randomUUID()}`).SaleScheduled]);
      const admin = platform.kafka.admin();
      await admin.connect();
      const offsets = await admin.fetchTopicOffsets(topicName(platform.config.topicPrefix, 'sales'));
      await admin.disconnect();
      expect(offsets.reduce((sum, p) => sum + Number(p.high), 0)).toBe(1);
    } finally {
      await platform.close();
    }
  });

  it('refuses a wrong password at start with one line naming the user and the settings', async () => {
    const start = openPlatform({ ...loadConfig(scramEnv({ KAFKA_SASL_PASSWORD: 'not-the-password' })), opsPort: 0 }, log);
    await expect(start).rejects.toThrow(
      /^Kafka at 127\.0\.0\.1:\d+ refused the SASL SCRAM-SHA-512 login of user "flashsale" \(check KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD, KAFKA_SASL_MECHANISM\): .*authentication failed/i,
    );
  });

  it.each(['scram-sha-256', 'plain'])('logs in with SASL %s over TLS too', async (mechanism) => {
    const config = loadConfig(scramEnv({ KAFKA_SASL_MECHANISM: mechanism }));
    const admin = createKafka(config, 'test-managed', log).admin();
    await connectAdmin(admin, config);
    await expect(admin.listTopics()).resolves.toBeInstanceOf(Array);
    await admin.disconnect();
  });

  it('refuses a broker certificate it cannot check, naming the TLS settings', async () => {
    const { KAFKA_TLS_CA_FILE: _ca, ...withoutCa } = scramEnv({ KAFKA_TLS: 'true' });
    const config = loadConfig(withoutCa);
    const admin = createKafka(config, 'test-managed', log).admin();
    await expect(connectAdmin(admin, config)).rejects.toThrow(/^TLS to Kafka at .* failed \(check KAFKA_TLS_CA_FILE.*\): .*certificate/);
  });

  it('authenticates by client certificate on a mutual-TLS listener', async () => {
    const config = loadConfig({
      KAFKA_BROKERS: kafka.secure.MTLS!,
      KAFKA_TLS_CA_FILE: ca.caFile,
      KAFKA_TLS_CERT_FILE: ca.clientCertFile,
      KAFKA_TLS_KEY_FILE: ca.clientKeyFile,
    });
    const admin = createKafka(config, 'test-managed', log).admin();
    await connectAdmin(admin, config);
    await expect(admin.describeCluster()).resolves.toMatchObject({ brokers: [expect.anything()] });
    await admin.disconnect();
  });

  it('with KAFKA_TOPICS=verify, starts on an existing catalog and refuses one missing a topic, naming it', async () => {
    const env = scramEnv({ KAFKA_TOPICS: 'verify' });
    const prefix = env.TOPIC_PREFIX!;
    const config = loadConfig(env);
    // What an operator provisions ahead (here with the application's own rules), minus one topic.
    const admin = createKafka(config, 'test-managed', log).admin();
    await connectAdmin(admin, config);
    await ensureTopics(admin, prefix);

    const platform = await openPlatform({ ...config, opsPort: 0 }, log);
    await platform.close();

    await admin.deleteTopics({ topics: [topicName(prefix, 'claims')] });
    await admin.disconnect();
    await expect(openPlatform({ ...config, opsPort: 0 }, log)).rejects.toThrow(
      `KAFKA_TOPICS=verify: the cluster does not hold the topic catalog (flashsale topics): missing topics: ${prefix}.flashsale.claims (${topics.find((t) => t.name === 'claims')!.partitions} partitions)`,
    );
  });
});
