// Configuration, read and validated once at start into a typed object. Every value has a
// working local default (docs/contract.md, "Configuration"; a unit test keeps that table,
// the README's and this schema to the same variables and defaults).
import { isIP } from 'node:net';
import crypto from 'node:crypto';
import { z } from 'zod';
import { blankIsUnset, connectionRefusal, connectionsOf, connectionWarnings, connectionsSchema, type Connections } from './connections.js';
import { FlashsaleError } from './errors.js';

const DEV_AUTH_SECRET = 'flashsale-dev-auth-secret-do-not-use-in-production';
const DEV_PAYMENT_TOKEN_KEY = 'flashsale-dev-payment-token-key-do-not-use-in-production';
const DEV_PARTNER_SECRETS = 'demo-pay:dev-secret';
/** Secrets anyone can read in this repository: never accepted in production. */
const DEV_SECRETS = new Set([DEV_AUTH_SECRET, DEV_PAYMENT_TOKEN_KEY, 'dev-secret']);

/**
 * Production (`NODE_ENV=production`) refuses secrets shorter than this, in bytes: 256 bits,
 * the HMAC-SHA256 key size (RFC 7518 §3.2 asks HS256 keys to be at least that long), so no
 * secret is easier to guess than the signatures it makes are to forge.
 */
export const PRODUCTION_SECRET_MIN_BYTES = 32;
/**
 * Production refuses an easier proof of work than this ALTCHA `maxnumber`: on average 50,000
 * SHA-256 hashes a claim, well under a second in a browser, but a cost per claim a bot farm
 * pays for every identity it runs. (The local default, 10,000, suits the demo's Node crowd.)
 */
export const PRODUCTION_CHALLENGE_FLOOR = 100_000;

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

/** express's names for whole ranges (proxy-addr): 127.0.0.1/8 and ::1, 169.254.0.0/16 and fe80::/10, private ranges. */
const PROXY_RANGE_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** One trusted proxy: a range name, an address, or a subnet as address/prefix-length or address/netmask. */
function isProxyEntry(entry: string): boolean {
  if (PROXY_RANGE_NAMES.has(entry)) return true;
  const [address = '', range, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (range === undefined) return true;
  if (/^\d{1,3}$/.test(range)) return Number(range) <= (family === 4 ? 32 : 128);
  return family === 4 && isIP(range) === 4;
}

// Whose X-Forwarded-For the api believes: "none", a hop count, or a list of proxies.
const trustedProxies = z.string().transform((raw, ctx): string[] | number => {
  const value = raw.trim();
  if (value === 'none') return [];
  if (/^\d{1,2}$/.test(value)) return Number(value);
  const entries = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = entries.find((e) => !isProxyEntry(e));
  if (bad !== undefined || entries.length === 0) {
    ctx.addIssue({
      code: 'custom',
      message: `expected "none", a hop count, or addresses, subnets, loopback, linklocal, uniquelocal; got "${(bad ?? value).slice(0, 60)}"`,
    });
    return z.NEVER;
  }
  return entries;
});

// A PEM public key (SPKI or an X.509 certificate), as an identity provider publishes it;
// `\n` written out (as one-line environment files need) stands for a newline.
const publicKeyPem = z
  .string()
  .transform((raw) => raw.replaceAll('\\n', '\n'))
  .refine((pem) => {
    try {
      return crypto.createPublicKey(pem).type === 'public';
    } catch {
      return false;
    }
  }, 'not a PEM public key (-----BEGIN PUBLIC KEY-----)');

/** The most api worker processes one `flashsale start` forks (API_WORKERS, --api-workers). */
export const API_WORKERS_MAX = 64;

/** The highest cap on open entries per user per sale, configured (MAX_OPEN_ENTRIES_PER_USER) or a sale's own. */
export const OPEN_ENTRIES_CAP_MAX = 1000;

const schema = z
  .object({
    // `production` turns the development defaults from warnings into refusals (productionRefusal).
    NODE_ENV: z.string().default(''),
    KAFKA_BROKERS: z.string().default(`127.0.0.1:${LOCAL_KAFKA_PORT}`),
    SCHEMA_REGISTRY_URL: z.string().url().default(`http://127.0.0.1:${LOCAL_REGISTRY_PORT}/apis/ccompat/v7`),
    REDIS_URL: z.string().default('redis://127.0.0.1:6379'),
    DATABASE_URL: z.string().default('postgres://postgres@127.0.0.1:5432/flashsale'),
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    // Processes serving the api role on PORT (node:cluster); 1: the api runs in the process itself.
    API_WORKERS: z.coerce.number().int().min(1).max(API_WORKERS_MAX).default(1),
    // Loopback only by default: a proxy on the same host. Behind a load balancer, name it, or
    // every shopper shares the balancer's address and so one rate-limit bucket.
    TRUSTED_PROXIES: trustedProxies.default('loopback'),
    // Metrics, liveness and readiness for operators' tooling, in every process; 0 = any free port.
    OPS_PORT: z.coerce.number().int().min(0).max(65535).default(9464),
    TOPIC_PREFIX: z
      .string()
      .regex(/^[A-Za-z0-9._-]*$/, 'letters, digits, ".", "_" and "-" only')
      .default(''),
    AUTH_SECRET: z.string().min(16).optional(),
    PARTNER_SECRETS: partnerSecrets.default(DEV_PARTNER_SECRETS),
    PAYMENT_TOKEN_KEY: z.string().min(16).optional(),
    // Tokens from an identity provider: its keys as a JWKS URL or one PEM public key (RS256 or
    // ES256). Neither set: HS256 tokens signed with AUTH_SECRET, the local way (flashsale token).
    AUTH_JWKS_URL: blankIsUnset(z.string().url().optional()),
    AUTH_PUBLIC_KEY: blankIsUnset(publicKeyPem.optional()),
    AUTH_ISSUER: blankIsUnset(z.string().default('flashsale')),
    // Shoppers and operators are told apart by the audience their token was issued for.
    AUTH_AUDIENCE: blankIsUnset(z.string().default('flashsale-storefront')),
    AUTH_OPERATOR_AUDIENCE: blankIsUnset(z.string().default('flashsale-operators')),
    // Older tokens (by `iat`) are refused whatever their `exp`: a leaked token has a bounded life.
    AUTH_MAX_TOKEN_AGE_SECONDS: blankIsUnset(
      z.coerce
        .number()
        .int()
        .min(60)
        .max(7 * 24 * 3600)
        .default(3600),
    ),
    LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
    RECONCILIATION_GRACE_SECONDS: z.coerce.number().int().min(0).default(60),
    // Generous by default: the demo and the bench send whole crowds from one IP.
    RATE_LIMIT_USER_PER_SEC: z.coerce.number().int().positive().default(20),
    // Per operator on the operator routes (products, sales, reconciliation): generous, so a
    // script that sets up many products and sales goes through; a runaway one is still held.
    RATE_LIMIT_OPERATOR_PER_SEC: z.coerce.number().int().positive().default(100),
    RATE_LIMIT_IP_PER_SEC: z.coerce.number().int().positive().default(2000),
    // Per partner, counted once the signature holds: a partner's webhooks come one per payment or refund.
    RATE_LIMIT_PARTNER_PER_SEC: z.coerce.number().int().positive().default(1000),
    // Entries one user may hold in one sale before claiming with one of them (409 beyond): a
    // shopper needs one; each entry is a Kafka record kept for good.
    MAX_OPEN_ENTRIES_PER_USER: z.coerce.number().int().min(1).max(OPEN_ENTRIES_CAP_MAX).default(5),
    // `{partnerId}` is replaced by the sale's partner; the token travels as `?token=`.
    PAYMENT_PAGE_URL: z
      .string()
      .refine((t) => URL.canParse(t.replaceAll('{partnerId}', 'p')), 'a URL, optionally with {partnerId}')
      .default('https://pay.example/{partnerId}/checkout'),
    // ALTCHA difficulty: the solver tries up to this many numbers (half on average). Kept low
    // by default because the demo's crowd solves in Node (~30 µs a hash); raise it in production.
    CHALLENGE_MAX_NUMBER: z.coerce.number().int().min(1).max(10_000_000).default(10_000),
    // The partner's refund endpoint: a refund resolution calls it, signed like our webhooks.
    REFUND_URL: z
      .string()
      .refine((t) => URL.canParse(t.replaceAll('{partnerId}', 'p')), 'a URL, optionally with {partnerId}')
      .default('https://pay.example/{partnerId}/refunds'),
    // The outbound refund call is retried until acknowledged, the pause doubling from 200 ms up to this.
    REFUND_RETRY_MAX_MS: z.coerce.number().int().min(200).max(3_600_000).default(30_000),
    // Settlement files: the largest accepted (POST or inbox), and the inbox directory polled for them (empty: none).
    SETTLEMENT_MAX_BYTES: z.coerce
      .number()
      .int()
      .min(1024)
      .max(10 * 1024 ** 3)
      .default(100 * 1024 ** 2),
    SETTLEMENT_INBOX_DIR: z.string().default(''),
    SETTLEMENT_INBOX_POLL_SECONDS: z.coerce.number().int().min(1).max(86_400).default(60),
    // How long a request waits for Kafka's acknowledgement before answering 503 with Retry-After.
    PUBLISH_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(3_000),
    // Durability of the topics created at start; unset, what the cluster allows (see kafkaDurability).
    KAFKA_REPLICATION_FACTOR: z.coerce.number().int().min(1).optional(),
    KAFKA_MIN_INSYNC_REPLICAS: z.coerce.number().int().min(1).optional(),
    // How long a consumer may go silent before its group hands its partitions to another
    // (the broker's group.min/max.session.timeout.ms bound it: 6 s to 5 min by default).
    KAFKA_SESSION_TIMEOUT_MS: z.coerce.number().int().min(6_000).max(300_000).default(30_000),
  })
  .merge(connectionsSchema);

export type Config = Connections & {
  kafkaBrokers: string[];
  schemaRegistryUrl: string;
  redisUrl: string;
  databaseUrl: string;
  port: number;
  /** Processes serving the api role on `port`; more than one forks workers (runtime/apiWorkers/). */
  apiWorkers: number;
  /**
   * The proxies whose X-Forwarded-For is believed (express's `trust proxy`): addresses,
   * subnets or range names; a number trusts that many hops; none, an empty list.
   */
  trustedProxies: string[] | number;
  /** The operations port: /metrics (only here), /healthz, /readyz. */
  opsPort: number;
  topicPrefix: string;
  /** HS256 key of local tokens, and the root the challenge HMAC key is derived from. */
  authSecret: string;
  /** How bearer tokens are verified (producers/http/auth.ts). */
  auth: AuthConfig;
  partnerSecrets: Map<string, string[]>;
  paymentTokenKey: string;
  logLevel: string;
  /** How long (event time) reconciliation holds a partner event before judging it unmatched. */
  reconciliationGraceMs: number;
  /** Requests per second allowed per shopper, per operator, per client IP and per partner (429 beyond). */
  rateLimits: { userPerSec: number; operatorPerSec: number; ipPerSec: number; partnerPerSec: number };
  /** Open (not yet claimed) entries per user per sale; the entry route answers 409 beyond. */
  maxOpenEntriesPerUser: number;
  /** The partner's payment page; `{partnerId}` stands for the sale's partner. */
  paymentPageUrl: string;
  /** Proof-of-work difficulty of the storefront's ALTCHA challenge. */
  challengeMaxNumber: number;
  /** How long a publish waits for the broker's acknowledgement (then 503 at the edge). */
  publishTimeoutMs: number;
  /** Consumer groups' session timeout. */
  kafkaSessionTimeoutMs: number;
  /** The partner's refund endpoint (`{partnerId}` stands for the partner), and the cap of the backoff between tries. */
  refunds: { urlTemplate: string; retryMaxMs: number };
  /** Settlement files: size cap (bytes), and the inbox directory polled every pollMs (empty: no inbox). */
  settlements: { maxBytes: number; inboxDir: string; pollMs: number };
  /**
   * Replication of the topics this process creates. Unset: replication factor min(3, brokers
   * the cluster reports), min.insync.replicas 2 with three or more brokers, else 1.
   */
  kafkaDurability: { replicationFactor?: number; minInsyncReplicas?: number };
  /** Names of the secrets that fell back to their development defaults: warned about loudly at start. */
  devDefaults: string[];
  /** Settings that expose credentials or trust any certificate (refused in production): warned about at start. */
  connectionWarnings: string[];
  /** NODE_ENV=production: loadConfig has refused every development default (productionRefusal). */
  production: boolean;
};

export type AuthConfig = {
  /** The identity provider's key set; tokens then must be RS256 or ES256 signed with one of its keys. */
  jwksUrl?: string;
  /** Or one PEM public key of the identity provider (RS256 for RSA, ES256 for P-256). */
  publicKeyPem?: string;
  /** Required `iss` of every token. */
  issuer: string;
  /** `aud` of a shopper's token (the storefront routes). */
  audience: string;
  /** `aud` of an operator's token (the operator routes): a shopper's token never carries it. */
  operatorAudience: string;
  /** Tokens issued (`iat`) longer ago than this are refused. */
  maxTokenAgeSeconds: number;
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
  const production = c.NODE_ENV === 'production';
  if (production) {
    const refusal = productionRefusal(c);
    if (refusal) throw new ConfigError(`refusing to run in production (NODE_ENV=production): ${refusal}`);
  }
  const connections = connectionsOf(c);
  if (typeof connections === 'string') throw new ConfigError(`invalid configuration: ${connections}`);
  return {
    ...connections,
    kafkaBrokers: c.KAFKA_BROKERS.split(',')
      .map((b) => b.trim())
      .filter(Boolean),
    schemaRegistryUrl: c.SCHEMA_REGISTRY_URL,
    redisUrl: c.REDIS_URL,
    databaseUrl: c.DATABASE_URL,
    port: c.PORT,
    apiWorkers: c.API_WORKERS,
    trustedProxies: c.TRUSTED_PROXIES,
    opsPort: c.OPS_PORT,
    topicPrefix: c.TOPIC_PREFIX,
    authSecret: c.AUTH_SECRET ?? DEV_AUTH_SECRET,
    auth: authConfigOf(c),
    partnerSecrets: c.PARTNER_SECRETS,
    paymentTokenKey: c.PAYMENT_TOKEN_KEY ?? DEV_PAYMENT_TOKEN_KEY,
    logLevel: c.LOG_LEVEL,
    reconciliationGraceMs: c.RECONCILIATION_GRACE_SECONDS * 1000,
    rateLimits: {
      userPerSec: c.RATE_LIMIT_USER_PER_SEC,
      operatorPerSec: c.RATE_LIMIT_OPERATOR_PER_SEC,
      ipPerSec: c.RATE_LIMIT_IP_PER_SEC,
      partnerPerSec: c.RATE_LIMIT_PARTNER_PER_SEC,
    },
    maxOpenEntriesPerUser: c.MAX_OPEN_ENTRIES_PER_USER,
    paymentPageUrl: c.PAYMENT_PAGE_URL,
    challengeMaxNumber: c.CHALLENGE_MAX_NUMBER,
    publishTimeoutMs: c.PUBLISH_TIMEOUT_MS,
    kafkaSessionTimeoutMs: c.KAFKA_SESSION_TIMEOUT_MS,
    refunds: { urlTemplate: c.REFUND_URL, retryMaxMs: c.REFUND_RETRY_MAX_MS },
    settlements: { maxBytes: c.SETTLEMENT_MAX_BYTES, inboxDir: c.SETTLEMENT_INBOX_DIR, pollMs: c.SETTLEMENT_INBOX_POLL_SECONDS * 1000 },
    kafkaDurability: {
      ...(c.KAFKA_REPLICATION_FACTOR === undefined ? {} : { replicationFactor: c.KAFKA_REPLICATION_FACTOR }),
      ...(c.KAFKA_MIN_INSYNC_REPLICAS === undefined ? {} : { minInsyncReplicas: c.KAFKA_MIN_INSYNC_REPLICAS }),
    },
    devDefaults: devDefaultsOf(c),
    connectionWarnings: connectionWarnings(c, c.SCHEMA_REGISTRY_URL),
    production,
  };
}

function authConfigOf(c: z.infer<typeof schema>): AuthConfig {
  if (c.AUTH_JWKS_URL && c.AUTH_PUBLIC_KEY)
    throw new ConfigError('invalid configuration: AUTH_PUBLIC_KEY: AUTH_JWKS_URL is set too; set one source of the identity provider keys');
  if (c.AUTH_OPERATOR_AUDIENCE === c.AUTH_AUDIENCE)
    throw new ConfigError(
      'invalid configuration: AUTH_OPERATOR_AUDIENCE: equals AUTH_AUDIENCE; a shopper token would be an operator token',
    );
  return {
    ...(c.AUTH_JWKS_URL === undefined ? {} : { jwksUrl: c.AUTH_JWKS_URL }),
    ...(c.AUTH_PUBLIC_KEY === undefined ? {} : { publicKeyPem: c.AUTH_PUBLIC_KEY }),
    issuer: c.AUTH_ISSUER,
    audience: c.AUTH_AUDIENCE,
    operatorAudience: c.AUTH_OPERATOR_AUDIENCE,
    maxTokenAgeSeconds: c.AUTH_MAX_TOKEN_AGE_SECONDS,
  };
}

/** The secrets left at (or set to) a development default, warned about outside production. */
function devDefaultsOf(c: z.infer<typeof schema>): string[] {
  const isDevSecret = (value: string | undefined) => value === undefined || DEV_SECRETS.has(value);
  return [
    ...(isDevSecret(c.AUTH_SECRET) ? ['AUTH_SECRET'] : []),
    ...(isDevSecret(c.PAYMENT_TOKEN_KEY) ? ['PAYMENT_TOKEN_KEY'] : []),
    ...([...c.PARTNER_SECRETS.values()].flat().some((s) => DEV_SECRETS.has(s)) ? ['PARTNER_SECRETS'] : []),
  ];
}

/**
 * Why this environment must not serve real traffic, naming the variable, or undefined. Each
 * secret must be set, not one published in this repository, and at least
 * PRODUCTION_SECRET_MIN_BYTES long; the proof of work at least PRODUCTION_CHALLENGE_FLOOR; the
 * identity provider's keys fetched over https. Secrets are never quoted, only measured.
 */
function productionRefusal(c: z.infer<typeof schema>): string | undefined {
  const weakness = (value: string | undefined): string | undefined => {
    if (value === undefined) return 'is not set';
    if (DEV_SECRETS.has(value)) return 'is the development default, published in the source';
    const bytes = Buffer.byteLength(value);
    if (bytes < PRODUCTION_SECRET_MIN_BYTES) return `is ${bytes} bytes long, under the ${PRODUCTION_SECRET_MIN_BYTES} production needs`;
    return undefined;
  };
  for (const name of ['AUTH_SECRET', 'PAYMENT_TOKEN_KEY'] as const) {
    const weak = weakness(c[name]);
    if (weak) return `${name} ${weak}`;
  }
  // Unset, PARTNER_SECRETS falls back to demo-pay's development secret, refused below.
  for (const [partnerId, secrets] of c.PARTNER_SECRETS)
    for (const secret of secrets) {
      const weak = weakness(secret);
      if (weak) return `PARTNER_SECRETS: the secret of partner ${partnerId} ${weak}`;
    }
  if (c.CHALLENGE_MAX_NUMBER < PRODUCTION_CHALLENGE_FLOOR)
    return `CHALLENGE_MAX_NUMBER is ${c.CHALLENGE_MAX_NUMBER}, under the proof-of-work floor of ${PRODUCTION_CHALLENGE_FLOOR}`;
  if (c.AUTH_JWKS_URL && new URL(c.AUTH_JWKS_URL).protocol !== 'https:')
    return 'AUTH_JWKS_URL is not https: whoever can alter the key set can issue any token';
  return connectionRefusal(c, c.SCHEMA_REGISTRY_URL);
}
