// One seeded run: a fresh slice (topic prefix, Redis keys, Postgres schema), the roles started
// as processes, a sale played by the workload while the plan's nemeses strike, then quiet,
// then the checker over the history and what the topics and read models say.
import crypto from 'node:crypto';
import path from 'node:path';
import { createApiClient } from '../demo/api.js';
import { type Config, loadConfig } from '../platform/config.js';
import { createLogger } from '../platform/log.js';
import { createDb, ensureSchema } from '../platform/postgres.js';
import { signUserToken } from '../producers/http/auth.js';
import { openPlatform, type Platform } from '../runtime/platform.js';
import { freePort } from '../test/support/faults/ports.js';
import { checkRun, type Verdict, type Violation } from './checker.js';
import { observe } from './observe.js';
import type { Environment } from './environment.js';
import { createHistory, type Actor } from './history.js';
import { playNemeses } from './nemeses.js';
import { startRoles } from './roles.js';
import { describeNemesis, planRun, type RunPlan, SESSION_TIMEOUTS_MS } from './schedule.js';
import { runWorkload, setUpSale, type Workload } from './workload.js';

/** `shards`: the sale's shards (1 unless told); above one, two decision-makers share them. */
export type RunSettings = { saleMs: number; stock: number; shoppers: number; reservationSeconds: number; shards?: number };
export const DEFAULT_SETTINGS: RunSettings = { saleMs: 24_000, stock: 30, shoppers: 300, reservationSeconds: 15 };
/** A short sale (`--quick`, and the short form in npm test): 120 shoppers for 15 units over 14 s, reservations of 8 s. */
export const QUICK_SETTINGS: RunSettings = { saleMs: 14_000, stock: 15, shoppers: 120, reservationSeconds: 8 };

export type RunResult = {
  seed: number;
  brokers: number;
  /** The sale's shards (absent in runs recorded before sharded sales: 1). */
  shards?: number;
  nemeses: string[];
  claims: number;
  grants: number;
  stock: number;
  webhooks: number;
  violations: Violation[];
  /** Roles that ended without being killed (restarted by the suite). */
  crashes: number;
  /** Shoppers who got no decision before giving up. */
  unanswered: number;
  durationMs: number;
  /** Where the time went: starting the roles, the sale (until every client is done), quiet and the checks. */
  phasesMs: { start: number; sale: number; check: number };
  /** Where its history is. */
  historyFile?: string;
};

const GRACE_SECONDS = '5';

/** The run's own slice of the parts: a topic prefix (and so Redis keys), a Postgres schema; and the suite's clients on it, direct to the parts. */
async function openSlice(seed: number, env: Environment) {
  const stamp = `${seed}-${Date.now().toString(36)}-${crypto.randomBytes(2).toString('hex')}`;
  const prefix = `nemesis-${stamp}`;
  const schema = `nemesis_${stamp.replace(/-/g, '_')}`;
  const direct = { KAFKA_BROKERS: env.kafka.directBrokers, REDIS_URL: env.redis.url, DATABASE_URL: env.postgres.databaseUrl };
  const config = loadConfig({ ...process.env, ...direct, TOPIC_PREFIX: prefix, RECONCILIATION_GRACE_SECONDS: GRACE_SECONDS });
  const admin = createDb(config.databaseUrl);
  await ensureSchema(admin, schema);
  const platform = await openPlatform(config, createLogger('error'), { dbSchema: schema });
  // The suite's own reads reconnect after a Redis nemesis; its errors meanwhile are expected.
  platform.redis.on('error', () => undefined);
  return { prefix, schema, config, admin, platform };
}

async function workloadFor({
  saleId,
  api,
  history,
  config,
  clock,
  reservationSeconds,
}: Pick<Workload, 'saleId' | 'api' | 'history' | 'clock' | 'reservationSeconds'> & { config: Config }): Promise<Workload> {
  const partnerId = 'demo-pay';
  return {
    saleId,
    api,
    history,
    operatorToken: await signUserToken(config, 'nemesis-operator', { operator: true }),
    userToken: (userId: string) => signUserToken(config, userId),
    partner: { partnerId, secret: config.partnerSecrets.get(partnerId)?.[0] ?? '', paymentTokenKey: config.paymentTokenKey },
    clock,
    reservationSeconds,
  };
}

/** What each role process is pointed at: the parts through the suite's proxies, the run's slice. */
function roleEnv(env: Environment, prefix: string, schema: string): Record<string, string> {
  return {
    KAFKA_BROKERS: env.kafka.systemBrokers,
    REDIS_URL: env.systemRedisUrl,
    DATABASE_URL: env.systemDatabaseUrl,
    TOPIC_PREFIX: prefix,
    TEST_DB_SCHEMA: schema,
    RECONCILIATION_GRACE_SECONDS: GRACE_SECONDS,
    // Kafka's shortest: a killed role's successor joins its group within seconds, and a pause
    // of 2-10 s outlasts the session about half the time (its partitions move, then come back).
    KAFKA_SESSION_TIMEOUT_MS: String(SESSION_TIMEOUTS_MS.role),
    // Warnings and errors: each role's log is kept beside the run's history.
    TEST_LOG_LEVEL: 'warn',
  };
}

function resultOf(seed: number, env: Environment, plan: RunPlan, verdict: Verdict) {
  const { claims, grants, webhooks, violations } = verdict;
  return {
    seed,
    brokers: env.kafka.nodes,
    ...(plan.shards > 1 ? { shards: plan.shards } : {}),
    nemeses: plan.nemeses.map(describeNemesis),
    claims,
    grants,
    stock: plan.stock,
    webhooks,
    violations,
  };
}

export async function runOnce({
  seed,
  env,
  settings = DEFAULT_SETTINGS,
  runsDir,
  from,
}: {
  seed: number;
  env: Environment;
  settings?: RunSettings;
  /** Histories go to <runsDir>/<seed>/history.jsonl. */
  runsDir?: string;
  /** A source tree with a planted bug to run the roles from. */
  from?: string;
}): Promise<RunResult> {
  const began = Date.now();
  const plan = planRun(seed, { ...settings, kafkaProxied: env.proxies.kafka.length > 0 });
  const saleId = `sale-${seed}`;
  const historyDir = runsDir ? path.join(runsDir, String(seed)) : undefined;
  const history = createHistory(historyDir);
  const { prefix, schema, config, admin, platform } = await openSlice(seed, env);
  const port = await freePort();
  const roles = await startRoles({
    env: roleEnv(env, prefix, schema),
    apiPort: port,
    history,
    shards: plan.shards,
    ...(from ? { from } : {}),
    ...(historyDir ? { logDir: historyDir } : {}),
  }).catch(async (err: unknown) => {
    await platform.close();
    throw err;
  });
  try {
    const baseUrl = `http://127.0.0.1:${port}`;
    const api = (actor: Actor) => createApiClient(baseUrl, (call) => history.record({ type: 'call', actor, ...call }));
    const clock = { shiftSeconds: 0 };
    const workload = await workloadFor({ saleId, api, history, config, clock, reservationSeconds: settings.reservationSeconds });
    const rolesUpAt = Date.now();
    await setUpSale(workload, plan);
    const startedAt = Date.now();
    const [outcome] = await Promise.all([
      runWorkload(workload, plan, startedAt),
      playNemeses(plan.nemeses, { env, roles, clock, topicPrefix: prefix, saleId }, history, startedAt),
    ]);
    const saleDoneAt = Date.now();
    const observed = await observe({ platform, history, roles, schema, saleId, stock: plan.stock, env, historyDir });
    const verdict = checkRun(observed);
    return {
      ...resultOf(seed, env, plan, verdict),
      crashes: roles.crashes(),
      unanswered: outcome.unanswered,
      durationMs: Date.now() - began,
      phasesMs: { start: rolesUpAt - began, sale: saleDoneAt - rolesUpAt, check: Date.now() - saleDoneAt },
      ...(historyDir ? { historyFile: path.join(historyDir, 'history.jsonl') } : {}),
    };
  } finally {
    await roles.stop();
    await history.close();
    await closeSlice({ prefix, schema, admin, platform });
  }
}

/** The run's slice goes: its topics, its schemas; then the suite's clients on it. */
async function closeSlice({ prefix, schema, admin, platform }: Omit<Awaited<ReturnType<typeof openSlice>>, 'config'>): Promise<void> {
  await dropRunTopics(platform.kafka, prefix);
  await platform.close();
  await admin.query(`drop schema if exists ${schema} cascade; drop schema if exists ${schema}_replay cascade`).catch(() => undefined);
  await admin.end();
}

/**
 * The cluster stays up for a hundred runs: each run's topics (and the groups' offsets with
 * them) go at its end, or every broker restart recovers and re-replicates all the runs before.
 */
async function dropRunTopics(kafka: Platform['kafka'], prefix: string): Promise<void> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    const mine = (await admin.listTopics()).filter((t) => t.startsWith(`${prefix}.`));
    if (mine.length > 0) await admin.deleteTopics({ topics: mine, timeout: 30_000 });
  } catch {
    // A run's leftovers cost disk and restart time, not correctness.
  } finally {
    await admin.disconnect();
  }
}
