// Operators resolve mismatches over HTTP, on the whole running system and the real stack:
// accept (a late payer gets a unit only if one is free, else 409), refund (the partner, a real
// local HTTP server that fails twice first, refunds once; its refund closes the mismatch and,
// while the sale is open, puts the unit back in the queue), write_off; bad input; the books
// of a sale; and a replay that rebuilds the same resolutions.
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRefundDesk, type RefundDesk } from '../../../demo/refundDesk.js';
import { consumerGroupId } from '../../../platform/kafka/groupId.js';
import { signWebhook } from '../../../platform/webhookSignature.js';
import { topicName } from '../../../schemas/topics.js';
import { inventoryKeys } from '../../../writeModel/keys.js';
import { startTestSystem, type TestSystem } from '../../support/system.js';
import { waitFor } from '../../support/waitFor.js';
import { type Call, client, scheduleSale, storeReady } from '../storefront/storefrontClient.js';

const SECRET = 'secret-current';
let system: TestSystem;
let desk: RefundDesk;
let call: Call;
let operator: string;

/** The partner reports through its signed webhook, as the demo's partner does. */
async function report(type: 'payment' | 'refund', transactionId: string, amountMinor: number, eventId = `evt-${crypto.randomUUID()}`) {
  const raw = JSON.stringify({
    eventId,
    transactionId,
    type,
    quantity: 1,
    amountMinor,
    currency: 'EUR',
    occurredAt: new Date().toISOString(),
  });
  const res = await call('POST', '/partners/demo-pay/webhooks', {
    rawBody: raw,
    headers: { 'Flashsale-Signature': signWebhook(SECRET, raw) },
  });
  expect(res.status).toBe(200);
}

beforeAll(async () => {
  // The desk needs the api's address to report refunds; the api needs the desk's URL: the desk reports through `call`, set below.
  desk = await startRefundDesk({
    secrets: new Map([['demo-pay', SECRET]]),
    failFirst: 2,
    refund: (_partnerId, c) =>
      report('refund', c.transactionId, c.amountMinor, `rf-${crypto.createHash('sha256').update(c.requestId).digest('hex').slice(0, 24)}`),
  });
  system = await startTestSystem('resolutions', undefined, {
    PARTNER_SECRETS: `demo-pay:${SECRET}`,
    RATE_LIMIT_USER_PER_SEC: '1000',
    REFUND_URL: desk.urlTemplate,
    REFUND_RETRY_MAX_MS: '400',
  });
  call = client(system);
  await storeReady(system);
  operator = await system.operatorToken();
});
afterAll(async () => {
  await system?.stop();
  await desk?.close();
});

/** Runs the CLI without blocking this process (the system under test runs in it). */
function cli(args: string[]): Promise<{ status: number | null; out: string }> {
  const child = spawn('node', ['bin/flashsale.js', ...args], {
    env: { ...process.env, TOPIC_PREFIX: system.prefix, PARTNER_SECRETS: `demo-pay:${SECRET}` },
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  return new Promise((resolve) => child.once('close', (status) => resolve({ status, out })));
}

/** A shopper enters and is granted one unit; returns the transaction. */
async function grant(saleId: string, userId: string): Promise<string> {
  const token = await system.userToken(userId);
  const entry = await call('POST', `/sales/${saleId}/entries`, { token });
  const transactionId = entry.body.transactionId as string;
  const claim = await waitFor(
    async () => {
      const c = await call('POST', `/sales/${saleId}/claims`, {
        token,
        body: { transactionId, quantity: 1 },
        headers: { prefer: 'wait=5' },
      });
      return c.status === 202 ? undefined : c;
    },
    { what: 'a claim decision' },
  );
  expect(claim.body.status).toBe('granted');
  return transactionId;
}

async function statusOf(transactionId: string, userId: string): Promise<string> {
  const res = await call('GET', `/transactions/${transactionId}`, { token: await system.userToken(userId) });
  return res.body.status as string;
}

type ReportBody = {
  mismatches: { id: string; transactionId: string; kind: string; status: string; resolution: Record<string, unknown> | null }[];
  mismatchCounts: Record<string, number>;
  money: Record<string, number | boolean>;
};

async function reportOf(saleId: string, query = ''): Promise<ReportBody> {
  const res = await call('GET', `/reconciliation/sales/${saleId}${query}`, { token: operator });
  return res.body as unknown as ReportBody;
}

async function mismatch(saleId: string, transactionId: string, kind: string, status = 'open') {
  return waitFor(
    async () =>
      (await reportOf(saleId)).mismatches.find((m) => m.transactionId === transactionId && m.kind === kind && m.status === status),
    { timeoutMs: 60_000, what: `${kind} of ${transactionId} ${status}` },
  );
}

const resolve = (id: string, body: unknown, token = operator) =>
  call('POST', `/reconciliation/mismatches/${encodeURIComponent(id)}/resolution`, { token, body });

const stockOf = async (saleId: string) =>
  (await call('GET', `/sales/${saleId}`, { token: await system.userToken('looker') })).body.stockRemaining as number;

/** Every resolution published so far has reached the units' consumer (it commits after acting). */
async function returnsCaughtUp(): Promise<void> {
  const admin = system.platform.kafka.admin();
  await admin.connect();
  try {
    await waitFor(
      async () => {
        const topic = topicName(system.prefix, 'reconciliation');
        const ends = await admin.fetchTopicOffsets(topic);
        const [committed] = await admin.fetchOffsets({ groupId: consumerGroupId(system.prefix, 'expiry.returns'), topics: [topic] });
        const at = (partition: number) => Math.max(0, Number(committed?.partitions.find((p) => p.partition === partition)?.offset ?? 0));
        return ends.every((e) => at(e.partition) === Number(e.high));
      },
      { what: 'the unit returns consumer at the end of the reconciliation topic' },
    );
  } finally {
    await admin.disconnect();
  }
}

describe('resolving a late payment', () => {
  it('accepts it onto a free unit: the shopper gets one, the mismatch is resolved at once', async () => {
    const { saleId } = await scheduleSale(call, operator, { stock: 2, reservationSeconds: 1 });
    const tx = await grant(saleId, 'late-a');
    await waitFor(async () => (await statusOf(tx, 'late-a')) === 'expired', { what: 'the reservation released' });
    await report('payment', tx, 1999);
    const m = await mismatch(saleId, tx, 'late_payment');
    expect(await stockOf(saleId)).toBe(2);

    const res = await resolve(m.id, { action: 'accept', note: 'paid a minute late' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      id: m.id,
      status: 'resolved',
      resolution: { action: 'accept', note: 'paid a minute late', by: 'operator-1' },
    });
    await waitFor(async () => (await stockOf(saleId)) === 1, { what: 'the unit taken for the late payer' });
    await mismatch(saleId, tx, 'late_payment', 'resolved');
    const again = await resolve(m.id, { action: 'write_off' });
    expect(again.status).toBe(409);
    expect(again.body.error).toMatch(/already resolved/);
  });

  it('refuses to accept it when no unit is free (409, nothing changes), then refunds it through the partner once, though called three times', async () => {
    const { saleId } = await scheduleSale(call, operator, { stock: 1, reservationSeconds: 1 });
    const tx = await grant(saleId, 'late-b');
    await waitFor(async () => (await statusOf(tx, 'late-b')) === 'expired', { what: 'the reservation released' });
    await report('payment', await grant(saleId, 'late-c'), 1999); // the unit is someone else's now, paid for
    await report('payment', tx, 1999);
    const m = await mismatch(saleId, tx, 'late_payment');

    const refused = await resolve(m.id, { action: 'accept' });
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatch(/no unit .* is free/);
    expect(refused.body.details).toEqual({ reason: 'no_unit_free' });
    expect((await reportOf(saleId)).mismatches.find((x) => x.id === m.id)?.status).toBe('open');

    const refund = await resolve(m.id, { action: 'refund', note: 'sold out' });
    expect(refund.status).toBe(200);
    expect(refund.body).toMatchObject({ status: 'resolving', resolution: { action: 'refund', by: 'operator-1' } });
    const closed = await mismatch(saleId, tx, 'late_payment', 'resolved');
    expect(closed.resolution).toMatchObject({ action: 'refund', note: 'sold out' });
    expect(desk.calls()).toBeGreaterThanOrEqual(3); // two 503s, then acknowledged
    expect(desk.refunds().filter((r) => r.transactionId === tx)).toEqual([
      expect.objectContaining({ requestId: `refund:${m.id}`, amountMinor: 1999, currency: 'EUR' }),
    ]);
    expect(await stockOf(saleId)).toBe(0); // a late payment held no unit: nothing goes back
    const report2 = await reportOf(saleId);
    expect(report2.money).toMatchObject({ paid: 3998, refunded: 1999, kept: 1999, writtenOff: 0, open: 0, balanced: true });
  });
});

describe('refunding the payment that holds a unit', () => {
  it('puts the unit back in the queue while the sale is open, for another shopper to buy', async () => {
    const { saleId } = await scheduleSale(call, operator, { stock: 1 });
    const tx = await grant(saleId, 'wrong-d');
    await report('payment', tx, 1000); // the wrong amount, but it settles the reservation
    const m = await mismatch(saleId, tx, 'amount_mismatch');
    expect(await stockOf(saleId)).toBe(0);
    expect((await resolve(m.id, { action: 'refund' })).status).toBe(200);
    await mismatch(saleId, tx, 'amount_mismatch', 'resolved');
    await waitFor(async () => (await stockOf(saleId)) === 1, { what: 'the refunded unit back in the queue' });
    await grant(saleId, 'waiting-e');
    expect((await reportOf(saleId)).money).toMatchObject({ paid: 1000, refunded: 1000, open: 0, balanced: true });
  });

  it('does not put it back once the sale has ended', async () => {
    const { saleId } = await scheduleSale(call, operator, { stock: 1 });
    const tx = await grant(saleId, 'wrong-f');
    await report('payment', tx, 1000);
    const m = await mismatch(saleId, tx, 'amount_mismatch');
    expect((await call('POST', `/sales/${saleId}/close`, { token: operator, body: {} })).status).toBe(200);
    expect((await resolve(m.id, { action: 'refund' })).status).toBe(200);
    await mismatch(saleId, tx, 'amount_mismatch', 'resolved');
    await returnsCaughtUp();
    expect(await system.platform.redis.hexists(inventoryKeys(system.prefix).transaction(tx), 'returnedSlots')).toBe(0);
    expect(await stockOf(saleId)).toBe(0);
  });
});

describe('writing a mismatch off, and the books', () => {
  it('closes it at once; the report counts and filters by status, and the money balances', async () => {
    const { saleId } = await scheduleSale(call, operator, { stock: 2 });
    const tx = await grant(saleId, 'wrong-g');
    await report('payment', tx, 1500);
    const m = await mismatch(saleId, tx, 'amount_mismatch');
    expect((await reportOf(saleId)).money).toMatchObject({ paid: 1500, open: 1500, balanced: false });
    const res = await resolve(m.id, { action: 'write_off', note: 'customer goodwill' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'resolved', resolution: { action: 'write_off', note: 'customer goodwill' } });
    await mismatch(saleId, tx, 'amount_mismatch', 'resolved');
    const books = await reportOf(saleId);
    expect(books.mismatchCounts).toEqual({ open: 0, resolving: 0, resolved: 1 });
    expect(books.money).toEqual({ paid: 1500, kept: 0, refunded: 0, writtenOff: 1500, open: 0, balanced: true });
    expect((await reportOf(saleId, '?status=open')).mismatches).toEqual([]);
    expect((await reportOf(saleId, '?status=resolved')).mismatches.map((x) => x.id)).toEqual([m.id]);
  });
});

describe('flashsale reconcile resolve', () => {
  it('resolves a mismatch from the command line, as cli:<user>', async () => {
    const { saleId } = await scheduleSale(call, operator, { stock: 2 });
    const tx = await grant(saleId, 'wrong-h');
    await report('payment', tx, 2500);
    const m = await mismatch(saleId, tx, 'amount_mismatch');
    const run = await cli(['reconcile', 'resolve', m.id, '--action', 'accept', '--note', 'overpaid, fine', '--schema', system.dbSchema]);
    expect(run.status, run.out).toBe(0);
    expect(JSON.parse(run.out)).toMatchObject({ id: m.id, status: 'resolved', resolution: { action: 'accept', note: 'overpaid, fine' } });
    const closed = await mismatch(saleId, tx, 'amount_mismatch', 'resolved');
    expect(closed.resolution?.by).toMatch(/^cli:/);
    const again = await cli(['reconcile', 'resolve', m.id, '--action', 'refund', '--schema', system.dbSchema]);
    expect(again.status).toBe(1);
    expect(again.out).toMatch(/already resolved/);
  });
});

describe('bad resolutions', () => {
  it.each([
    ['an unknown action', { action: 'forgive' }, 400],
    ['an unknown field', { action: 'accept', amount: 1 }, 400],
    ['a note too long', { action: 'accept', note: 'x'.repeat(1001) }, 400],
  ])('refuses %s with a 400 naming the problem', async (_what, body, status) => {
    const res = await resolve('mismatch:late_payment:nobody', body);
    expect(res.status).toBe(status);
    expect(res.body).toHaveProperty('error');
  });

  it('answers 404 for a mismatch nobody flagged, 400 for what is not a mismatch id, 403 for a shopper', async () => {
    expect((await resolve('mismatch:late_payment:nobody', { action: 'accept' })).status).toBe(404);
    expect((await resolve('not-a-mismatch', { action: 'accept' })).status).toBe(400);
    expect((await resolve('mismatch:late_payment:nobody', { action: 'accept' }, await system.userToken('shopper'))).status).toBe(403);
    expect((await call('GET', '/reconciliation/sales/any?status=closed', { token: operator })).status).toBe(400);
  });
});

describe('replay', () => {
  it('rebuilds the same mismatches and resolutions from the topics', async () => {
    await waitFor(async () => (await fetch(`${system.baseUrl}/readyz`)).status === 200, { what: 'projections caught up' });
    const { status, out } = await cli(['replay', '--into', `${system.dbSchema}_r`, '--live', system.dbSchema]);
    expect(status, out).toBe(0);
    expect(out).toMatch(/^equal$/m);
    const { rows } = await system.platform.db.query(`select count(*)::int as n from ${system.dbSchema}_r.reconciliation_resolutions`);
    expect(rows[0]).toEqual({ n: 6 });
  });
});
