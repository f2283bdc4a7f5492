// The demo flash sale, through the public API only: an operator schedules a sale, a crowd
// claims it, the winners go to the partner's payment page, and the partner pays through
// signed webhooks, with a few faults planted on purpose. Then the reconciliation report
// must show exactly the planted faults, and the loop closes: the operator resolves each one,
// the partner's refunds close them, a refunded unit is sold again while the sale is open, the
// partner's settlement file is reconciled, and the books balance with nothing open.
import crypto from 'node:crypto';
import type { ApiClient } from './api.js';
import { runCrowd, type ClaimOutcome, type Shopper } from './crowd.js';
import type { Partner, PaymentPage } from './partner.js';

export type DemoPlan = {
  saleId: string;
  stock: number;
  shoppers: number;
  concurrency: number;
  priceMinor: number;
  currency: string;
  reservationSeconds: number;
  partnerId: string;
};

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

type Granted = Extract<ClaimOutcome, { status: 'granted' }>;

/** The operator's resolution of a planted mismatch, as the API answered it. */
export type Resolution = { kind: string; transactionId: string; mismatchId: string; action: string; status: number; error?: string };

export type DemoResult = {
  outcomes: ClaimOutcome[];
  saleAfter: Record<string, unknown>;
  /** The sale as it reads once every reservation has been paid or has lapsed. */
  saleAtEnd: Record<string, unknown>;
  lateTransactionId: string;
  planted: Planted[];
  abandoned: string[];
  paidOk: number;
  redeliveredAnsweredDuplicate: boolean;
  /** The report once every planted fault is flagged, before any resolution. */
  flagged: Report;
  resolutions: Resolution[];
  /** Shoppers who bought the lapsed reservations' units back up, so the sale was sold out before the refund. */
  refills: Granted[];
  /** The underpaid unit, refunded and put back in the queue, and the waiting shopper who bought it at the right price. */
  resale: { refunded: Granted; stockAfterRefund: number; buyer: ClaimOutcome | undefined };
  settlement: { status: number; settlementId?: string };
  /** The report at the end: every resolution closed, the settlement run listed. */
  report: Report;
};

type Hooks = {
  api: ApiClient;
  partner: Partner;
  operatorToken: string;
  userToken(userId: string): Promise<string>;
  say(line: string): void;
  onShopperDone?(done: number, total: number): void;
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

async function until<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await check();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function expect(condition: boolean, message: string): void {
  if (!condition) throw new Error(message);
}

export async function runScenario(plan: DemoPlan, h: Hooks): Promise<DemoResult> {
  const { api, partner, operatorToken: op } = h;
  const productId = `${plan.saleId}-product`;

  h.say(
    `operator: product ${productId} and sale ${plan.saleId} (${plan.stock} units, ${plan.priceMinor} ${plan.currency} minor units each, one per user, proof-of-work challenge)`,
  );
  const product = await api.putProduct(op, productId, {
    name: 'Limited sneaker',
    partnerId: plan.partnerId,
    priceMinor: plan.priceMinor,
    currency: plan.currency,
  });
  expect(product.status < 300, `PUT /products answered ${product.status}: ${JSON.stringify(product.body)}`);
  const now = Date.now();
  const scheduled = await api.scheduleSale(op, {
    saleId: plan.saleId,
    productId,
    stock: plan.stock,
    startsAt: new Date(now - 1000).toISOString(),
    endsAt: new Date(now + 30 * 60_000).toISOString(),
    perUserLimit: 1,
    reservationSeconds: plan.reservationSeconds,
    challenge: 'pow',
  });
  expect(scheduled.status === 201, `POST /sales answered ${scheduled.status}: ${JSON.stringify(scheduled.body)}`);

  h.say(`crowd: ${plan.shoppers} shoppers enter, solve the challenge and claim, ${plan.concurrency} at a time`);
  const shoppers: Shopper[] = await Promise.all(
    Array.from({ length: plan.shoppers }, async (_, i) => {
      const userId = `shopper-${String(i + 1).padStart(4, '0')}`;
      return { userId, token: await h.userToken(userId) };
    }),
  );
  // Each winner goes to the payment page and pays at once, as a real user would; a few
  // plant faults instead. Roles are handed out in the order grants arrive.
  const roles = ['abandon', 'abandon', 'late', 'wrong_amount', 'duplicate', 'redelivered'] as const;
  let grants = 0;
  let paidOk = 0;
  let redeliveredAnsweredDuplicate = false;
  const abandoned: string[] = [];
  const planted: Planted[] = [];
  let late: { granted: Granted; page: PaymentPage } | undefined;
  let underpaid: Granted | undefined;
  const afterGrant = async (g: Granted) => {
    const role = roles[grants++] ?? 'pay';
    if (role === 'abandon') {
      abandoned.push(g.transactionId);
      return;
    }
    const redirect = await api.redirect(g.token, g.transactionId);
    expect(redirect.status === 303, `redirect for ${g.transactionId} answered ${redirect.status}: ${JSON.stringify(redirect.body)}`);
    const page = await partner.openPaymentPage(redirect.headers.get('location') ?? '');
    switch (role) {
      case 'late':
        late = { granted: g, page };
        return;
      case 'wrong_amount':
        await partner.pay({ ...page, amountMinor: page.amountMinor - 100 });
        underpaid = g;
        planted.push({ kind: 'amount_mismatch', transactionId: g.transactionId, what: 'paid 100 minor units short' });
        return;
      case 'duplicate':
        await partner.pay(page);
        await partner.pay(page);
        planted.push({ kind: 'duplicate_payment', transactionId: g.transactionId, what: 'paid twice (two distinct partner events)' });
        return;
      case 'redelivered': {
        const once = await partner.pay(page);
        redeliveredAnsweredDuplicate = (await partner.pay(page, once.eventId)).duplicate;
        paidOk++;
        return;
      }
      case 'pay':
        await partner.pay(page);
        paidOk++;
        return;
    }
  };

  let done = 0;
  const outcomes = await runCrowd(api, shoppers, plan.saleId, {
    concurrency: plan.concurrency,
    withChallenge: true,
    afterGrant,
    onDone: () => h.onShopperDone?.(++done, shoppers.length),
  });
  const saleAfter = (await api.sale(shoppers[0]!.token, plan.saleId)).body;
  expect(late !== undefined && planted.length === 2, `only ${grants} grants: the demo needs at least ${roles.length} to plant its faults`);
  const lateOne = late!;

  const unknownTx = crypto.randomUUID();
  await partner.pay({ transactionId: unknownTx, quantity: 1, amountMinor: plan.priceMinor, currency: plan.currency });
  planted.push({ kind: 'unknown_transaction', transactionId: unknownTx, what: 'a payment for a transaction we never opened' });

  h.say(`waiting for the late payer's reservation to expire (${plan.reservationSeconds} s), then it pays anyway`);
  await until('the late reservation to expire', (plan.reservationSeconds + 30) * 1000, async () => {
    const tx = await api.transaction(lateOne.granted.token, lateOne.granted.transactionId);
    return (tx.body as { status?: string }).status === 'expired' ? true : undefined;
  });
  await partner.pay(lateOne.page);
  planted.push({
    kind: 'late_payment',
    transactionId: lateOne.granted.transactionId,
    what: 'paid after its reservation expired and the slot went back',
  });

  h.say('waiting for reconciliation to see everything');
  const flagged = await until('the reconciliation report', 90_000, async () => {
    const r = await api.reconciliation(op, plan.saleId);
    if (r.status !== 200) return undefined;
    const body = r.body as unknown as Report;
    const everyPlantedFound = planted.every((p) => body.mismatches.some((m) => m.kind === p.kind && m.transactionId === p.transactionId));
    const settled = everyPlantedFound && body.internal.expired >= abandoned.length + 1;
    return settled ? body : undefined;
  });
  const closing = await closeTheLoop(plan, h, { planted, flagged, underpaid: underpaid!, firstToken: shoppers[0]!.token });
  return {
    outcomes,
    saleAfter,
    planted,
    saleAtEnd: (await api.sale(shoppers[0]!.token, plan.saleId)).body,
    lateTransactionId: lateOne.granted.transactionId,
    abandoned,
    paidOk,
    redeliveredAnsweredDuplicate,
    flagged,
    ...closing,
  };
}

/** Each shopper claims one unit and pays for it at once, the right amount. */
async function buyAndPay(h: Hooks, saleId: string, userIds: string[]): Promise<ClaimOutcome[]> {
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

async function closeTheLoop(
  plan: DemoPlan,
  h: Hooks,
  { planted, flagged, underpaid, firstToken }: { planted: Planted[]; flagged: Report; underpaid: Granted; firstToken: string },
): Promise<Pick<DemoResult, 'resolutions' | 'refills' | 'resale' | 'settlement' | 'report'>> {
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
