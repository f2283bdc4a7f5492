// Closing the books after the planted faults are flagged: waiting shoppers buy back the lapsed
// units, the operator resolves each fault, the partner refunds through its refund desk, the
// refunded underpaid unit is sold again while the sale is open, and the partner's settlement
// file is delivered and reconciled; the verdict judges what this returns.
import type { ApiClient } from './api.js';
import { runCrowd, type ClaimOutcome } from './crowd.js';
import type { Partner } from './partner.js';

export type Report = {
  internal: { granted: number; refused: number; redirected: number; expired: number; quantity: number; amountMinor: number };
  partner: { paid: number; refunded: number; quantity: number; amountMinor: number };
  mismatches: {
    id: string;
    transactionId: string;
    kind: string;
    expected: unknown;
    actual: unknown;
    detectedAt: string;
    status: string;
    resolution: { action: string; note: string | null; by: string; at: string } | null;
  }[];
  mismatchCounts: { open: number; resolving: number; resolved: number };
  money: { paid: number; kept: number; refunded: number; writtenOff: number; open: number; balanced: boolean };
  settlements: { settlementId: string; source: string; name: string; rows: number; rowsOfSale: number; findings: number }[];
};

export type Planted = { kind: string; transactionId: string; what: string };

export type Granted = Extract<ClaimOutcome, { status: 'granted' }>;

/** The operator's resolution of a planted mismatch, as the API answered it. */
export type Resolution = { kind: string; transactionId: string; mismatchId: string; action: string; status: number; error?: string };

export type LoopHooks = {
  api: ApiClient;
  partner: Partner;
  operatorToken: string;
  userToken(userId: string): Promise<string>;
  say(line: string): void;
};

export type Closing = {
  resolutions: Resolution[];
  /** Shoppers who bought the lapsed reservations' units back up, so the sale was sold out before the refund. */
  refills: Granted[];
  /** The underpaid unit, refunded and put back in the queue, and the waiting shopper who bought it at the right price. */
  resale: { refunded: Granted; stockAfterRefund: number; buyer: ClaimOutcome | undefined };
  settlement: { status: number; settlementId?: string };
  /** The report at the end: every resolution closed, the settlement run listed. */
  report: Report;
};

/** Polls until `check` gives a value, or gives its last answer at the deadline (the verdict says what does not hold). */
async function settle<T>(timeoutMs: number, read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() >= deadline) return value;
    await new Promise((r) => setTimeout(r, 250));
  }
}

function expect(condition: boolean, message: string): void {
  if (!condition) throw new Error(message);
}

/** Each shopper claims one unit and pays for it at once, the right amount. */
async function buyAndPay(h: LoopHooks, saleId: string, userIds: string[]): Promise<ClaimOutcome[]> {
  const shoppers = await Promise.all(userIds.map(async (userId) => ({ userId, token: await h.userToken(userId) })));
  return runCrowd(h.api, shoppers, saleId, {
    concurrency: Math.max(1, shoppers.length),
    withChallenge: true,
    afterGrant: async (g) => {
      const redirect = await h.api.redirect(g.token, g.transactionId);
      expect(redirect.status === 303, `redirect for ${g.transactionId} answered ${redirect.status}: ${JSON.stringify(redirect.body)}`);
      await h.partner.pay(await h.partner.openPaymentPage(redirect.headers.get('location') ?? ''));
    },
  });
}

/** The operator's action for each planted fault: every one here is money to give back. */
const ACTIONS: Record<string, { action: 'refund' | 'accept' | 'write_off'; note: string }> = {
  late_payment: { action: 'refund', note: 'paid after the reservation lapsed; the unit went to someone else' },
  duplicate_payment: { action: 'refund', note: 'charged twice: the second charge goes back' },
  amount_mismatch: { action: 'refund', note: 'paid short: refunded, the unit goes back on sale at its price' },
  unknown_transaction: { action: 'refund', note: 'a payment for nothing we sold' },
  wrong_partner: { action: 'refund', note: "taken by a partner that is not the sale's: back through that partner" },
};

export async function closeTheLoop(
  plan: { saleId: string },
  h: LoopHooks,
  { planted, flagged, underpaid, firstToken }: { planted: Planted[]; flagged: Report; underpaid: Granted; firstToken: string },
): Promise<Closing> {
  const { api, operatorToken: op } = h;
  const stock = async () => Number((await api.sale(firstToken, plan.saleId)).body.stockRemaining);

  // The lapsed reservations' units are back in the queue: waiting shoppers buy them first, so
  // the sale is sold out and the refunded unit is the only one free when it comes back.
  const free = await stock();
  h.say(`waiting shoppers buy the ${free} units the lapsed reservations gave back`);
  const refills = (
    await buyAndPay(
      h,
      plan.saleId,
      Array.from({ length: free }, (_, i) => `waiting-${String(i + 1).padStart(4, '0')}`),
    )
  ).filter((o): o is Granted => o.status === 'granted');

  h.say(`operator: resolves each of the ${planted.length} flagged mismatches (the sale is still open)`);
  const resolutions: Resolution[] = [];
  for (const p of planted) {
    const m = flagged.mismatches.find((x) => x.kind === p.kind && x.transactionId === p.transactionId);
    const chosen = ACTIONS[p.kind];
    if (!m || !chosen) continue;
    const res = await api.resolve(op, m.id, chosen);
    resolutions.push({
      kind: p.kind,
      transactionId: p.transactionId,
      mismatchId: m.id,
      action: chosen.action,
      status: res.status,
      ...(res.status === 200 ? {} : { error: JSON.stringify(res.body) }),
    });
  }

  h.say('the partner refunds through its refund endpoint and reports each refund; the underpaid unit goes back on sale');
  const stockAfterRefund = await settle(60_000, stock, (n) => n >= 1);
  const buyer = stockAfterRefund >= 1 ? (await buyAndPay(h, plan.saleId, ['waiting-late-comer']))[0] : undefined;

  const closed = (r: Report) => r.mismatchCounts.open === 0 && r.mismatchCounts.resolving === 0;
  const read = async () => (await api.reconciliation(op, plan.saleId)).body as unknown as Report;
  // A settlement file comes after the events it settles: the partner sends it once reconciliation
  // has taken in every payment and refund it reported (else its last rows read as missing_from_stream).
  const { payments, refunds } = h.partner.reported();
  await settle(60_000, read, (r) => closed(r) && r.partner.paid === payments && r.partner.refunded === refunds);

  h.say('the partner delivers its settlement file (signed POST), and reconciliation compares it');
  const delivered = await h.partner.deliverSettlement();
  const settlementId = typeof delivered.body.settlementId === 'string' ? delivered.body.settlementId : undefined;
  const report = await settle(
    60_000,
    read,
    (r) => closed(r) && r.money.balanced && r.settlements.some((s) => s.settlementId === settlementId),
  );
  return {
    resolutions,
    refills,
    resale: { refunded: underpaid, stockAfterRefund, buyer },
    settlement: { status: delivered.status, ...(settlementId ? { settlementId } : {}) },
    report,
  };
}
