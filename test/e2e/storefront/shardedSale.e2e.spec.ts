// A hot sale on three shards, decided by three decision-makers in processes of their own: the
// shoppers' claims spread over three claims partitions, each owned by a different process, and
// the sale still sells exactly its stock. A first wave of exactly `stock` shoppers is all
// granted, whichever shards they land on (a refusal there would be a false sold-out: units were
// free), and the next wave is all refused sold_out.
import type { Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimsSubscription } from '../../../consumers/claims/decisionMaker.js';
import { shardOf } from '../../../domain/claiming/shards/shardOf.js';
import { consumerGroupId } from '../../../platform/kafka/groupId.js';
import { partitionOf } from '../../../platform/kafka/partitioning.js';
import { keyPrefix } from '../../../platform/redis.js';
import { topicName } from '../../../schemas/topics.js';
import { type Child, runChild } from '../../support/childProcess.js';
import { cleanPrefixAt } from '../../support/redisPrefix.js';
import { startTestSystem, type TestSystem } from '../../support/system.js';
import { waitFor } from '../../support/waitFor.js';
import { type Call, client, scheduleSale, storeReady, topicSize } from './storefrontClient.js';

const SHARDS = 3;
const STOCK = 30;

let system: TestSystem;
let call: Call;
let admin: Admin;
let operator: string;
const deciders: Child[] = [];

beforeAll(async () => {
  system = await startTestSystem('sharded', ['api', 'projections']);
  call = client(system);
  admin = system.platform.kafka.admin();
  await admin.connect();
  await storeReady(system);
  operator = await system.operatorToken();
  for (let i = 0; i < SHARDS; i++) deciders.push(runChild('test/support/claimsWorker.ts', { TOPIC_PREFIX: system.prefix }));
  await Promise.all(deciders.map((d) => d.line((l) => l.ready === true, 90_000)));
}, 120_000);
afterAll(async () => {
  for (const d of deciders) await d.stop();
  await admin?.disconnect();
  await system?.stop();
  if (system) await cleanPrefixAt(system.platform.config.redisUrl, keyPrefix(system.prefix));
});

/** Which member of the decision-makers' group owns each claims partition, once all of them have joined. */
async function ownersOfClaims(): Promise<Map<number, string>> {
  const groupId = consumerGroupId(system.prefix, claimsSubscription.group);
  const topic = topicName(system.prefix, 'claims');
  return waitFor(
    async () => {
      const { groups } = await admin.describeGroups([groupId]);
      const group = groups[0];
      if (group?.state !== 'Stable' || group.members.length !== SHARDS) return undefined;
      const owners = new Map<number, string>();
      for (const member of group.members) {
        // The consumer protocol's assignment: version, then per topic its name and partitions.
        const buffer = member.memberAssignment;
        let at = 2;
        const topics = buffer.readInt32BE(at);
        at += 4;
        for (let t = 0; t < topics; t++) {
          const length = buffer.readInt16BE(at);
          const name = buffer.toString('utf8', at + 2, at + 2 + length);
          at += 2 + length;
          const count = buffer.readInt32BE(at);
          at += 4;
          for (let p = 0; p < count; p++, at += 4) if (name === topic) owners.set(buffer.readInt32BE(at), member.memberId);
        }
      }
      return owners.size > 0 ? owners : undefined;
    },
    { timeoutMs: 90_000, intervalMs: 250, what: `the ${SHARDS} decision-makers sharing the claims partitions` },
  );
}

/** A shopper enters and claims one unit, waiting for the decision. */
async function shop(saleId: string, userId: string): Promise<{ status: number; decision?: string; reason?: string; slotId?: string }> {
  const token = await system.userToken(userId);
  const entry = await call('POST', `/sales/${saleId}/entries`, { token });
  if (entry.status !== 201) throw new Error(`entry answered ${entry.status}: ${JSON.stringify(entry.body)}`);
  const transactionId = entry.body.transactionId as string;
  for (;;) {
    const claim = await call('POST', `/sales/${saleId}/claims`, {
      token,
      body: { transactionId, quantity: 1 },
      headers: { prefer: 'wait=5' },
    });
    // A decision that outlasted the wait is asked again: a repeated claim answers it (200).
    const body = claim.body as { status?: string; reason?: string; slotId?: string };
    if (claim.status !== 202) return { status: claim.status, decision: body.status, reason: body.reason, slotId: body.slotId };
  }
}

describe('a sale on three shards', () => {
  it('refuses a shard count it cannot spread, and publishes nothing for it', async () => {
    const before = await topicSize(admin, system, 'sales');
    for (const shards of [0, 7, 1.5]) {
      const { answer } = await scheduleSale(call, operator, { shards });
      expect(answer.status, JSON.stringify(answer.body)).toBe(400);
      expect(JSON.stringify(answer.body)).toMatch(/shards/);
    }
    expect(await topicSize(admin, system, 'sales')).toBe(before);
  });

  it('spreads its claims over three partitions owned by three processes, and sells exactly its stock', async () => {
    const { saleId, answer } = await scheduleSale(call, operator, { stock: STOCK, perUserLimit: 1, shards: SHARDS });
    expect(answer.status, JSON.stringify(answer.body)).toBe(201);
    const shopper = await system.userToken('u-look');
    expect((await call('GET', `/sales/${saleId}`, { token: shopper })).body).toMatchObject({ shards: SHARDS, stockRemaining: STOCK });

    const partitions = Array.from({ length: SHARDS }, (_, k) => partitionOf('claims', saleId, k));
    const owners = await ownersOfClaims();
    expect(new Set(partitions.map((p) => owners.get(p))).size).toBe(SHARDS);

    // Wave one: exactly as many shoppers as units, all at once.
    const first = Array.from({ length: STOCK }, (_, i) => `u-first-${i}`);
    const granted = await Promise.all(first.map((u) => shop(saleId, u)));
    expect(granted.filter((a) => a.decision !== 'granted')).toEqual([]);
    expect(new Set(granted.map((a) => a.slotId)).size).toBe(STOCK);
    expect(new Set(first.map((u) => shardOf(u, SHARDS))).size).toBe(SHARDS);

    // Every shard's partition got claims.
    const offsets = await admin.fetchTopicOffsets(topicName(system.prefix, 'claims'));
    for (const p of partitions) expect(Number(offsets.find((o) => o.partition === p)?.high)).toBeGreaterThan(0);

    // Wave two: the sale is sold out, on every shard.
    const late = await Promise.all(Array.from({ length: 12 }, (_, i) => shop(saleId, `u-late-${i}`)));
    expect(late.map((a) => [a.decision, a.reason])).toEqual(late.map(() => ['rejected', 'sold_out']));
    expect((await call('GET', `/sales/${saleId}`, { token: shopper })).body).toMatchObject({ status: 'sold_out', stockRemaining: 0 });
  });
});
