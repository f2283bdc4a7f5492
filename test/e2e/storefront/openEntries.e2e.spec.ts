// Open entries per user per sale are capped: an entry not yet claimed costs a Kafka record
// kept for good and a Redis hash, so one identity must not open them without end. The cap is
// the sale's own (maxOpenEntriesPerUser, set when it is scheduled) or else the configured
// MAX_OPEN_ENTRIES_PER_USER. Beyond the cap: 409, and nothing reaches Kafka. A claim frees its
// entry's place; another user, or the same user in another sale, is not affected.
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

  it("holds a sale to its own cap (2 refuses a user's 3rd open entry, 5 lets in a 5th) while a sale without one gets the configured cap", async () => {
    const tight = await scheduleSale(call, operator, { maxOpenEntriesPerUser: 2 });
    const loose = await scheduleSale(call, operator, { maxOpenEntriesPerUser: CAP + 2 });
    const plain = await scheduleSale(call, operator);
    // The sale's view shows the cap that applies to it, from the schedule's answer on.
    expect(tight.answer.status).toBe(201);
    expect(tight.answer.body).toMatchObject({ maxOpenEntriesPerUser: 2 });
    expect((await call('GET', `/sales/${tight.saleId}`, { token: await system.userToken('u-viewer') })).body).toMatchObject({
      maxOpenEntriesPerUser: 2,
    });
    expect((await call('GET', `/sales/${plain.saleId}`, { token: await system.userToken('u-viewer') })).body).toMatchObject({
      maxOpenEntriesPerUser: CAP,
    });

    const token = await system.userToken('u-terms');
    const until409 = async (saleId: string) => {
      const statuses: number[] = [];
      for (let i = 0; i < 20 && statuses.at(-1) !== 409; i++) statuses.push((await enter(saleId, token)).status);
      return statuses;
    };
    const before = await topicSize(admin, system, 'entries');
    const tightEntries = await until409(tight.saleId);
    const looseEntries = await until409(loose.saleId);
    const plainEntries = await until409(plain.saleId);
    console.log(
      `entries of one user until 409: own cap 2 → ${tightEntries.join(',')}; own cap ${CAP + 2} → ${looseEntries.join(',')}; configured ${CAP} → ${plainEntries.join(',')}`,
    );
    expect(tightEntries).toEqual([201, 201, 409]);
    expect(looseEntries).toEqual([...Array<number>(CAP + 2).fill(201), 409]);
    expect(plainEntries).toEqual([...Array<number>(CAP).fill(201), 409]);
    // Only the entries let in reached Kafka.
    expect(await topicSize(admin, system, 'entries')).toBe(before + 2 + CAP + 2 + CAP);
    const refused = await enter(tight.saleId, token);
    expect(refused.body.error).toMatch(/at most 2/);
  });

  it('refuses a POST /sales whose cap on open entries is not an integer from 1 to 1000 with 400, scheduling nothing', async () => {
    for (const maxOpenEntriesPerUser of [0, -1, 1001, 2.5, '2', null]) {
      const saleId = `bad-cap-${String(maxOpenEntriesPerUser)}-${Date.now()}`.replace(/[^A-Za-z0-9-]/g, '_');
      const { answer } = await scheduleSale(call, operator, { saleId, maxOpenEntriesPerUser: maxOpenEntriesPerUser as number });
      expect(answer.status, `maxOpenEntriesPerUser ${JSON.stringify(maxOpenEntriesPerUser)}`).toBe(400);
      expect(JSON.stringify(answer.body.details)).toMatch(/maxOpenEntriesPerUser/);
      const seen = await call('GET', `/sales/${saleId}`, { token: await system.userToken('u-viewer') });
      expect(seen.status).toBe(404);
    }
    expect((await scheduleSale(call, operator, { maxOpenEntriesPerUser: 1000 })).answer.status).toBe(201);
  });
});
