// The demo flash sale, through the public API only: an operator schedules a sale, a crowd
// claims it, the winners go to the partner's payment page, and the partner pays through
// signed webhooks, with a few faults planted on purpose. Then the reconciliation report
// must show exactly the planted faults, and the loop closes: the operator resolves each one,
// the partner's refunds close them, a refunded unit is sold again while the sale is open, the
// partner's settlement file is reconciled, and the books balance with nothing open.
import crypto from 'node:crypto';
import { runCrowd, type ClaimOutcome, type Shopper } from './crowd.js';
import { closeTheLoop, type Closing, type Granted, type LoopHooks, type Planted, type Report } from './closingTheBooks.js';
import type { PaymentPage } from './partner.js';

export type { Planted, Report, Resolution } from './closingTheBooks.js';

export type DemoPlan = {
  saleId: string;
  stock: number;
  shoppers: number;
  concurrency: number;
  priceMinor: number;
  currency: string;
  reservationSeconds: number;
  partnerId: string;
  /** The claims partitions the sale is spread over (POST /sales `shards`). */
  shards: number;
};

export type DemoResult = Closing & {
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
};

type Hooks = LoopHooks & { onShopperDone?(done: number, total: number): void };

async function until<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await check();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Calls again while the system answers 503 (it is starting or rebuilding), as long as its Retry-After says, for up to a minute. */
async function retryWhileUnavailable<T extends { status: number; headers: Headers }>(call: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const answer = await call();
    if (answer.status !== 503 || Date.now() > deadline) return answer;
    const seconds = Number(answer.headers.get('retry-after') ?? '1');
    await new Promise((r) => setTimeout(r, Math.min(5, Math.max(0.2, seconds)) * 1000));
  }
}

function expect(condition: boolean, message: string): void {
  if (!condition) throw new Error(message);
}

export async function runScenario(plan: DemoPlan, h: Hooks): Promise<DemoResult> {
  const { api, partner, operatorToken: op } = h;
  const productId = `${plan.saleId}-product`;

  h.say(
    `operator: product ${productId} and sale ${plan.saleId} (${plan.stock} units on ${plan.shards} shard(s), ${plan.priceMinor} ${plan.currency} minor units each, one per user, proof-of-work challenge)`,
  );
  const product = await api.putProduct(op, productId, {
    name: 'Limited sneaker',
    partnerId: plan.partnerId,
    priceMinor: plan.priceMinor,
    currency: plan.currency,
  });
  expect(product.status < 300, `PUT /products answered ${product.status}: ${JSON.stringify(product.body)}`);
  const now = Date.now();
  // A system just started may still be building its store (503 with Retry-After): a client retries.
  const scheduled = await retryWhileUnavailable(() =>
    api.scheduleSale(op, {
      saleId: plan.saleId,
      productId,
      stock: plan.stock,
      startsAt: new Date(now - 1000).toISOString(),
      endsAt: new Date(now + 30 * 60_000).toISOString(),
      perUserLimit: 1,
      reservationSeconds: plan.reservationSeconds,
      challenge: 'pow',
      shards: plan.shards,
    }),
  );
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
