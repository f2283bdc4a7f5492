// Issue 14, fault 3: the schema registry stopped and started. The system reaches the shared
// registry through a TCP proxy of this test's own, so only this system loses it.
//
// A codec keeps every schema it has met by id (its own resolvers, and the registry client's
// cache, which `registerAll` at start fills with every schema the system itself writes): once
// running, the system never asks the registry about records written with today's schemas. What
// an outage stops is records whose schema id the process has not met: here, claims from a
// newer producer (a rolling deploy: the storefront's next version already writes
// ClaimRequested with an optional `channel`), registered as the subject's next version before
// the cut and published while it lasts, among claims of today's schema. The promise: the
// consumers wait (the claims partition paused, flashsale_consumer_waiting and /readyz say so),
// dead-letter nothing, and once the registry answers again decide every claim exactly once, by
// themselves; grants never exceed the stock and no slot is granted twice.
import { COMPATIBILITY, SchemaType } from '@kafkajs/confluent-schema-registry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEventPublisher, type EventPublisher } from '../../../platform/kafka/publisher.js';
import { keyPrefix } from '../../../platform/redis.js';
import { createSchemaRegistry } from '../../../platform/registry/codec.js';
import { ClaimRequested } from '../../../schemas/events/storefront.js';
import { subjectOf, topicName } from '../../../schemas/topics.js';
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
import { startTcpProxy, type TcpProxy } from '../../support/faults/tcpProxy.js';
import { cleanPrefixAt } from '../../support/redisPrefix.js';
import { startTestSystem, type TestSystem } from '../../support/system.js';
import { waitFor } from '../../support/waitFor.js';

const REGISTRY = { host: '127.0.0.1', port: 8081 };
const STOCK = 50;
const BEFORE_OUTAGE = 20;
/** Claims of the newer producer, published while the registry is away: their schema id is new to the system. */
const NEWER_DURING_OUTAGE = 30;
/** Claims of today's schema published while the registry is away, behind the newer ones on the sale's partition. */
const TODAYS_DURING_OUTAGE = 20;
const OUTAGE_MS = 12_000;

let proxy: TcpProxy;
let system: TestSystem;
let store: SaleStore;
let newerProducer: EventPublisher | undefined;

beforeAll(async () => {
  proxy = await startTcpProxy(REGISTRY);
  system = await startTestSystem('regaway', ['api', 'projections', 'claims', 'reconciliation'], {
    SCHEMA_REGISTRY_URL: `http://127.0.0.1:${proxy.port}/apis/ccompat/v7`,
  });
  store = createSaleStore({ redis: system.platform.redis, topicPrefix: system.prefix });
});
afterAll(async () => {
  await newerProducer?.disconnect();
  await store?.close();
  await system?.stop();
  await proxy?.close();
  if (system) await cleanPrefixAt(system.platform.config.redisUrl, keyPrefix(system.prefix));
});

/**
 * The storefront's next version: ClaimRequested with an optional `channel` (BACKWARD-compatible,
 * so today's reader decodes it), registered as the subject's next version at the registry itself
 * (not through the proxy), and a publisher that writes every claim with that schema id.
 */
async function newerStorefront(): Promise<{ schemaId: number; publisher: EventPublisher }> {
  const registry = createSchemaRegistry({ schemaRegistryUrl: `http://${REGISTRY.host}:${REGISTRY.port}/apis/ccompat/v7` });
  const next = { ...ClaimRequested, fields: [...ClaimRequested.fields, { name: 'channel', type: ['null', 'string'], default: null }] };
  const { id } = await registry.register(
    { type: SchemaType.AVRO, schema: JSON.stringify(next) },
    { subject: subjectOf(topicName(system.prefix, 'claims'), 'ClaimRequested'), compatibility: COMPATIBILITY.BACKWARD },
  );
  const publisher = await createEventPublisher({
    kafka: system.platform.kafka,
    topicPrefix: system.prefix,
    codec: {
      encode: async (event) => {
        const { type: _type, ...fields } = event;
        return registry.encode(id, { ...fields, channel: 'app' });
      },
    },
  });
  return { schemaId: id, publisher };
}

/** The consumers of the system that say they wait, from its flashsale_consumer_waiting gauge. */
async function waitingConsumers(): Promise<string[]> {
  const gauge = system.platform.metrics.getSingleMetric('flashsale_consumer_waiting');
  if (!gauge) return [];
  const { values } = await gauge.get();
  return values.filter((v) => v.value === 1).map((v) => String(v.labels.consumer));
}

async function readiness(): Promise<{ status: number; parts: Record<string, unknown> }> {
  const res = await fetch(`${system.baseUrl}/readyz`);
  return { status: res.status, parts: ((await res.json()) as { parts: Record<string, unknown> }).parts };
}

describe('the schema registry stopped and started', () => {
  it('waits while it is away, dead-letters nothing, and decides every claim once when it is back', async () => {
    const now = Date.now();
    const sale = saleScheduled({
      saleId: 'regaway-1',
      occurredAt: now,
      startsAt: now - 1_000,
      endsAt: now + 3_600_000,
      stock: STOCK,
      perUserLimit: 1,
      reservationSeconds: 900,
    });
    const publisher = system.platform.publisher;
    await publisher.publish([sale]);
    await waitFor(() => store.readSale(sale.saleId, Date.now()), { what: 'the sale in the store' });

    // Business as usual first: today's claims are decided.
    const before = Array.from({ length: BEFORE_OUTAGE }, (_, i) => claimOf(sale.saleId, `early-${i}`));
    await publisher.publish(before);
    const early = await Promise.all(before.map((c) => store.awaitDecision(c.transactionId, 60_000)));
    expect(early.filter((d) => d === undefined)).toHaveLength(0);

    const newer = await newerStorefront();
    newerProducer = newer.publisher;

    // The registry away: the newer producer's claims (a schema id the system has not met), then today's.
    await proxy.cut();
    const downAt = Date.now();
    const newerClaims = Array.from({ length: NEWER_DURING_OUTAGE }, (_, i) => claimOf(sale.saleId, `newer-${i}`));
    const todaysClaims = Array.from({ length: TODAYS_DURING_OUTAGE }, (_, i) => claimOf(sale.saleId, `today-${i}`));
    await newer.publisher.publish(newerClaims);
    await publisher.publish(todaysClaims);
    const waitingSeen = await waitFor(
      async () => {
        const waiting = await waitingConsumers();
        return waiting.includes('claims.decisions') ? waiting : undefined;
      },
      { timeoutMs: OUTAGE_MS, intervalMs: 200, what: 'the claims consumer waiting' },
    ).catch(() => [] as string[]);
    const whileAway = await readiness();
    // The outage's length is the fault, not a synchronisation.
    await new Promise((r) => setTimeout(r, Math.max(0, OUTAGE_MS - (Date.now() - downAt))));
    const decidedWhileAway = saleLedger(await readSalesTopic({ ...system.platform, topicPrefix: system.prefix }), sale.saleId);
    const newerDecidedWhileAway = newerClaims.filter((c) => decidedWhileAway.decisions.has(c.transactionId)).length;
    const stillWaiting = await waitingConsumers();
    await proxy.restore();
    const outageMs = Date.now() - downAt;

    // Back by itself: every claim decided, on the topic too, and nobody waiting any more.
    const claimed: Claim[] = [...before, ...newerClaims, ...todaysClaims];
    const ids = claimed.map((c) => c.transactionId);
    const ledger = await waitFor(
      async () => {
        const l = saleLedger(await readSalesTopic({ ...system.platform, topicPrefix: system.prefix }), sale.saleId);
        return ids.every((tx) => l.decisions.has(tx)) ? l : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500, what: 'every claim decided on the sales topic' },
    ).catch(async () => saleLedger(await readSalesTopic({ ...system.platform, topicPrefix: system.prefix }), sale.saleId));
    const resumedAfterMs = Date.now() - downAt - outageMs;
    const waitingAfter = await waitFor(async () => ((await waitingConsumers()).length === 0 ? [] : undefined), {
      timeoutMs: 30_000,
      what: 'no consumer waiting',
    }).catch(() => waitingConsumers());
    const readyAfter = await waitFor(async () => ((await readiness()).status === 200 ? 200 : undefined), {
      timeoutMs: 30_000,
      intervalMs: 500,
      what: '/readyz 200',
    }).catch(async () => (await readiness()).status);

    const violations = {
      beyondStock: grantsBeyondStock(ledger, STOCK),
      slotsTwice: slotsGrantedTwice(ledger),
      notDecidedOnce: claimsNotDecidedOnce(ledger, ids),
    };
    const deadLetters = await deadLetterCount(system.platform.kafka, system.prefix);
    const claimsPart = Object.entries(whileAway.parts).find(([k]) => k.includes('claims.decisions'));
    console.info(
      `registry away: cut ${outageMs} ms; newer producer's schema id ${newer.schemaId}; ` +
        `waiting consumers while away [${waitingSeen.join(', ')}] (still at the end of the outage: [${stillWaiting.join(', ')}]); ` +
        `/readyz while away ${whileAway.status} (registry ${String(whileAway.parts.registry)}; ${claimsPart ? `${claimsPart[0]}: ${String(claimsPart[1])}` : 'no claims consumer part'}); ` +
        `${newerDecidedWhileAway} of ${NEWER_DURING_OUTAGE} newer claims decided while away; ` +
        `all decided ${resumedAfterMs} ms after restore; waiting after [${waitingAfter.join(', ')}]; /readyz after ${readyAfter}; ` +
        `${ledger.decisions.size} of ${ids.length} claims decided, ${ledger.grants.length} grants (${ledger.unitsGranted} units) for ${STOCK}; ` +
        `${violations.slotsTwice.length} slots granted twice; ${violations.notDecidedOnce.length} claims not decided exactly once; ${deadLetters} dead letters`,
    );
    expect({
      claimsConsumerWaited: waitingSeen.includes('claims.decisions') && stillWaiting.includes('claims.decisions'),
      readyWhileAway: whileAway.status,
      claimsPartWhileAway: claimsPart !== undefined,
      newerDecidedWhileAway,
      unitsGranted: ledger.unitsGranted,
      beyondStock: violations.beyondStock,
      slotsGrantedTwice: violations.slotsTwice.slice(0, 5),
      claimsNotDecidedOnce: violations.notDecidedOnce.slice(0, 5),
      deadLetters,
      waitingAfter,
      readyAfter,
    }).toEqual({
      claimsConsumerWaited: true,
      readyWhileAway: 503,
      claimsPartWhileAway: true,
      newerDecidedWhileAway: 0,
      unitsGranted: STOCK,
      beyondStock: [],
      slotsGrantedTwice: [],
      claimsNotDecidedOnce: [],
      deadLetters: 0,
      waitingAfter: [],
      readyAfter: 200,
    });
  });
});
