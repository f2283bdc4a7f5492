// Issue 14, fault 4: a decision-maker frozen (SIGSTOP) for longer than its consumer session
// timeout while claims flow, then resumed (SIGCONT). Two claims-role processes share the
// `claims.decisions` group: the test's own system (projections and claims, in this process)
// and a second one in a child process, as a scaled-out deployment runs them. Six sales, one
// on each partition of `claims`, so the child holds some of them when it is frozen.
//
// While it is frozen its sales' claims wait; once the coordinator gives up on it (the
// session timeout: 10 s here, KAFKA_SESSION_TIMEOUT_MS; 30 s by default) the group
// rebalances and the other process decides them. Then the frozen one wakes as a zombie: with
// whatever batch it had in hand, a generation the group has left behind, and the belief that
// it owns its partitions, until its next heartbeat or commit tells it otherwise. The promise:
// no slot is granted twice, grants never exceed a sale's stock, every claim is decided exactly
// once, nothing is dead-lettered, and the woken process neither crashes nor stays out. A
// decision the zombie publishes again carries the same eventId, which the ledger counts once,
// so every copy must also be the same decision (copiesThatDisagree).
import crypto from 'node:crypto';
import { AssignerProtocol, type Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consumerGroupId } from '../../../platform/kafka/groupId.js';
import { partitionOf } from '../../../platform/kafka/partitioning.js';
import { keyPrefix } from '../../../platform/redis.js';
import type { EventOf } from '../../../schemas/events/index.js';
import { topicName, topicSpec } from '../../../schemas/topics.js';
import { claimsSubscription } from '../../../consumers/claims/decisionMaker.js';
import { createSaleStore, type SaleStore } from '../../../writeModel/saleStore.js';
import { claimOf, type Claim } from '../../support/claimStorm.js';
import { saleScheduled } from '../../support/claimingFixtures.js';
import {
  claimsNotDecidedOnce,
  copiesThatDisagree,
  deadLetterCount,
  grantsBeyondStock,
  readSalesTopic,
  saleLedger,
  slotsGrantedTwice,
} from '../../support/faults/checkers.js';
import { onWorkerExit } from '../../support/faults/cleanup.js';
import { startSystemChild, type SystemChild } from '../../support/faults/systemChild.js';
import { cleanPrefixAt } from '../../support/redisPrefix.js';
import { startTestSystem, type TestSystem } from '../../support/system.js';
import { waitFor } from '../../support/waitFor.js';

/** Both decision-makers' consumer session: short, so the freeze need not be long (the default is 30 s). */
const SESSION_TIMEOUT_MS = '10000';
/** Past the decision-makers' session timeout, with room for the rebalance. */
const FROZEN_MS = 20_000;
const FLOWING_BEFORE_MS = 6_000;
const FLOWING_AFTER_MS = 15_000;
/** One claim per sale every tick. */
const TICK_MS = 250;
/** Claims per sale published at once just before the freeze, so the child is likely frozen inside a batch. */
const BURST = 300;
/** About BURST + 160 claims per sale arrive in all: each sale sells out a little after the frozen process wakes. */
const STOCK = 400;
/** A claim decided later than this after it was published waited on the frozen process. */
const STALLED_MS = 10_000;

let system: TestSystem;
let frozen: SystemChild;
let store: SaleStore;
let admin: Admin;
let forgetChild: (() => void) | undefined;
/** The in-process decision-maker's member id: the child's is the other one. */
let inProcessMember: string;

beforeAll(async () => {
  system = await startTestSystem('frozen', ['projections', 'claims'], { KAFKA_SESSION_TIMEOUT_MS: SESSION_TIMEOUT_MS });
  admin = system.platform.kafka.admin();
  await admin.connect();
  // The in-process decision-maker alone in the group first, so the child's member is the one that joins after it.
  const alone = await waitFor(async () => (await members())[0], { timeoutMs: 60_000, what: 'the first member' });
  inProcessMember = alone.memberId;
  // At debug level the child logs each batch it decides (on stdout, as JSON lines the test reads).
  frozen = await startSystemChild({
    TOPIC_PREFIX: system.prefix,
    TEST_DB_SCHEMA: system.dbSchema,
    ROLES: 'claims',
    KAFKA_SESSION_TIMEOUT_MS: SESSION_TIMEOUT_MS,
    TEST_LOG_LEVEL: 'debug',
  });
  const pid = frozen.process.pid;
  // A stopped child outlives a crashed worker unless killed: SIGKILL needs no SIGCONT.
  forgetChild = onWorkerExit(() => {
    if (pid) process.kill(pid, 'SIGKILL');
  });
  store = createSaleStore({ redis: system.platform.redis, topicPrefix: system.prefix });
});
afterAll(async () => {
  if (frozen && frozen.ended() === undefined) {
    frozen.process.kill('SIGCONT'); // a stopped process only acts on SIGTERM once continued
    await frozen.stop();
  }
  forgetChild?.();
  await admin?.disconnect();
  await store?.close();
  await system?.stop();
  if (system) await cleanPrefixAt(system.platform.config.redisUrl, keyPrefix(system.prefix));
});

type Member = { memberId: string; partitions: number[] };

/** The decision-makers' group as the coordinator sees it: its members (when stable) and their partitions of `claims`. */
async function members(): Promise<Member[]> {
  const { groups } = await admin.describeGroups([consumerGroupId(system.prefix, claimsSubscription.group)]);
  const group = groups[0];
  if (!group || group.state !== 'Stable') return [];
  return group.members.map((m) => ({
    memberId: m.memberId,
    partitions: AssignerProtocol.MemberAssignment.decode(m.memberAssignment)?.assignment[topicName(system.prefix, 'claims')] ?? [],
  }));
}

/** One sale id per partition of `claims`, as the publisher's partitioner places them. */
function oneSalePerPartition(): string[] {
  const count = topicSpec('claims').partitions;
  const bySlot = new Map<number, string>();
  for (let n = 0; bySlot.size < count; n++) {
    const saleId = `frozen-${n}`;
    const partition = partitionOf('claims', saleId);
    if (!bySlot.has(partition)) bySlot.set(partition, saleId);
  }
  return [...bySlot.entries()].sort(([a], [b]) => a - b).map(([, saleId]) => saleId);
}

describe('a decision-maker frozen past its session timeout, then resumed', () => {
  it('grants no slot twice and decides every claim once, while the group moves its sales and back', { timeout: 240_000 }, async () => {
    const run = crypto.randomBytes(3).toString('hex');
    const both = await waitFor(async () => ((await members()).length === 2 ? members() : undefined), {
      timeoutMs: 60_000,
      what: 'both decision-makers in the group',
    });
    const childMember = both.find((m) => m.memberId !== inProcessMember);
    const saleIds = oneSalePerPartition();
    const frozenSales = saleIds.filter((_, partition) => childMember?.partitions.includes(partition));
    const now = Date.now();
    const sales: EventOf<'SaleScheduled'>[] = saleIds.map((saleId) =>
      saleScheduled({ saleId, occurredAt: now, startsAt: now - 1_000, endsAt: now + 3_600_000, stock: STOCK, perUserLimit: 1 }),
    );
    await system.platform.publisher.publish(sales);
    for (const s of sales)
      await waitFor(() => store.readSale(s.saleId, Date.now()), { timeoutMs: 60_000, what: `sale ${s.saleId} in the store` });

    // Every claim published is awaited for its decision and timed.
    const published: Claim[] = [];
    const timings: { saleId: string; publishedAt: number; ms?: number }[] = [];
    let failedPublishes = 0;
    async function publishClaims(claims: Claim[]): Promise<void> {
      const publishedAt = Date.now();
      try {
        await system.platform.publisher.publish(claims);
      } catch {
        failedPublishes++; // never on the log, never owed a decision
        return;
      }
      for (const c of claims) {
        published.push(c);
        const timing: (typeof timings)[number] = { saleId: c.saleId, publishedAt };
        timings.push(timing);
        void store.awaitDecision(c.transactionId, 180_000).then((d) => {
          if (d) timing.ms = Date.now() - publishedAt;
        });
      }
    }
    // Claims flow the whole time: one per sale per tick.
    let flowing = true;
    const flow = (async () => {
      for (let tick = 0; flowing; tick++) {
        const startedAt = Date.now();
        await publishClaims(saleIds.map((saleId) => claimOf(saleId, `${run}-shopper-${tick}-${saleId}`)));
        await new Promise((r) => setTimeout(r, Math.max(0, TICK_MS - (Date.now() - startedAt))));
      }
    })();
    await new Promise((r) => setTimeout(r, FLOWING_BEFORE_MS));

    // A burst, and the child frozen as soon as it has decided its first batch of it: it is then
    // likely inside the next one (decided in Redis, perhaps published, not committed).
    const burstAt = Date.now();
    await publishClaims(
      saleIds.flatMap((saleId) => Array.from({ length: BURST }, (_, i) => claimOf(saleId, `${run}-burst-${i}-${saleId}`))),
    );
    const firstBurstBatch = await frozen
      .line((l) => l.msg === 'claims decided' && Number(l.time) >= burstAt && Number(l.claims) > 10, 10_000)
      .catch(() => undefined);
    frozen.process.kill('SIGSTOP');
    const frozenAt = Date.now();
    const evictedAfterMs = await waitFor(
      async () => {
        const m = await members();
        return m.length === 1 && m[0]?.memberId === inProcessMember ? Date.now() - frozenAt : undefined;
      },
      { timeoutMs: FROZEN_MS, intervalMs: 500, what: 'the frozen member dropped from the group' },
    ).catch(() => undefined);
    await new Promise((r) => setTimeout(r, Math.max(0, FROZEN_MS - (Date.now() - frozenAt)))); // the freeze's length is the fault
    frozen.process.kill('SIGCONT');
    const resumedAt = Date.now();
    const frozenForMs = resumedAt - frozenAt;
    const rejoinedAfterMs = await waitFor(async () => ((await members()).length === 2 ? Date.now() - resumedAt : undefined), {
      timeoutMs: 45_000,
      intervalMs: 250,
      what: 'the woken process back in the group',
    }).catch(() => undefined);
    await new Promise((r) => setTimeout(r, Math.max(0, FLOWING_AFTER_MS - (Date.now() - resumedAt))));
    flowing = false;
    await flow;

    // What the child did as a zombie: the batches it decided after waking, before the group was
    // seen stable with it again (polled every 250 ms, so a batch just after its rejoin may count).
    const zombieBatches = frozen.lines.filter(
      (l) => l.msg === 'claims decided' && Number(l.time) >= resumedAt && Number(l.time) < resumedAt + (rejoinedAfterMs ?? 0),
    );

    // The verdict from the topic, once every claim has a decision there (or the wait gives up).
    const ids = published.map((c) => c.transactionId);
    const readTopic = async () => {
      const events = await readSalesTopic({ ...system.platform, topicPrefix: system.prefix });
      return { events, ledgers: saleIds.map((saleId) => saleLedger(events, saleId)) };
    };
    const { events, ledgers } = await waitFor(
      async () => {
        const read = await readTopic();
        return ids.every((tx) => read.ledgers.some((l) => l.decisions.has(tx))) ? read : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 1_000, what: 'every claim decided on the sales topic' },
    ).catch(readTopic);
    const violations = ledgers.flatMap((l) => [
      ...grantsBeyondStock(l, STOCK),
      ...copiesThatDisagree(events, l.saleId),
      ...slotsGrantedTwice(l),
      ...claimsNotDecidedOnce(
        l,
        published.filter((c) => c.saleId === l.saleId).map((c) => c.transactionId),
      ),
    ]);
    // A decision published again (same eventId) is allowed and counted once; how often it happened says who redelivered.
    const decisionRecords = events.filter((e) => e.type === 'ClaimGranted' || e.type === 'ClaimRejected');
    const copies = decisionRecords.length - new Set(decisionRecords.map((e) => e.eventId)).size;
    const deadLetters = await deadLetterCount(system.platform.kafka, system.prefix);
    const stalled = timings.filter((t) => t.ms !== undefined && t.ms > STALLED_MS);
    const stalledOnFrozen = stalled.filter((t) => frozenSales.includes(t.saleId)).length;
    // Its sales' claims decided before it woke: the other process took them over.
    const takenOver = timings.filter(
      (t) => frozenSales.includes(t.saleId) && t.publishedAt >= frozenAt && t.ms !== undefined && t.publishedAt + t.ms < resumedAt,
    ).length;
    const ended = frozen.ended();
    console.info(
      `role frozen: child held partitions [${childMember?.partitions.join(', ') ?? '?'}] (sales ${frozenSales.join(', ')}); ` +
        `frozen ${firstBurstBatch ? `after deciding ${String(firstBurstBatch.claims)} burst claims` : 'without seeing it decide the burst'}, for ${frozenForMs} ms; ` +
        `dropped from the group after ${evictedAfterMs ?? 'never'} ms; back in it ${rejoinedAfterMs ?? 'never'} ms after SIGCONT; ` +
        `after waking, before the group had it back, it decided ${zombieBatches.reduce((n, l) => n + Number(l.claims), 0)} claims in ${zombieBatches.length} batches; ` +
        `${published.length} claims published (${failedPublishes} publishes failed); ${stalled.length} waited over ${STALLED_MS} ms ` +
        `(${stalledOnFrozen} on its sales, slowest ${Math.max(0, ...timings.map((t) => t.ms ?? 0))} ms); ` +
        `${takenOver} of its sales' claims decided by the other process while it was frozen; ` +
        ledgers.map((l) => `${l.saleId}: ${l.unitsGranted}/${STOCK} granted, ${l.decisions.size} decided`).join('; ') +
        `; ${copies} decisions published more than once; ${violations.length} violations; ${deadLetters} dead letters; ` +
        `child ${ended ? `ENDED (${ended.code ?? ended.signal}):\n${frozen.stderr().split('\n').slice(-25).join('\n')}` : 'still running'}`,
    );
    expect({
      frozenHeldSales: frozenSales.length > 0,
      droppedFromGroup: evictedAfterMs !== undefined,
      takenOverWhileFrozen: takenOver > 0,
      violations: violations.slice(0, 10),
      deadLetters,
      childEnded: ended ?? null,
      rejoined: rejoinedAfterMs !== undefined,
    }).toEqual({
      frozenHeldSales: true,
      droppedFromGroup: true,
      takenOverWhileFrozen: true,
      violations: [],
      deadLetters: 0,
      childEnded: null,
      rejoined: true,
    });
  });
});
