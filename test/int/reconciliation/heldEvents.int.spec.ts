// Partner events that arrive before ours are held, not flagged; an unmatched one is judged
// unknown when event time passes its grace period, mid-stream; and when the topics fall
// quiet, the clock still moves, so the last stranger is not left waiting for more traffic.
import { afterAll, describe, expect, it } from 'vitest';
import type { EventOf } from '../../../schemas/events/index.js';
import { flagRows, waitCaughtUp } from '../../support/reconciliationStack.js';
import { startTestSystem, type TestSystem } from '../../support/system.js';
import { waitFor } from '../../support/waitFor.js';

const PARTNER = 'demo-pay';
const env = (at: number, eventId: string) => ({ eventId, occurredAt: at, correlationId: eventId, causationId: null });
const scheduled = (saleId: string, at: number): EventOf<'SaleScheduled'> => ({
  type: 'SaleScheduled',
  ...env(at - 60_000, `scheduled:${saleId}`),
  saleId,
  productId: 'p',
  partnerId: PARTNER,
  stock: 10,
  priceMinor: 500,
  currency: 'EUR',
  startsAt: at - 60_000,
  endsAt: at + 3_600_000,
  perUserLimit: 1,
  reservationSeconds: 60,
  challenge: 'none',
  maxOpenEntriesPerUser: null,
  shards: 1,
});
const granted = (saleId: string, tx: string, at: number): EventOf<'ClaimGranted'> => ({
  type: 'ClaimGranted',
  ...env(at, `decision:${tx}`),
  transactionId: tx,
  saleId,
  userId: 'u',
  quantity: 1,
  slotIds: [`${saleId}:1`],
  amountMinor: 500,
  currency: 'EUR',
  expiresAt: at + 60_000,
});
const paid = (tx: string, id: string, at: number): EventOf<'PartnerPaymentReported'> => ({
  type: 'PartnerPaymentReported',
  ...env(at, `${PARTNER}:${id}`),
  partnerId: PARTNER,
  partnerEventId: id,
  transactionId: tx,
  quantity: 1,
  amountMinor: 500,
  currency: 'EUR',
  reportedAt: at,
});

const systems: TestSystem[] = [];
afterAll(async () => {
  for (const s of systems) await s.stop();
});

describe('holding partner events until their grace period ends', () => {
  it('holds a payment that comes before its grant, and flags an unmatched one once event time passes its grace', async () => {
    const system = await startTestSystem('recon-held', ['reconciliation'], { RECONCILIATION_GRACE_SECONDS: '60' });
    systems.push(system);
    const { publisher, kafka, db } = system.platform;
    const caughtUp = () => waitCaughtUp(kafka, db, system.prefix);
    const base = Date.now() + 10 * 60_000; // ahead of the wall clock: only event time decides here
    const sale = 'held-sale';

    await publisher.publish([scheduled(sale, base), paid('tx-a', 'pa', base + 10_000), paid('tx-x', 'px', base + 10_000)]);
    await caughtUp();
    expect(await flagRows(db)).toEqual([]);

    // Our grant for tx-a arrives after its payment; event time reaches one ms short of the deadline.
    await publisher.publish([granted(sale, 'tx-a', base + 5_000), granted(sale, 'tx-c', base + 69_999)]);
    await caughtUp();
    expect(await flagRows(db)).toEqual([]);

    await publisher.publish([granted(sale, 'tx-d', base + 70_000)]);
    await caughtUp();
    expect(await flagRows(db)).toEqual([
      {
        mismatch_id: `mismatch:unknown_transaction:tx-x:${PARTNER}:px`,
        kind: 'unknown_transaction',
        transaction_id: 'tx-x',
        sale_id: sale,
        partner_event_id: `${PARTNER}:px`,
      },
    ]);
  });

  it('flags the last unmatched payment when the topics fall quiet, once grace has passed on the clock', async () => {
    const system = await startTestSystem('recon-idle', ['reconciliation'], { RECONCILIATION_GRACE_SECONDS: '2' });
    systems.push(system);
    const { publisher, db } = system.platform;
    const now = Date.now();
    const sale = 'quiet-sale';
    await publisher.publish([
      scheduled(sale, now),
      granted(sale, 'tx-ok', now - 1_000),
      paid('tx-ok', 'p-ok', now),
      paid('tx-stranger', 'p-stranger', now),
    ]);
    const flags = await waitFor(
      async () => {
        const rows = await flagRows(db);
        return rows.length > 0 ? rows : undefined;
      },
      { timeoutMs: 30_000, what: 'the stranger to be flagged' },
    );
    console.log(`idle clock: stranger flagged ${((Date.now() - now) / 1000).toFixed(1)} s after its payment (grace 2 s)`);
    expect(flags.map((f) => [f.kind, f.transaction_id])).toEqual([['unknown_transaction', 'tx-stranger']]);
    const { rows } = await db.query<{ detected_at: Date }>('select detected_at from reconciliation_mismatches');
    expect(rows[0]?.detected_at.getTime()).toBe(now + 2_000);
  });
});
