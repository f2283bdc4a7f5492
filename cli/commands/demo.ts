// `flashsale demo`: a whole flash sale end to end on the real stack, with a report at the end.
import type { Command } from 'commander';
import type { Kafka } from 'kafkajs';
import { createApiClient } from '../../demo/api.js';
import { createPartner, type Partner } from '../../demo/partner.js';
import { type RefundDesk, startRefundDesk } from '../../demo/refundDesk.js';
import { runScenario, type DemoPlan, type DemoResult, type Report } from '../../demo/scenario.js';
import { judge } from '../../demo/verdict.js';
import { type Config, loadConfig } from '../../platform/config.js';
import { createLogger } from '../../platform/log.js';
import { createDb, ensureSchema } from '../../platform/postgres.js';
import { signUserToken } from '../../producers/http/auth.js';
import { replayableProjections } from '../../projections/catalog.js';
import { openPlatform } from '../../runtime/platform.js';
import { topicName } from '../../schemas/topics.js';
import { type ReplayResult, replayProjections } from '../../runtime/replay/replayProjections.js';
import { ROLES, startSystem } from '../../runtime/system.js';
import { stackUp } from '../../stack/stack.js';
import { createProgress } from '../progress.js';

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`expected a positive whole number, got ${value}`);
  return n;
}

type Say = (line: string) => void;

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('run a whole flash sale end to end on the real stack, then print the reconciliation report and a replay check')
    .option('--shoppers <n>', 'simulated users in the crowd', positiveInt, 400)
    .option('--stock <n>', 'units on sale', positiveInt, 100)
    .option('--shards <n>', "claims partitions the sale's claims are spread over (1 to 6)", positiveInt, 2)
    .action(runDemo);
}

async function runDemo(opts: { shoppers: number; stock: number; shards: number }): Promise<void> {
  const say: Say = (line) => console.log(`▸ ${line}`);
  say('bringing the stack up (Kafka, schema registry, Redis, PostgreSQL)');
  await stackUp((line) => say(line));

  // A fresh topic prefix and schema per run: every demo starts from an empty history.
  const stamp = new Date().toISOString().replace(/\D/g, '').slice(0, 14);
  const prefix = `demo-${stamp}`;
  const schema = `demo_${stamp}`;
  const partnerId = 'demo-pay';
  const refunds = await startPartnerRefunds(partnerId);
  const desk = refunds.desk;
  const config = demoConfig(prefix, desk.urlTemplate);
  const log = createLogger(process.env.LOG_LEVEL ?? 'warn');
  const admin = createDb(config.databaseUrl);
  await ensureSchema(admin, schema);
  await admin.end();
  say(`starting the system (${ROLES.join(', ')}) on topics ${prefix}.* and Postgres schema ${schema}`);
  const platform = await openPlatform(config, log, { dbSchema: schema });
  const system = await startSystem(platform, ROLES);
  let exitCode = 1;
  try {
    const plan: DemoPlan = {
      saleId: `sneaker-drop-${stamp}`,
      stock: opts.stock,
      shoppers: opts.shoppers,
      concurrency: 50,
      priceMinor: 12_900,
      currency: 'EUR',
      reservationSeconds: 15,
      partnerId,
      shards: opts.shards,
    };
    const result = await playSale(plan, {
      config,
      baseUrl: `http://127.0.0.1:${system.port}`,
      say,
      onPartner: refunds.open,
    });

    say('replaying every projection from the topics into a fresh schema');
    const replay = await replayProjections({
      kafka: platform.kafka,
      codec: platform.codec,
      databaseUrl: config.databaseUrl,
      topicPrefix: prefix,
      liveSchema: schema,
      intoSchema: `${schema}_replay`,
      projections: replayableProjections(config),
      window: {},
    });
    const replayEqual = replay.liveBehind.length === 0 && replay.differences.length === 0;

    printReport(result.report);
    printReplay(replay, schema, replayEqual);
    exitCode = printSummary(plan, result, replayEqual, await claimsPerPartition(platform.kafka, prefix));
  } finally {
    await system.stop();
    await desk.close();
  }
  process.exitCode = exitCode;
}

/** The system's configuration for a demo run: its own topics, the partner's refund desk. */
function demoConfig(prefix: string, refundUrl: string): Config {
  // A short grace period: the planted unknown payment is flagged within seconds, not a minute.
  const env = {
    RECONCILIATION_GRACE_SECONDS: '5',
    REFUND_RETRY_MAX_MS: '2000',
    ...process.env,
    REFUND_URL: refundUrl,
    TOPIC_PREFIX: prefix,
  };
  return { ...loadConfig(env), port: 0, opsPort: 0 };
}

/**
 * The simulated partner's refund endpoint, started first: the system is configured with its URL.
 * It refunds through the partner, which the scenario opens once the system answers.
 */
async function startPartnerRefunds(partnerId: string): Promise<{ desk: RefundDesk; open: (partner: Partner) => void }> {
  let partner: Partner | undefined;
  const secret = loadConfig(process.env).partnerSecrets.get(partnerId)?.[0];
  if (!secret) throw new Error(`PARTNER_SECRETS has no secret for ${partnerId}`);
  const desk = await startRefundDesk({
    secrets: new Map([[partnerId, secret]]),
    refund: async (_partnerId, call) => {
      if (!partner) throw new Error('the partner is not open yet');
      // One refund event per request id: the partner's own id for it, derived from the request.
      await partner.refund(call, `refund-of-${call.requestId}`);
    },
  });
  return { desk, open: (p) => void (partner = p) };
}

/** The demo's scenario against the running system, with a progress bar over the shoppers. */
async function playSale(
  plan: DemoPlan,
  { config, baseUrl, say, onPartner }: { config: Config; baseUrl: string; say: Say; onPartner: (partner: Partner) => void },
): Promise<DemoResult> {
  const api = createApiClient(baseUrl);
  const { partnerId } = plan;
  const secret = config.partnerSecrets.get(partnerId)?.[0];
  if (!secret) throw new Error(`PARTNER_SECRETS has no secret for ${partnerId}`);
  const progress = createProgress('shoppers');
  progress.start(plan.shoppers);
  let last = 0;
  const partner = createPartner(api, { partnerId, secret, paymentTokenKey: config.paymentTokenKey });
  onPartner(partner);
  return runScenario(plan, {
    api,
    partner,
    operatorToken: await signUserToken(config, 'demo-operator', { operator: true }),
    userToken: (userId) => signUserToken(config, userId),
    say: (line) => {
      progress.stop();
      say(line);
    },
    onShopperDone: (done) => {
      progress.increment(done - last);
      last = done;
    },
  });
}

function printReport(report: Report): void {
  console.log('\nReconciliation report');
  console.log(
    `  ours:    ${report.internal.granted} granted, ${report.internal.refused} refused, ${report.internal.redirected} redirected, ${report.internal.expired} expired; ${report.internal.quantity} units, ${report.internal.amountMinor} minor units`,
  );
  console.log(
    `  partner: ${report.partner.paid} paid, ${report.partner.refunded} refunded; ${report.partner.quantity} units, ${report.partner.amountMinor} minor units`,
  );
  for (const m of report.mismatches) {
    console.log(
      `  mismatch ${m.kind.padEnd(22)} ${m.transactionId}  expected ${JSON.stringify(m.expected)} actual ${JSON.stringify(m.actual)}`,
    );
    const r = m.resolution;
    console.log(`           ${m.status}${r ? `: ${r.action} by ${r.by} at ${r.at}${r.note ? ` (${r.note})` : ''}` : ''}`);
  }
  const c = report.mismatchCounts;
  console.log(`  mismatches: ${c.open} open, ${c.resolving} resolving, ${c.resolved} resolved`);
  for (const s of report.settlements)
    console.log(
      `  settlement ${s.settlementId} (${s.source} ${s.name}): ${s.rowsOfSale} of ${s.rows} rows for this sale, ${s.findings} findings`,
    );
  const m = report.money;
  console.log(
    `  money:   paid ${m.paid} = kept ${m.kept} + refunded ${m.refunded} + written off ${m.writtenOff} (open ${m.open}): ${m.balanced ? 'balanced' : 'NOT balanced'}`,
  );
}

function printReplay(replay: ReplayResult, schema: string, replayEqual: boolean): void {
  console.log(
    `\nReplay: ${replay.events} events into ${schema}_replay: ${replayEqual ? 'equal' : `DIFFERENT (${replay.differences.map((d) => d.table).join(', ') || replay.liveBehind.join(', ')})`}`,
  );
}

/** The claims each partition of the demo's own `claims` topic holds: the demo's one sale is all there is. */
async function claimsPerPartition(kafka: Kafka, prefix: string): Promise<Map<number, number>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topicName(prefix, 'claims'));
    return new Map(offsets.map((o) => [o.partition, Number(o.high) - Number(o.low)]));
  } finally {
    await admin.disconnect();
  }
}

/** Prints each check of the verdict; the process's exit code: 0 when every one holds. */
function printSummary(plan: DemoPlan, result: DemoResult, replayEqual: boolean, claims: Map<number, number>): number {
  const checks = judge(plan, result, replayEqual, claims);
  console.log('\nSummary');
  for (const c of checks) console.log(`  ${c.ok ? '✔' : '✘'} ${c.says}`);
  const failed = checks.filter((c) => !c.ok).length;
  console.log(failed === 0 ? '\nDemo passed: every check holds.' : `\nDemo FAILED: ${failed} of ${checks.length} checks do not hold.`);
  return failed === 0 ? 0 : 1;
}
