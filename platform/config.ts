// Configuration, read and validated once at start into a typed object. Every value has a
// working local default (docs/contract.md, "Configuration"; a unit test keeps that table,
// the README's and this schema to the same variables and defaults).
import { z } from 'zod';
import { FlashsaleError } from './errors.js';

const DEV_AUTH_SECRET = 'flashsale-dev-auth-secret-do-not-use-in-production';
const DEV_PAYMENT_TOKEN_KEY = 'flashsale-dev-payment-token-key-do-not-use-in-production';

export const LOCAL_REGISTRY_PORT = 8081;
export const LOCAL_KAFKA_PORT = 9092;

const partnerSecrets = z.string().transform((raw, ctx) => {
  // "partnerId:secret,partnerId:secret2": a partner listed twice has a rotation secret.
  const secrets = new Map<string, string[]>();
  for (const pair of raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const at = pair.indexOf(':');
    if (at <= 0 || at === pair.length - 1) {
      ctx.addIssue({ code: 'custom', message: `expected partnerId:secret, got "${pair.slice(0, at > 0 ? at : pair.length)}:…"` });
      return z.NEVER;
    }
    const id = pair.slice(0, at);
    secrets.set(id, [...(secrets.get(id) ?? []), pair.slice(at + 1)]);
  }
  return secrets;
});

const schema = z.object({
  KAFKA_BROKERS: z.string().default(`127.0.0.1:${LOCAL_KAFKA_PORT}`),
  SCHEMA_REGISTRY_URL: z.string().url().default(`http://127.0.0.1:${LOCAL_REGISTRY_PORT}/apis/ccompat/v7`),
  REDIS_URL: z.string().default('redis://127.0.0.1:6379'),
  DATABASE_URL: z.string().default('postgres://postgres@127.0.0.1:5432/flashsale'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  // Metrics, liveness and readiness for operators' tooling, in every process; 0 = any free port.
  OPS_PORT: z.coerce.number().int().min(0).max(65535).default(9464),
  TOPIC_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9._-]*$/, 'letters, digits, ".", "_" and "-" only')
    .default(''),
  AUTH_SECRET: z.string().min(16).optional(),
  PARTNER_SECRETS: partnerSecrets.default('demo-pay:dev-secret'),
  PAYMENT_TOKEN_KEY: z.string().min(16).optional(),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  RECONCILIATION_GRACE_SECONDS: z.coerce.number().int().min(0).default(60),
  // Generous by default: the demo and the bench send whole crowds from one IP.
  RATE_LIMIT_USER_PER_SEC: z.coerce.number().int().positive().default(20),
  RATE_LIMIT_IP_PER_SEC: z.coerce.number().int().positive().default(2000),
  // Per partner, counted once the signature holds: a partner's webhooks come one per payment or refund.
  RATE_LIMIT_PARTNER_PER_SEC: z.coerce.number().int().positive().default(1000),
  // Entries one user may hold in one sale before claiming with one of them (409 beyond): a
  // shopper needs one; each entry is a Kafka record kept for good.
  MAX_OPEN_ENTRIES_PER_USER: z.coerce.number().int().min(1).max(1000).default(5),
  // `{partnerId}` is replaced by the sale's partner; the token travels as `?token=`.
  PAYMENT_PAGE_URL: z
    .string()
    .refine((t) => URL.canParse(t.replaceAll('{partnerId}', 'p')), 'a URL, optionally with {partnerId}')
    .default('https://pay.example/{partnerId}/checkout'),
  // ALTCHA difficulty: the solver tries up to this many numbers (half on average). Kept low
  // by default because the demo's crowd solves in Node (~30 µs a hash); raise it in production.
  CHALLENGE_MAX_NUMBER: z.coerce.number().int().min(1).max(10_000_000).default(10_000),
  // How long a request waits for Kafka's acknowledgement before answering 503 with Retry-After.
  PUBLISH_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(3_000),
  // Durability of the topics created at start; unset, what the cluster allows (see kafkaDurability).
  KAFKA_REPLICATION_FACTOR: z.coerce.number().int().min(1).optional(),
  KAFKA_MIN_INSYNC_REPLICAS: z.coerce.number().int().min(1).optional(),
});

export type Config = {
  kafkaBrokers: string[];
  schemaRegistryUrl: string;
  redisUrl: string;
  databaseUrl: string;
  port: number;
  /** The operations port: /metrics (only here), /healthz, /readyz. */
  opsPort: number;
  topicPrefix: string;
  authSecret: string;
  partnerSecrets: Map<string, string[]>;
  paymentTokenKey: string;
  logLevel: string;
  /** How long (event time) reconciliation holds a partner event before judging it unmatched. */
  reconciliationGraceMs: number;
  /** Requests per second allowed per user (shopper or operator), per client IP and per partner (429 beyond). */
  rateLimits: { userPerSec: number; ipPerSec: number; partnerPerSec: number };
  /** Open (not yet claimed) entries per user per sale; the entry route answers 409 beyond. */
  maxOpenEntriesPerUser: number;
  /** The partner's payment page; `{partnerId}` stands for the sale's partner. */
  paymentPageUrl: string;
  /** Proof-of-work difficulty of the storefront's ALTCHA challenge. */
  challengeMaxNumber: number;
  /** How long a publish waits for the broker's acknowledgement (then 503 at the edge). */
  publishTimeoutMs: number;
  /**
   * Replication of the topics this process creates. Unset: replication factor min(3, brokers
   * the cluster reports), min.insync.replicas 2 with three or more brokers, else 1.
   */
  kafkaDurability: { replicationFactor?: number; minInsyncReplicas?: number };
  /** Names of the secrets that fell back to their development defaults: warned about loudly at start. */
  devDefaults: string[];
};

/** The environment does not describe a runnable system: fix the named variable and start again. */
export class ConfigError extends FlashsaleError {
  override name = 'ConfigError';
  readonly retriable = false;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(`invalid configuration: ${issue?.path.join('.')}: ${issue?.message}`);
  }
  const c = parsed.data;
  const devDefaults = [...(c.AUTH_SECRET ? [] : ['AUTH_SECRET']), ...(c.PAYMENT_TOKEN_KEY ? [] : ['PAYMENT_TOKEN_KEY'])];
  return {
    kafkaBrokers: c.KAFKA_BROKERS.split(',')
      .map((b) => b.trim())
      .filter(Boolean),
    schemaRegistryUrl: c.SCHEMA_REGISTRY_URL,
    redisUrl: c.REDIS_URL,
    databaseUrl: c.DATABASE_URL,
    port: c.PORT,
    opsPort: c.OPS_PORT,
    topicPrefix: c.TOPIC_PREFIX,
    authSecret: c.AUTH_SECRET ?? DEV_AUTH_SECRET,
    partnerSecrets: c.PARTNER_SECRETS,
    paymentTokenKey: c.PAYMENT_TOKEN_KEY ?? DEV_PAYMENT_TOKEN_KEY,
    logLevel: c.LOG_LEVEL,
    reconciliationGraceMs: c.RECONCILIATION_GRACE_SECONDS * 1000,
    rateLimits: { userPerSec: c.RATE_LIMIT_USER_PER_SEC, ipPerSec: c.RATE_LIMIT_IP_PER_SEC, partnerPerSec: c.RATE_LIMIT_PARTNER_PER_SEC },
    maxOpenEntriesPerUser: c.MAX_OPEN_ENTRIES_PER_USER,
    paymentPageUrl: c.PAYMENT_PAGE_URL,
    challengeMaxNumber: c.CHALLENGE_MAX_NUMBER,
    publishTimeoutMs: c.PUBLISH_TIMEOUT_MS,
    kafkaDurability: {
      ...(c.KAFKA_REPLICATION_FACTOR === undefined ? {} : { replicationFactor: c.KAFKA_REPLICATION_FACTOR }),
      ...(c.KAFKA_MIN_INSYNC_REPLICAS === undefined ? {} : { minInsyncReplicas: c.KAFKA_MIN_INSYNC_REPLICAS }),
    },
    devDefaults,
  };
}
