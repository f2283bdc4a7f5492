// Request ids: taken from X-Request-Id when short and safe, else minted; echoed in the answer
// (refusals included) and carried into the Kafka records the request publishes.
import type { Consumer, KafkaMessage } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topicName } from '../../../schemas/topics.js';
import { startTestSystem, type TestSystem } from '../../support/system.js';
import { waitFor } from '../../support/waitFor.js';
import { client, scheduleSale, storeReady, type Call } from '../storefront/storefrontClient.js';

let system: TestSystem;
let call: Call;
let consumer: Consumer;
const entries: KafkaMessage[] = [];
const claims: KafkaMessage[] = [];

beforeAll(async () => {
  system = await startTestSystem('request-id', ['api', 'projections']);
  call = client(system);
  await storeReady(system);
  consumer = system.platform.kafka.consumer({ groupId: `${system.prefix}-request-id-test` });
  await consumer.connect();
  await consumer.subscribe({ topics: [topicName(system.prefix, 'entries'), topicName(system.prefix, 'claims')], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ topic, message }) => void (topic.endsWith('claims') ? claims : entries).push(message),
  });
});
afterAll(async () => {
  await consumer?.disconnect();
  await system?.stop();
});

const headerOf = (m: KafkaMessage, name: string) => m.headers?.[name]?.toString();

describe('X-Request-Id', () => {
  it("echoes a caller's safe id and puts it in the header of the event the request published", async () => {
    const { saleId } = await scheduleSale(call, await system.operatorToken());
    const token = await system.userToken('u-request-id');
    const res = await call('POST', `/sales/${saleId}/entries`, { token, headers: { 'x-request-id': 'shop-42.abc_DEF:1' } });
    expect(res.status).toBe(201);
    expect(res.headers.get('x-request-id')).toBe('shop-42.abc_DEF:1');
    const transactionId = res.body.transactionId as string;
    const record = await waitFor(() => entries.find((m) => m.value?.includes(Buffer.from(transactionId))), {
      what: 'the EntryRecorded record',
    });
    expect(headerOf(record, 'request-id')).toBe('shop-42.abc_DEF:1');
    expect(headerOf(record, 'event-type')).toBe('EntryRecorded');
  });

  it('puts the id of the claim request in the header of the ClaimRequested it published', async () => {
    const { saleId } = await scheduleSale(call, await system.operatorToken());
    const token = await system.userToken('u-request-id-claim');
    const entered = await call('POST', `/sales/${saleId}/entries`, { token });
    const transactionId = entered.body.transactionId as string;
    const res = await call('POST', `/sales/${saleId}/claims`, {
      token,
      body: { transactionId, quantity: 1 },
      headers: { 'x-request-id': 'claim-7' },
    });
    expect(res.status).toBe(202);
    const record = await waitFor(() => claims.find((m) => m.value?.includes(Buffer.from(transactionId))), {
      what: 'the ClaimRequested record',
    });
    expect(headerOf(record, 'event-type')).toBe('ClaimRequested');
    expect(headerOf(record, 'request-id')).toBe('claim-7');
  });

  it('mints a UUID for a request without one, or with an unsafe or too long one, refusals included', async () => {
    const minted = await call('GET', '/sales/none');
    expect(minted.status).toBe(401);
    expect(minted.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    for (const unsafe of ['has space', 'x'.repeat(65), 'new\u00e9line', '<script>']) {
      const res = await call('GET', '/healthz', { headers: { 'x-request-id': unsafe } });
      expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    }
  });
});
