// How every process reaches a managed Kafka and schema registry: TLS and SASL for the
// brokers, credentials and a CA for the registry, and whether topics are created or only
// verified. Read from the environment by platform/config.ts (these variables are in its table).
import fs from 'node:fs';
import { z } from 'zod';

/** The SASL mechanisms kafkajs speaks without a plug-in of our own. */
export const SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;
export type SaslMechanism = (typeof SASL_MECHANISMS)[number];

export type KafkaSecurity = {
  /** TLS to every broker; absent, plain TCP. Files are read at start: `ca`, `cert` and `key` hold PEM text. */
  tls?: { ca?: string; cert?: string; key?: string; rejectUnauthorized: boolean };
  sasl?: { mechanism: SaslMechanism; username: string; password: string };
};

export type RegistryAccess = {
  /** HTTP basic credentials (Confluent Cloud: the API key and secret). */
  auth?: { username: string; password: string };
  /** PEM text of the CA the registry's https certificate is checked against (else Node's own list). */
  ca?: string;
};

/** `create` (the default): topics missing from the catalog are made at start; `verify`: only checked, for clusters where the application may not create topics. */
export type TopicsMode = 'create' | 'verify';

// Unset and empty mean the same: Compose passes `${VAR:-}` as "".
export const blankIsUnset = <T extends z.ZodTypeAny>(inner: T) => z.preprocess((v) => (v === '' ? undefined : v), inner);
const optionalText = blankIsUnset(z.string().optional());
/** `true`/`false` (also 1/0, yes/no); z.coerce.boolean would read "false" as true. */
const flag = z
  .string()
  .toLowerCase()
  .refine((v) => /^(true|false|1|0|yes|no)$/.test(v), 'true or false')
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

export const connectionsSchema = z.object({
  KAFKA_TLS: flag.default('false'),
  KAFKA_TLS_CA_FILE: optionalText,
  KAFKA_TLS_CERT_FILE: optionalText,
  KAFKA_TLS_KEY_FILE: optionalText,
  // Off only for a test cluster with a certificate nobody can check; production refuses it.
  KAFKA_TLS_REJECT_UNAUTHORIZED: flag.default('true'),
  KAFKA_SASL_MECHANISM: blankIsUnset(z.string().toLowerCase().pipe(z.enum(SASL_MECHANISMS)).optional()),
  KAFKA_SASL_USERNAME: optionalText,
  KAFKA_SASL_PASSWORD: optionalText,
  KAFKA_TOPICS: z.enum(['create', 'verify']).default('create'),
  SCHEMA_REGISTRY_USERNAME: optionalText,
  SCHEMA_REGISTRY_PASSWORD: optionalText,
  SCHEMA_REGISTRY_CA_FILE: optionalText,
});
type Env = z.infer<typeof connectionsSchema>;

export type Connections = { kafkaSecurity: KafkaSecurity; kafkaTopics: TopicsMode; schemaRegistryAccess: RegistryAccess };

/** A setting that cannot work, naming the variable; config.ts refuses it as its ConfigError. */
class ConnectionSettingError extends Error {}

function readPem(variable: string, file: string | undefined): string | undefined {
  if (file === undefined) return undefined;
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConnectionSettingError(`${variable}: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}

function kafkaSecurityOf(c: Env): KafkaSecurity {
  if ((c.KAFKA_TLS_CERT_FILE === undefined) !== (c.KAFKA_TLS_KEY_FILE === undefined))
    throw new ConnectionSettingError('KAFKA_TLS_KEY_FILE: a client certificate needs both KAFKA_TLS_CERT_FILE and KAFKA_TLS_KEY_FILE');
  const anyTlsFile = [c.KAFKA_TLS_CA_FILE, c.KAFKA_TLS_CERT_FILE, c.KAFKA_TLS_KEY_FILE].some((f) => f !== undefined);
  const ca = readPem('KAFKA_TLS_CA_FILE', c.KAFKA_TLS_CA_FILE);
  const cert = readPem('KAFKA_TLS_CERT_FILE', c.KAFKA_TLS_CERT_FILE);
  const key = readPem('KAFKA_TLS_KEY_FILE', c.KAFKA_TLS_KEY_FILE);
  const tls =
    c.KAFKA_TLS || anyTlsFile
      ? {
          ...(ca === undefined ? {} : { ca }),
          ...(cert === undefined ? {} : { cert }),
          ...(key === undefined ? {} : { key }),
          rejectUnauthorized: c.KAFKA_TLS_REJECT_UNAUTHORIZED,
        }
      : undefined;
  const { KAFKA_SASL_MECHANISM: mechanism, KAFKA_SASL_USERNAME: username, KAFKA_SASL_PASSWORD: password } = c;
  if (mechanism === undefined) {
    if (username !== undefined || password !== undefined)
      throw new ConnectionSettingError(`KAFKA_SASL_MECHANISM: credentials are set but no mechanism (${SASL_MECHANISMS.join(', ')})`);
    return tls ? { tls } : {};
  }
  if (username === undefined || password === undefined)
    throw new ConnectionSettingError(`KAFKA_SASL_${username === undefined ? 'USERNAME' : 'PASSWORD'}: SASL ${mechanism} needs it`);
  return { ...(tls ? { tls } : {}), sasl: { mechanism, username, password } };
}

function registryAccessOf(c: Env): RegistryAccess {
  const { SCHEMA_REGISTRY_USERNAME: username, SCHEMA_REGISTRY_PASSWORD: password } = c;
  if ((username === undefined) !== (password === undefined))
    throw new ConnectionSettingError(
      `SCHEMA_REGISTRY_${username === undefined ? 'USERNAME' : 'PASSWORD'}: registry credentials need both a username and a password`,
    );
  const ca = readPem('SCHEMA_REGISTRY_CA_FILE', c.SCHEMA_REGISTRY_CA_FILE);
  return {
    ...(username !== undefined && password !== undefined ? { auth: { username, password } } : {}),
    ...(ca === undefined ? {} : { ca }),
  };
}

/** The settings, or why they cannot work (naming the variable). */
export function connectionsOf(c: Env): Connections | string {
  try {
    return { kafkaSecurity: kafkaSecurityOf(c), kafkaTopics: c.KAFKA_TOPICS, schemaRegistryAccess: registryAccessOf(c) };
  } catch (err) {
    if (err instanceof ConnectionSettingError) return err.message;
    throw err;
  }
}

/**
 * Settings that expose credentials or trust anything: in production a refusal (the first
 * entry with `refuse`), elsewhere a warning at start. SCRAM never sends the password, so
 * SCRAM without TLS is only warned about (the records still travel in the clear).
 */
function connectionRisks(c: Env, registryUrl: string): { message: string; refuse: boolean }[] {
  const tls = c.KAFKA_TLS || [c.KAFKA_TLS_CA_FILE, c.KAFKA_TLS_CERT_FILE, c.KAFKA_TLS_KEY_FILE].some((f) => f !== undefined);
  const risks: { message: string; refuse: boolean }[] = [];
  if (tls && !c.KAFKA_TLS_REJECT_UNAUTHORIZED)
    risks.push({ message: "KAFKA_TLS_REJECT_UNAUTHORIZED is false: any broker's certificate is accepted", refuse: true });
  if (c.KAFKA_SASL_MECHANISM === 'plain' && !tls)
    risks.push({ message: 'KAFKA_SASL_MECHANISM is plain without KAFKA_TLS: the password crosses the network in the clear', refuse: true });
  else if (c.KAFKA_SASL_MECHANISM !== undefined && !tls)
    risks.push({
      message: `KAFKA_SASL_MECHANISM is ${c.KAFKA_SASL_MECHANISM} without KAFKA_TLS: the events travel unencrypted`,
      refuse: false,
    });
  if (c.SCHEMA_REGISTRY_PASSWORD !== undefined && new URL(registryUrl).protocol !== 'https:')
    risks.push({
      message: 'SCHEMA_REGISTRY_PASSWORD is set but SCHEMA_REGISTRY_URL is not https: the password crosses the network in the clear',
      refuse: true,
    });
  return risks;
}

/** What production refuses, or undefined. */
export function connectionRefusal(c: Env, registryUrl: string): string | undefined {
  return connectionRisks(c, registryUrl).find((r) => r.refuse)?.message;
}

/** What is warned about at start (outside production, the refusals too). */
export function connectionWarnings(c: Env, registryUrl: string): string[] {
  return connectionRisks(c, registryUrl).map((r) => (r.refuse ? `${r.message} (NODE_ENV=production refuses it)` : r.message));
}
