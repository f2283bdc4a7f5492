// Open entries per user per sale are capped (MAX_OPEN_ENTRIES_PER_USER): an entry not yet
// claimed costs a Kafka record kept for good and a Redis hash, so one identity must not open
// them without end. Beyond the cap: 409, and nothing reaches Kafka. A claim frees its entry's
// place; another user, or the same user in another sale, is not affected.
import type { Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSystem, type TestSystem } from '../../support/system.js';
import { type Call, client, scheduleSale, storeReady, topicSize } from './storefrontClient.js';

const CAP = 3;

let system: TestSystem;
let call: Call;
let admin: Admin;
let operator: string;

beforeAll(async () => {
  system = await startTestSystem('open-entries', ['api', 'projections'], {
    MAX_OPEN_ENTRIES_PER_USER: String(CAP),
    RATE_LIMIT_USER_PER_SEC: '1000',
  });
  call = client(system);
  admin = system.platform.kafka.admin();
  await admin.connect();
  operator = await system.operatorToken();
  await storeReady(system);
});
afterAll(async () => {
  await admin?.disconnect();
  await system?.stop();
});

const enter = (saleId: string, token: string) => call('POST', `/sales/${saleId}/entries`, { token });

describe('open entries per user per sale', () => {
  it('lets a user hold the cap of unclaimed entries, refuses the next with 409 writing nothing, and leaves others alone', async () => {
    const { saleId } = await scheduleSale(call, operator);
    const { saleId: otherSale } = await scheduleSale(call, operator);
    const token = await system.userToken('u-hoarder');
    const firsts = [];
    for (let i = 0; i < CAP; i++) firsts.push(await enter(saleId, token));
    expect(firsts.map((a) => a.status)).toEqual(firsts.map(() => 201));

    const before = await topicSize(admin, system, 'entries');
    const refused = await enter(saleId, token);
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatch(/open entries/);
    expect(await topicSize(admin, system, 'entries')).toBe(before);

    expect((await enter(saleId, await system.userToken('u-neighbour'))).status).toBe(201);
    expect((await enter(otherSale, token)).status).toBe(201);
  });

  it('frees a place once the user claims with one of their entries', async () => {
    const { saleId } = await scheduleSale(call, operator);
    const token = await system.userToken('u-claimer');
    const entries = [];
    for (let i = 0; i < CAP; i++) entries.push((await enter(saleId, token)).body.transactionId);
    expect((await enter(saleId, token)).status).toBe(409);

    const claim = await call('POST', `/sales/${saleId}/claims`, { token, body: { transactionId: entries[0], quantity: 1 } });
    expect(claim.status).toBe(202);
    expect((await enter(saleId, token)).status).toBe(201);
    expect((await enter(saleId, token)).status).toBe(409);
  });

  it('holds under a burst of concurrent entries: exactly the cap get in', async () => {
    const { saleId } = await scheduleSale(call, operator);
    const token = await system.userToken('u-burst');
    const before = await topicSize(admin, system, 'entries');
    const answers = await Promise.all(Array.from({ length: 25 }, () => enter(saleId, token)));
    const statuses = answers.map((a) => a.status);
    console.log(
      `25 concurrent entries of one user: ${statuses.filter((s) => s === 201).length} × 201, ${statuses.filter((s) => s === 409).length} × 409`,
    );
    expect(statuses.filter((s) => s === 201)).toHaveLength(CAP);
    expect(statuses.filter((s) => s === 409)).toHaveLength(25 - CAP);
    expect(await topicSize(admin, system, 'entries')).toBe(before + CAP);
  });
});
