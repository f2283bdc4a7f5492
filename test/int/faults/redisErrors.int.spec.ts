// Issue 14, fault 3: Redis answers, but with errors. The system runs over a redis-server of
// the test's own (api, projections and claims in this process) and the test makes it refuse
// writes mid-sale while claims keep arriving on Kafka:
// - OOM: maxmemory lowered under what the data set uses (policy noeviction), so every
//   claim-deciding script is refused `OOM command not allowed`, then raised again;
// - READONLY: a failover in progress. A replica is promoted while the node the system writes
//   to still takes writes for a moment (those are lost when it is demoted and resyncs from
//   the new master, as Redis failovers lose them), the node is demoted (`READONLY You can't
//   write against a read only replica`), then promoted back.
// The promise either way: nothing dead-lettered, every claim decided exactly once, grants
// never beyond stock, no slot granted twice, and while Redis refuses, the claims consumer
// says it waits (flashsale_consumer_waiting, and /readyz).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consumerWaitsOf } from '../../../platform/kafka/consumerWaits.js';
import { createSaleStore, type SaleStore } from '../../../writeModel/saleStore.js';
import { claimOf, type Claim } from '../../support/claimStorm.js';
import { saleScheduled } from '../../support/claimingFixtures.js';
import {
  claimsNotDecidedOnce,
  deadLetterCount,
  grantsBeyondStock,
  readSalesTopic,
  saleLedger,
  slotsGrantedTwice,
} from '../../support/faults/checkers.js';
import { type OwnRedis, startOwnRedis } from '../../support/faults/ownRedis.js';
import { startTestSystem, type TestSystem } from '../../support/system.js';
import { waitFor } from '../../support/waitFor.js';

const STOCK = 100;
/** How long Redis refuses writes: long enough for the runner's backoff to grow, short enough for the time box. */
const REFUSING_MS = 8_000;
const CLAIMS_CONSUMER = 'claims.decisions';

/** The store the system writes to. */
let redis: OwnRedis;
/** The other node of the failover: a replica of `redis` first, then its master for a while. */
let other: OwnRedis;
let system: TestSystem;
let store: SaleStore;

beforeAll(async () => {
  [redis, other] = await Promise.all([startOwnRedis({ persistence: 'none' }), startOwnRedis({ persistence: 'none' })]);
  system = await startTestSystem('rediserr', ['api', 'projections', 'claims'], { REDIS_URL: redis.url });
  store = createSaleStore({ redis: system.platform.redis, topicPrefix: system.prefix });
});
afterAll(async () => {
  await store?.close();
  await system?.stop();
  await Promise.all([redis?.stop(), other?.stop()]);
});

async function openSale(saleId: string) {
  const now = Date.now();
  const sale = saleScheduled({
    saleId,
    occurredAt: now,
    startsAt: now - 1_000,
    endsAt: now + 3_600_000,
    stock: STOCK,
    perUserLimit: 1,
    reservationSeconds: 600,
  });
  await system.platform.publisher.publish([sale]);
  await waitFor(() => store.readSale(sale.saleId, Date.now()), { timeoutMs: 60_000, what: 'the sale in the store' });
  return sale;
}

function claimsOf(saleId: string, shopper: string, count: number): Claim[] {
  return Array.from({ length: count }, (_, i) => claimOf(saleId, `${shopper}-${i}`));
}

/** Before the fault: every claim decided is the scenario's precondition. */
async function publishAndAwait(claims: Claim[]): Promise<void> {
  await system.platform.publisher.publish(claims);
  expect(await awaitDecided(claims)).toBe(0);
}

/** How many of these claims are still undecided after the wait (the verdict says what that means). */
async function awaitDecided(claims: Claim[], timeoutMs = 60_000): Promise<number> {
  const decided = await Promise.all(claims.map((c) => store.awaitDecision(c.transactionId, timeoutMs)));
  return decided.filter((d) => d === undefined).length;
}

/** After the fault: published, waited for, and counted, not asserted, so the verdict prints every number. */
async function publishAndCount(claims: Claim[]): Promise<number> {
  await system.platform.publisher.publish(claims);
  return awaitDecided(claims, 30_000);
}

/** Rebuilds of the store from the topics so far (a tail fold after the failover counts as one). */
async function rebuilds(): Promise<number> {
  const counter = await system.platform.metrics.getSingleMetric('flashsale_inventory_rebuilds_total')?.get();
  return counter?.values.reduce((n, v) => n + v.value, 0) ?? 0;
}

/** How many of these claims Redis holds a decision for now. */
async function decidedIn(claims: Claim[]): Promise<number> {
  const found = await Promise.all(claims.map((c) => store.readDecision(c.transactionId).catch(() => undefined)));
  return found.filter(Boolean).length;
}

/** Claims published in waves while Redis refuses, for the whole of REFUSING_MS. */
async function claimsWhileRefusing(saleId: string, shopper: string, waves: number, perWave: number): Promise<Claim[]> {
  const started = Date.now();
  const published: Claim[] = [];
  for (let w = 0; w < waves; w++) {
    const wave = claimsOf(saleId, `${shopper}-w${w}`, perWave);
    await system.platform.publisher.publish(wave);
    published.push(...wave);
    await new Promise((r) => setTimeout(r, REFUSING_MS / waves));
  }
  await new Promise((r) => setTimeout(r, Math.max(0, REFUSING_MS - (Date.now() - started))));
  return published;
}

type Waiting = { gaugeMax: number; longestWaitMs: number; readyz: { status: number; consumerParts: Record<string, unknown> } | undefined };

/**
 * Watches the claims consumer while a fault lasts: the waiting gauge in the process's metrics
 * registry (its highest reading), how long its longest wait lasted, and /readyz once, a few
 * seconds in.
 */
function watchWaiting(): { stop(): Promise<Waiting> } {
  const registry = system.platform.metrics;
  const waits = consumerWaitsOf(registry);
  let gaugeMax = 0;
  let longestWaitMs = 0;
  let readyz: Waiting['readyz'];
  const sample = async () => {
    const gauge = await registry.getSingleMetric('flashsale_consumer_waiting')?.get();
    for (const v of gauge?.values ?? []) if (v.labels.consumer === CLAIMS_CONSUMER) gaugeMax = Math.max(gaugeMax, v.value);
    for (const w of waits.list()) if (w.consumer === CLAIMS_CONSUMER) longestWaitMs = Math.max(longestWaitMs, Date.now() - w.since);
  };
  const timer = setInterval(() => void sample(), 200);
  const asked = new Promise<void>((resolve) =>
    setTimeout(() => {
      fetch(`${system.baseUrl}/readyz`)
        .then(async (res) => {
          const body = (await res.json()) as { parts: Record<string, unknown> };
          readyz = {
            status: res.status,
            consumerParts: Object.fromEntries(Object.entries(body.parts).filter(([k]) => k.startsWith('consumer:'))),
          };
        })
        .catch(() => undefined)
        .finally(resolve);
    }, REFUSING_MS / 2),
  );
  return {
    async stop() {
      await asked;
      await sample();
      clearInterval(timer);
      return { gaugeMax, longestWaitMs, readyz };
    },
  };
}

/** The sale's decisions on the topic once every claim's is there, checked; the numbers printed before the verdict. */
async function verdict({
  what,
  saleId,
  claims,
  waiting,
  deadLettersBefore,
  extra,
}: {
  what: string;
  saleId: string;
  claims: Claim[];
  waiting: Waiting;
  /** The dead-letter topic is the system's, shared by both scenarios: each counts what it added. */
  deadLettersBefore: number;
  /** What the scenario adds to the printed numbers. */
  extra: string;
}) {
  // Given time for every decision to reach the topic; the last reading is the verdict either way.
  let ledger = saleLedger([], saleId);
  await waitFor(
    async () => {
      ledger = saleLedger(await readSalesTopic({ ...system.platform, topicPrefix: system.prefix }), saleId);
      return claims.every((c) => ledger.decisions.has(c.transactionId));
    },
    { timeoutMs: 15_000, intervalMs: 500, what: 'every decision on the sales topic' },
  ).catch(() => undefined);
  const claimed = claims.map((c) => c.transactionId);
  const notDecidedOnce = claimsNotDecidedOnce(ledger, claimed);
  const deadLetters = (await deadLetterCount(system.platform.kafka, system.prefix)) - deadLettersBefore;
  console.info(
    `redis ${what}: ${claims.length} claims, ${ledger.decisions.size} decided, ${ledger.grants.length} grants (${ledger.unitsGranted} units) for ${STOCK}; ` +
      `${ledger.slotsGrantedTwice.length} slot ids granted twice (e.g. ${ledger.slotsGrantedTwice.slice(0, 3).join(', ')}); ` +
      `${notDecidedOnce.length} claims not decided exactly once; ${deadLetters} dead letters; ` +
      `claims consumer waiting gauge max ${waiting.gaugeMax}, longest wait ${waiting.longestWaitMs} ms; ` +
      `/readyz ${waiting.readyz?.status ?? '?'} ${JSON.stringify(waiting.readyz?.consumerParts ?? {})}; ${extra}`,
  );
  expect({
    unitsGranted: ledger.unitsGranted,
    beyondStock: grantsBeyondStock(ledger, STOCK),
    slotsGrantedTwice: slotsGrantedTwice(ledger).slice(0, 5),
    claimsNotDecidedOnce: notDecidedOnce.slice(0, 5),
    deadLetters,
    claimsConsumerWaited: waiting.gaugeMax > 0,
    readyzShowsClaimsWaiting: waiting.readyz?.status === 503 && `consumer:${CLAIMS_CONSUMER}` in (waiting.readyz?.consumerParts ?? {}),
  }).toEqual({
    unitsGranted: STOCK,
    beyondStock: [],
    slotsGrantedTwice: [],
    claimsNotDecidedOnce: [],
    deadLetters: 0,
    claimsConsumerWaited: true,
    readyzShowsClaimsWaiting: true,
  });
}

describe('Redis answering errors mid-sale', () => {
  it('OOM (maxmemory below the data set, noeviction): waits, then decides every claim once, within stock', async () => {
    const sale = await openSale('oom-1');
    const rebuiltBefore = await rebuilds();
    const deadLettersBefore = await deadLetterCount(system.platform.kafka, system.prefix);
    const before = claimsOf(sale.saleId, 'early', 50);
    await publishAndAwait(before);

    // Under what the data set already uses: every write is refused until it is raised again.
    const used = Number((await redis.info('memory')).used_memory);
    await redis.config('maxmemory', Math.floor(used / 2));
    const refusedAt = Date.now();
    const watch = watchWaiting();
    const during = await claimsWhileRefusing(sale.saleId, 'oom', 4, 25);
    const decidedWhileRefused = await decidedIn(during);
    await redis.config('maxmemory', 0);
    const refusedMs = Date.now() - refusedAt;
    const undecided = await awaitDecided(during, 30_000);
    const waiting = await watch.stop();

    const after = claimsOf(sale.saleId, 'late', 50);
    const undecidedLate = await publishAndCount(after);
    await verdict({
      what: 'OOM',
      saleId: sale.saleId,
      claims: [...before, ...during, ...after],
      waiting,
      deadLettersBefore,
      extra:
        `refused writes for ${refusedMs} ms, ${decidedWhileRefused} of ${during.length} decided meanwhile, ${undecided + undecidedLate} claims undecided after it; ` +
        `${(await rebuilds()) - rebuiltBefore} store rebuilds`,
    });
  });

  it('READONLY (demoted in a failover, then promoted back): waits, then decides every claim once, within stock', async () => {
    const sale = await openSale('readonly-1');
    const rebuiltBefore = await rebuilds();
    const deadLettersBefore = await deadLetterCount(system.platform.kafka, system.prefix);
    const before = claimsOf(sale.saleId, 'early', 40);
    await publishAndAwait(before);

    // The other node becomes a replica and catches up.
    await other.command('REPLICAOF', '127.0.0.1', redis.port);
    await waitFor(
      async () => {
        const [replica, master] = await Promise.all([other.info('replication'), redis.info('replication')]);
        return replica.master_link_status === 'up' && replica.master_repl_offset === master.master_repl_offset;
      },
      { timeoutMs: 20_000, intervalMs: 100, what: 'the replica in sync' },
    );

    // The failover: the replica is promoted while the node the system writes to still takes
    // writes; what it decides now is on Kafka but not on the new master.
    await other.command('REPLICAOF', 'NO', 'ONE');
    const splitBrain = claimsOf(sale.saleId, 'split', 20);
    await publishAndAwait(splitBrain);

    // Demoted: it resyncs from the new master (losing those writes) and answers READONLY.
    await redis.command('REPLICAOF', '127.0.0.1', other.port);
    const demotedAt = Date.now();
    const watch = watchWaiting();
    const during = await claimsWhileRefusing(sale.saleId, 'readonly', 4, 15);
    const decidedWhileRefused = await decidedIn(during);
    const link = (await redis.info('replication')).master_link_status;

    // Promoted back: the system's node is a master again.
    await redis.command('REPLICAOF', 'NO', 'ONE');
    const demotedMs = Date.now() - demotedAt;
    const undecided = await awaitDecided(during, 30_000);
    const waiting = await watch.stop();

    const after = claimsOf(sale.saleId, 'late', 60);
    const undecidedLate = await publishAndCount(after);
    await verdict({
      what: 'READONLY',
      saleId: sale.saleId,
      claims: [...before, ...splitBrain, ...during, ...after],
      waiting,
      deadLettersBefore,
      extra:
        `demoted for ${demotedMs} ms (link to the new master ${link}), ${decidedWhileRefused} of ${during.length} decided meanwhile, ${undecided + undecidedLate} claims undecided after it; ` +
        `${(await rebuilds()) - rebuiltBefore} store rebuilds (tail folds expected: Redis starts a new replication history when the replica attaches and at the promotion)`,
    });
  });
});
