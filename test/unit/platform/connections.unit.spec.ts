// A managed Kafka and registry by configuration: TLS files read at start, SASL settings
// checked as a whole, and the settings that expose a password or trust any certificate
// refused in production (warned about elsewhere), each naming its variable.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, PRODUCTION_CHALLENGE_FLOOR, PRODUCTION_SECRET_MIN_BYTES } from '../../../platform/config.js';
import { securityOptions } from '../../../platform/kafka/client.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flashsale-connections-'));
const pem = (name: string) => {
  const file = path.join(dir, name);
  fs.writeFileSync(file, `-----BEGIN CERTIFICATE-----\n${name}\n-----END CERTIFICATE-----\n`);
  return file;
};
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const strong = (label: string) => `${label}-`.padEnd(PRODUCTION_SECRET_MIN_BYTES, 'x');
const production = {
  NODE_ENV: 'production',
  AUTH_SECRET: strong('auth'),
  PAYMENT_TOKEN_KEY: strong('payment'),
  PARTNER_SECRETS: `demo-pay:${strong('demo')}`,
  CHALLENGE_MAX_NUMBER: String(PRODUCTION_CHALLENGE_FLOOR),
};
const scram = { KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512', KAFKA_SASL_USERNAME: 'flashsale', KAFKA_SASL_PASSWORD: 'pw' };

function refusal(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('the configuration was accepted');
}

describe('managed Kafka and registry settings', () => {
  it('connect in plain TCP, without a login, and create topics when nothing is set', () => {
    const config = loadConfig({});
    expect(config.kafkaSecurity).toEqual({});
    expect(config.kafkaTopics).toBe('create');
    expect(config.schemaRegistryAccess).toEqual({});
    expect(config.connectionWarnings).toEqual([]);
    expect(securityOptions(config.kafkaSecurity)).toEqual({});
  });

  it('read the TLS files at start and hand kafkajs their PEM text with the SASL login', () => {
    const config = loadConfig({
      KAFKA_TLS_CA_FILE: pem('ca.pem'),
      KAFKA_TLS_CERT_FILE: pem('client.pem'),
      KAFKA_TLS_KEY_FILE: pem('client.key'),
      ...scram,
    });
    expect(config.kafkaSecurity.tls).toEqual({
      ca: expect.stringContaining('ca.pem') as string,
      cert: expect.stringContaining('client.pem') as string,
      key: expect.stringContaining('client.key') as string,
      rejectUnauthorized: true,
    });
    expect(securityOptions(config.kafkaSecurity)).toMatchObject({
      ssl: { rejectUnauthorized: true },
      sasl: { mechanism: 'scram-sha-512', username: 'flashsale', password: 'pw' },
    });
    // A managed cluster with a public CA: TLS on, Node's own CAs.
    expect(loadConfig({ KAFKA_TLS: 'true' }).kafkaSecurity).toEqual({ tls: { rejectUnauthorized: true } });
  });

  it.each([
    [{ KAFKA_TLS: 'maybe' }, /KAFKA_TLS: true or false/],
    [{ KAFKA_TLS_CA_FILE: path.join(dir, 'absent.pem') }, /KAFKA_TLS_CA_FILE: cannot read .*absent\.pem: ENOENT/],
    [{ KAFKA_TLS_CERT_FILE: pem('only-cert.pem') }, /KAFKA_TLS_KEY_FILE: a client certificate needs both/],
    [{ KAFKA_SASL_MECHANISM: 'gssapi' }, /KAFKA_SASL_MECHANISM/],
    [{ KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'u' }, /KAFKA_SASL_PASSWORD: SASL plain needs it/],
    [{ KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' }, /KAFKA_SASL_MECHANISM: credentials are set but no mechanism/],
    [{ KAFKA_TOPICS: 'maybe' }, /KAFKA_TOPICS/],
    [{ SCHEMA_REGISTRY_USERNAME: 'key' }, /SCHEMA_REGISTRY_PASSWORD: registry credentials need both/],
    [{ SCHEMA_REGISTRY_CA_FILE: path.join(dir, 'absent.pem') }, /SCHEMA_REGISTRY_CA_FILE: cannot read/],
  ])('refuse %o, naming the variable', (env, reason) => {
    expect(refusal(env)).toMatch(reason);
  });

  it.each([
    [{ KAFKA_TLS: 'true', KAFKA_TLS_REJECT_UNAUTHORIZED: 'false' }, /KAFKA_TLS_REJECT_UNAUTHORIZED is false/],
    [{ KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' }, /plain without KAFKA_TLS/],
    [
      { SCHEMA_REGISTRY_USERNAME: 'key', SCHEMA_REGISTRY_PASSWORD: 'secret' },
      /SCHEMA_REGISTRY_PASSWORD is set but SCHEMA_REGISTRY_URL is not https/,
    ],
  ])('production refuses %o; elsewhere it is warned about', (env, reason) => {
    expect(refusal({ ...production, ...env })).toMatch(/^refusing to run in production/);
    expect(refusal({ ...production, ...env })).toMatch(reason);
    expect(loadConfig(env).connectionWarnings.join('\n')).toMatch(reason);
  });

  it('warns, even in production, about SCRAM without TLS (the password stays home, the events do not)', () => {
    const config = loadConfig({ ...production, ...scram });
    expect(config.connectionWarnings).toEqual(['KAFKA_SASL_MECHANISM is scram-sha-512 without KAFKA_TLS: the events travel unencrypted']);
    const managed = loadConfig({
      ...production,
      ...scram,
      KAFKA_TLS: 'true',
      KAFKA_TOPICS: 'verify',
      SCHEMA_REGISTRY_URL: 'https://registry.example/',
      SCHEMA_REGISTRY_USERNAME: 'key',
      SCHEMA_REGISTRY_PASSWORD: 'secret',
      SCHEMA_REGISTRY_CA_FILE: pem('registry-ca.pem'),
    });
    expect(managed.connectionWarnings).toEqual([]);
    expect(managed.kafkaTopics).toBe('verify');
    expect(managed.schemaRegistryAccess).toEqual({
      auth: { username: 'key', password: 'secret' },
      ca: expect.stringContaining('registry-ca.pem') as string,
    });
  });
});
