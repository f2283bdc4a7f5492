// Settlement files reach the system by themselves: a partner POSTs one, signed (202, and the
// same bytes again 200 with the same id: recorded once), or drops one in the inbox directory
// (picked up on the next poll, recorded once, moved to done/). Their findings become
// mismatches like any other and the report lists the runs. Bad signature 401, too large 413,
// a malformed row 400 naming its line, nothing recorded.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signWebhook } from '../../../platform/webhookSignature.js';
import { startTestSystem, type TestSystem } from '../../support/system.js';
import { waitFor } from '../../support/waitFor.js';
import { type Call, client, scheduleSale, storeReady } from '../storefront/storefrontClient.js';

const SECRET = 'secret-current';
const MAX_BYTES = 2048;
let system: TestSystem;
let call: Call;
let operator: string;
let inbox: string;
let saleId: string;
let paid: { eventId: string; transactionId: string };

const header = 'eventId,transactionId,type,quantity,amountMinor,currency,occurredAt';
const row = (eventId: string, transactionId: string, amountMinor = 1999) =>
  `${eventId},${transactionId},payment,1,${amountMinor},EUR,${new Date().toISOString()}`;

const post = (body: string, secret = SECRET) =>
  call('POST', '/partners/demo-pay/settlements', {
    rawBody: body,
    headers: { 'content-type': 'text/csv', 'Flashsale-Signature': signWebhook(secret, body) },
  });

type Report = { settlements: { settlementId: string; source: string }[]; mismatches: { kind: string; transactionId: string }[] };
const reportOf = async () => (await call('GET', `/reconciliation/sales/${saleId}`, { token: operator })).body as unknown as Report;

beforeAll(async () => {
  inbox = fs.mkdtempSync(path.join(os.tmpdir(), 'flashsale-inbox-'));
  system = await startTestSystem('settlements', ['api', 'claims', 'projections', 'reconciliation', 'expiry'], {
    PARTNER_SECRETS: `demo-pay:${SECRET}`,
    SETTLEMENT_INBOX_DIR: inbox,
    SETTLEMENT_INBOX_POLL_SECONDS: '1',
    SETTLEMENT_MAX_BYTES: String(MAX_BYTES),
  });
  call = client(system);
  await storeReady(system);
  operator = await system.operatorToken();
  saleId = (await scheduleSale(call, operator, { stock: 2 })).saleId;
  const token = await system.userToken('settled-1');
  const transactionId = (await call('POST', `/sales/${saleId}/entries`, { token })).body.transactionId as string;
  await waitFor(async () => {
    const c = await call('POST', `/sales/${saleId}/claims`, { token, body: { transactionId, quantity: 1 }, headers: { prefer: 'wait=5' } });
    return c.status === 201;
  });
  paid = { eventId: `evt-${crypto.randomUUID()}`, transactionId };
  const raw = JSON.stringify({
    ...paid,
    type: 'payment',
    quantity: 1,
    amountMinor: 1999,
    currency: 'EUR',
    occurredAt: new Date().toISOString(),
  });
  await call('POST', '/partners/demo-pay/webhooks', { rawBody: raw, headers: { 'Flashsale-Signature': signWebhook(SECRET, raw) } });
  await waitFor(
    async () =>
      ((await call('GET', `/reconciliation/sales/${saleId}`, { token: operator })).body.partner as { paid?: number } | undefined)?.paid ===
      1,
    {
      what: 'the payment reconciled',
    },
  );
});
afterAll(async () => {
  await system?.stop();
  fs.rmSync(inbox, { recursive: true, force: true });
});

describe('POST /partners/:partnerId/settlements', () => {
  it('takes a file in once: 202 with its id, the same bytes again 200 with the same id; its findings become mismatches', async () => {
    const stranger = crypto.randomUUID();
    const file = [header, row(paid.eventId, paid.transactionId), row('evt-not-sent', stranger)].join('\r\n') + '\r\n';
    const first = await post(file);
    expect(first.status).toBe(202);
    expect(first.body.settlementId).toMatch(/^settlement:demo-pay:/);
    expect(first.body.duplicate).toBe(false);
    const again = await post(file);
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ settlementId: first.body.settlementId, duplicate: true });
    const report = await reportOf();
    expect(report.settlements.map((s) => s.settlementId)).toEqual([first.body.settlementId]);
    expect(report.mismatches.filter((m) => m.kind === 'missing_from_stream').map((m) => m.transactionId)).toEqual([stranger]);
  });

  it('refuses a bad signature (401), a file over the cap (413) and a malformed row (400, its line), recording nothing', async () => {
    const before = (await reportOf()).settlements.length;
    expect((await post(`${header}\n${row('evt-x', crypto.randomUUID())}\n`, 'wrong-secret')).status).toBe(401);
    const big = [header, ...Array.from({ length: 40 }, () => row(`evt-${crypto.randomUUID()}`, crypto.randomUUID()))].join('\n');
    expect(big.length).toBeGreaterThan(MAX_BYTES);
    expect((await post(big)).status).toBe(413);
    const bad = await post(`${header}\n${row('evt-y', crypto.randomUUID())}\nevt-z,tx,payment,one,1999,EUR,2026-01-01T00:00:00Z\n`);
    expect(bad.status).toBe(400);
    expect(bad.body.details).toHaveLength(1);
    expect(bad.body.details).toMatchObject([{ field: 'line 3' }]);
    expect(JSON.stringify(bad.body.details)).toMatch(/quantity/);
    expect((await reportOf()).settlements).toHaveLength(before);
  });
});

describe('the settlement inbox', () => {
  it('picks a dropped file up by itself, once, and moves it to done/', async () => {
    const stranger = crypto.randomUUID();
    const content = `${header}\n${row(paid.eventId, paid.transactionId)}\n${row('evt-inbox', stranger)}\n`;
    const partnerDir = path.join(inbox, 'demo-pay');
    fs.mkdirSync(partnerDir, { recursive: true });
    fs.writeFileSync(path.join(partnerDir, 'a.part'), content);
    fs.renameSync(path.join(partnerDir, 'a.part'), path.join(partnerDir, 'a.csv'));
    const runs = await waitFor(
      async () => {
        const r = await reportOf();
        return r.settlements.some((s) => s.source === 'inbox') ? r.settlements : undefined;
      },
      { what: 'the inbox file taken in' },
    );
    expect(runs.filter((s) => s.source === 'inbox')).toHaveLength(1);
    expect((await reportOf()).mismatches.some((m) => m.kind === 'missing_from_stream' && m.transactionId === stranger)).toBe(true);

    // The same bytes dropped again: moved to done/, no second run.
    fs.writeFileSync(path.join(partnerDir, 'b.csv'), content);
    await waitFor(() => !fs.existsSync(path.join(partnerDir, 'b.csv')), { what: 'the second drop picked up' });
    expect(fs.readdirSync(path.join(partnerDir, 'done'))).toHaveLength(2);
    expect((await reportOf()).settlements.filter((s) => s.source === 'inbox')).toHaveLength(1);
  });
});
