// The nemesis suite's seed 3 in small: the reconciliation role killed (SIGKILL) just after it
// applied a batch, while grants and their payments keep coming, for longer than the grace
// period; then started again. On restart it has a backlog on every topic and reads them at
// different paces: a partner-events partition applied before the sales partition that holds
// the grants would move event time past the payments' grace and judge them unknown while
// their grants wait unread. The promise: only the real strangers are flagged, and a replay of
// the topics into a fresh schema equals the live projection.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reconciliationReplayable } from '../../../projections/reconciliation/replayable.js';
import { replayProjections } from '../../../runtime/replay/replayProjections.js';
import type { EventOf, FlashsaleEvent } from '../../../schemas/events/index.js';
import { onWorkerExit } from '../../support/faults/cleanup.js';
import { startSystemChild, type SystemChild } from '../../support/faults/systemChild.js';
import { flagRows, waitCaughtUp } from '../../support/reconciliationStack.js';
import { startTestSystem, type TestSystem } from '../../support/system.js';
import { waitFor } from '../../support/waitFor.js';

const GRACE_SECONDS = 2;
/** Longer than the grace period: the backlog on each topic spans more than one. */
const DEAD_MS = 6_000;
const FLOWING_MS = 3_000;
/** One granted and paid transaction every tick, a stranger (paid, never granted) every STRANGER_EVERY ticks. */
const TICK_MS = 50;
const STRANGER_EVERY = 25;
const PARTNER = 'demo-pay';
const SALE = 'killed-sale';

const env = (at: number, eventId: string) => ({ eventId, occurredAt: at, correlationId: eventId, causationId: null });
const scheduled = (at: number): EventOf<'SaleScheduled'> => ({
  type: 'SaleScheduled',
  ...env(at, `scheduled:${SALE}`),
  saleId: SALE,
  productId: 'p',
  partnerId: PARTNER,
  stock: 100_000,
  priceMinor: 500,
  currency: 'EUR',
  startsAt: at,
  endsAt: at + 3_600_000,
  perUserLimit: 1,
  reservationSeconds: 60,
  challenge: 'none',
  maxOpenEntriesPerUser: null,
  shards: 1,
});
const granted = (tx: string, at: number): EventOf<'ClaimGranted'> => ({
  type: 'ClaimGranted',
  ...env(at, `decision:${tx}`),
  transactionId: tx,
  saleId: SALE,
  userId: `u-${tx}`,
  quantity: 1,
  slotIds: [`${SALE}:${tx}`],
  amountMinor: 500,
  currency: 'EUR',
  expiresAt: at + 60_000,
});
const paid = (tx: string, at: number): EventOf<'PartnerPaymentReported'> => ({
  type: 'PartnerPaymentReported',
  ...env(at, `${PARTNER}:pay-${tx}`),
  partnerId: PARTNER,
  partnerEventId: `pay-${tx}`,
  transactionId: tx,
  quantity: 1,
  amountMinor: 500,
  currency: 'EUR',
  reportedAt: at,
});

let system: TestSystem;
let role: SystemChild | undefined;
let forgetChild: (() => void) | undefined;

function startRole(): Promise<SystemChild> {
  return startSystemChild({
    TOPIC_PREFIX: system.prefix,
    TEST_DB_SCHEMA: system.dbSchema,
    ROLES: 'reconciliation',
    RECONCILIATION_GRACE_SECONDS: String(GRACE_SECONDS),
    // The next process takes the partitions once the dead one's session ends: 10 s, not the default 30 s.
    KAFKA_SESSION_TIMEOUT_MS: '10000',
    TEST_LOG_LEVEL: 'debug',
  });
}

beforeAll(async () => {
  // This process only publishes and reads: the reconciliation role runs in the child.
  system = await startTestSystem('recon-killed', [], { RECONCILIATION_GRACE_SECONDS: String(GRACE_SECONDS) });
});
afterAll(async () => {
  if (role && role.ended() === undefined) await role.stop();
  forgetChild?.();
  await system?.stop();
});

describe('the reconciliation role killed mid-flow and started again', () => {
  it('flags only the real strangers, and a replay equals the live projection', { timeout: 150_000 }, async () => {
    const { publisher, kafka, db } = system.platform;
    const strangers: string[] = [];
    let tick = 0;
    /** One tick's events: a grant and, a moment later in event time, its payment (or a stranger's payment). */
    const nextEvents = (): FlashsaleEvent[] => {
      const at = Date.now();
      const n = tick++;
      if (n % STRANGER_EVERY === STRANGER_EVERY - 1) {
        strangers.push(`stranger-${n}`);
        return [paid(`stranger-${n}`, at)];
      }
      return [granted(`tx-${n}`, at), paid(`tx-${n}`, at + 5)];
    };
    const flowFor = async (ms: number) => {
      const until = Date.now() + ms;
      while (Date.now() < until) {
        const startedAt = Date.now();
        await publisher.publish(nextEvents());
        await new Promise((r) => setTimeout(r, Math.max(0, TICK_MS - (Date.now() - startedAt))));
      }
    };

    await publisher.publish([scheduled(Date.now())]);
    role = await startRole();
    const firstPid = role.process.pid;
    forgetChild = onWorkerExit(() => {
      if (firstPid) process.kill(firstPid, 'SIGKILL');
    });
    await flowFor(FLOWING_MS);

    // Killed as soon as it has applied a batch of what came last: perhaps before that batch's offsets were committed.
    const since = Date.now();
    await publisher.publish(nextEvents());
    await role.line((l) => l.msg === 'batch applied' && Number(l.time) >= since, 10_000).catch(() => undefined);
    role.process.kill('SIGKILL');
    await role.exited;
    forgetChild();
    await flowFor(DEAD_MS);

    role = await startRole();
    const secondPid = role.process.pid;
    forgetChild = onWorkerExit(() => {
      if (secondPid) process.kill(secondPid, 'SIGKILL');
    });
    await flowFor(FLOWING_MS);
    await waitCaughtUp(kafka, db, system.prefix);
    // The last strangers are judged by the idle clock, once the topics are quiet and their grace has passed.
    const flags = await waitFor(
      async () => {
        const rows = await flagRows(db);
        return rows.filter((r) => r.kind === 'unknown_transaction').length >= strangers.length ? rows : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 500, what: 'every stranger flagged' },
    ).catch(() => flagRows(db));

    const replay = await replayProjections({
      kafka,
      codec: system.platform.codec,
      databaseUrl: system.platform.config.databaseUrl,
      topicPrefix: system.prefix,
      liveSchema: system.dbSchema,
      intoSchema: `${system.dbSchema}_replay`,
      projections: [reconciliationReplayable(GRACE_SECONDS * 1000)],
      window: {},
      catchUpTimeoutMs: 30_000,
    });
    await db.query(`drop schema if exists ${system.dbSchema}_replay cascade`);

    const falseFlags = flags.filter((f) => !strangers.includes(f.transaction_id));
    console.info(
      `reconciliation killed: ${tick} transactions (${strangers.length} strangers), ${flags.length} flags, ` +
        `${falseFlags.length} on granted transactions; replay ${replay.differences.length + replay.liveBehind.length === 0 ? 'equal' : 'DIFFERS'}`,
    );
    expect({
      falseFlags: falseFlags.slice(0, 5).map((f) => `${f.kind} ${f.transaction_id}`),
      flagged: flags.map((f) => `${f.kind} ${f.transaction_id}`).sort(),
      replayDifferences: [...replay.differences, ...replay.liveBehind].slice(0, 5),
    }).toEqual({
      falseFlags: [],
      flagged: strangers.map((tx) => `unknown_transaction ${tx}`).sort(),
      replayDifferences: [],
    });
  });
});
