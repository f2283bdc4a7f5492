// The demo flash sale, through the public API only: an operator schedules a sale, a crowd
// claims it, the winners go to the partner's payment page, and the partner pays through
// signed webhooks, with a few faults planted on purpose. Then the reconciliation report
// must show exactly the planted faults.
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
  internal: { granted: number; redirected: number; expired: number; quantity: number; amountMinor: number };
  partner: { paid: number; refunded: number; quantity: number; amountMinor: number };
  mismatches: { transactionId: string; kind: string; expected: unknown; actual: unknown; detectedAt: string }[];
};

export type Planted = { kind: string; transactionId: string; what: string };

export type DemoResult = {
  outcomes: ClaimOutcome[];
  saleAfter: Record<string, unknown>;
  planted: Planted[];
  abandoned: string[];
  paidOk: number;
  redeliveredAnsweredDuplicate: boolean;
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
  let done = 0;
  const outcomes = await runCrowd(api, shoppers, plan.saleId, {
    concurrency: plan.concurrency,
    withChallenge: true,
    onDone: () => h.onShopperDone?.(++done, shoppers.length),
  });
  const saleAfter = (await api.sale(shoppers[0]!.token, plan.saleId)).body;

  const granted = outcomes.filter((o): o is Extract<ClaimOutcome, { status: 'granted' }> => o.status === 'granted');
  expect(granted.length >= 6, `only ${granted.length} grants: the demo needs at least 6 to plant its faults`);

  // The winners go to the payment page; the partner opens each token.
  const [abandonedA, abandonedB, late, wrongAmount, duplicate, redelivered, ...rest] = granted;
  const abandoned = [abandonedA!, abandonedB!];
  const pages = new Map<string, PaymentPage>();
  await Promise.all(
    granted
      .filter((g) => !abandoned.includes(g))
      .map(async (g) => {
        const redirect = await api.redirect(g.token, g.transactionId);
        expect(redirect.status === 303, `redirect for ${g.transactionId} answered ${redirect.status}`);
        pages.set(g.transactionId, await partner.openPaymentPage(redirect.headers.get('location') ?? ''));
      }),
  );
  const page = (g: { transactionId: string }) => pages.get(g.transactionId)!;

  h.say(`partner: paying ${rest.length + 3} reservations through signed webhooks, with planted faults`);
  let paidOk = 0;
  for (const g of rest) {
    await partner.pay(page(g));
    paidOk++;
  }
  const planted: Planted[] = [];
  await partner.pay({ ...page(wrongAmount!), amountMinor: page(wrongAmount!).amountMinor - 100 });
  planted.push({ kind: 'amount_mismatch', transactionId: wrongAmount!.transactionId, what: 'paid 100 minor units short' });
  await partner.pay(page(duplicate!));
  await partner.pay(page(duplicate!));
  planted.push({ kind: 'duplicate_payment', transactionId: duplicate!.transactionId, what: 'paid twice (two distinct partner events)' });
  const once = await partner.pay(page(redelivered!));
  const again = await partner.pay(page(redelivered!), once.eventId);
  paidOk++;
  const unknownTx = crypto.randomUUID();
  await partner.pay({ transactionId: unknownTx, quantity: 1, amountMinor: plan.priceMinor, currency: plan.currency });
  planted.push({ kind: 'unknown_transaction', transactionId: unknownTx, what: 'a payment for a transaction we never opened' });

  h.say(`waiting for the late payer's reservation to expire (${plan.reservationSeconds} s), then it pays anyway`);
  await until('the late reservation to expire', (plan.reservationSeconds + 30) * 1000, async () => {
    const tx = await api.transaction(late!.token, late!.transactionId);
    return (tx.body as { status?: string }).status === 'expired' ? true : undefined;
  });
  await partner.pay(page(late!));
  planted.push({
    kind: 'late_payment',
    transactionId: late!.transactionId,
    what: 'paid after its reservation expired and the slot went back',
  });

  h.say('waiting for reconciliation to see everything');
  const expectedMismatches = planted.length;
  const report = await until('the reconciliation report', 90_000, async () => {
    const r = await api.reconciliation(op, plan.saleId);
    if (r.status !== 200) return undefined;
    const body = r.body as unknown as Report;
    const settled = body.partner.paid >= paidOk + 3 && body.internal.expired >= 3 && body.mismatches.length >= expectedMismatches;
    return settled ? body : undefined;
  });
  return {
    outcomes,
    saleAfter,
    planted,
    abandoned: abandoned.map((a) => a.transactionId),
    paidOk,
    redeliveredAnsweredDuplicate: again.duplicate,
    report,
  };
}
