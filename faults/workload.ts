// What happens during a run, through the public API only, as real clients behave under
// faults: an operator schedules a sale; shoppers arrive at the plan's times, enter and claim,
// and retry what failed (a 5xx, a refused connection, a 202 still pending) until a deadline;
// the winners go to the payment page and the partner pays through signed webhooks, retrying
// until it gets a 2xx (with its clock put right after a 401), with faults planted on purpose.
import crypto from 'node:crypto';
import { type Answer, type ApiClient } from '../demo/api.js';
import { readPaymentToken, partnerPaymentKey, type PaymentTokenClaims } from '../producers/http/storefront/paymentToken.js';
import type { History } from './history.js';
import type { RunPlan } from './schedule.js';

export type Workload = {
  saleId: string;
  api: (actor: 'operator' | 'shopper' | 'partner') => ApiClient;
  history: History;
  operatorToken: string;
  userToken(userId: string): Promise<string>;
  partner: { partnerId: string; secret: string; paymentTokenKey: string };
  /** The partner's clock error now, in seconds; a clock-shift nemesis sets it. */
  clock: { shiftSeconds: number };
  reservationSeconds: number;
};

export type WorkloadResult = { granted: number; rejected: number; unanswered: number };

const PRICE_MINOR = 4_900;
const CURRENCY = 'EUR';
/** One shopper in this many is greedy: two entries and two claims at once. */
const GREEDY_EVERY = 5;

/** How long a client keeps retrying one step before it gives up (a shopper walks away). */
const CLIENT_DEADLINE_MS = 90_000;
const RETRY_MS = 300;
/** Winners in the order their grants arrive: these plant faults; the rest pay at once. */
const ROLES = ['abandon', 'abandon', 'late', 'wrong_amount', 'duplicate', 'redelivered', 'refund'] as const;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Calls until `done` holds or a definite refusal (a 4xx other than 429) comes back; undefined at the deadline. */
async function persist(attempt: () => Promise<Answer>, done: (a: Answer) => boolean): Promise<Answer | undefined> {
  const deadline = Date.now() + CLIENT_DEADLINE_MS;
  let last: Answer | undefined;
  while (Date.now() < deadline) {
    try {
      last = await attempt();
      if (done(last)) return last;
      const retriable = last.status >= 500 || last.status === 429 || last.status === 202;
      if (!retriable) return last;
      if (last.status === 202) continue; // the claim waited its Prefer: wait and is still pending: ask again
    } catch {
      // refused, reset or timed out: the part is away, try again
    }
    await sleep(RETRY_MS);
  }
  return last;
}

export async function setUpSale(w: Workload, plan: RunPlan): Promise<void> {
  const op = w.api('operator');
  const productId = `${w.saleId}-product`;
  const product = await persist(
    () =>
      op.putProduct(w.operatorToken, productId, {
        name: 'Nemesis sneaker',
        partnerId: w.partner.partnerId,
        priceMinor: PRICE_MINOR,
        currency: CURRENCY,
      }),
    (a) => a.status < 300,
  );
  if (!product || product.status >= 300) throw new Error(`PUT /products answered ${product?.status ?? 'nothing'}`);
  const now = Date.now();
  const sale = await persist(
    () =>
      op.scheduleSale(w.operatorToken, {
        saleId: w.saleId,
        productId,
        stock: plan.stock,
        startsAt: new Date(now - 1000).toISOString(),
        endsAt: new Date(now + 30 * 60_000).toISOString(),
        perUserLimit: 1,
        reservationSeconds: w.reservationSeconds,
        challenge: 'none',
        shards: plan.shards,
      }),
    (a) => a.status === 201,
  );
  if (sale?.status !== 201) throw new Error(`POST /sales answered ${sale?.status ?? 'nothing'}: ${JSON.stringify(sale?.body)}`);
}

function createPartnerClient(w: Workload) {
  const api = w.api('partner');
  const key = partnerPaymentKey(w.partner.paymentTokenKey, w.partner.partnerId);
  /** One webhook, sent until it gets a 2xx: after a 401 the partner signs again with whatever its clock says now. */
  async function report(
    kind: 'payment' | 'refund',
    page: Pick<PaymentTokenClaims, 'transactionId' | 'quantity' | 'amountMinor' | 'currency'>,
    eventId = crypto.randomUUID(),
  ) {
    const body = {
      eventId,
      transactionId: page.transactionId,
      type: kind,
      quantity: page.quantity,
      amountMinor: page.amountMinor,
      currency: page.currency,
      occurredAt: new Date().toISOString(),
    };
    const deadline = Date.now() + CLIENT_DEADLINE_MS;
    while (Date.now() < deadline) {
      const shift = w.clock.shiftSeconds;
      const sentAt = Date.now();
      const signAt = sentAt + shift * 1000;
      const base = {
        type: 'webhook' as const,
        kind,
        partnerEventId: eventId,
        transactionId: page.transactionId,
        clockShiftSeconds: shift,
        signedSeconds: Math.floor(signAt / 1000),
        sentAt,
      };
      try {
        const res = await api.webhook(w.partner.partnerId, w.partner.secret, body, signAt);
        w.history.record({ ...base, answeredAt: Date.now(), status: res.status });
        if (res.status >= 200 && res.status < 300) return eventId;
        // A refusal that no retry changes (bad body, wrong partner): the partner stops.
        if (res.status >= 400 && res.status < 500 && res.status !== 401 && res.status !== 429) return undefined;
      } catch (err) {
        w.history.record({ ...base, answeredAt: Date.now(), error: (err as Error).message });
      }
      await sleep(RETRY_MS);
    }
    return undefined;
  }
  return {
    report,
    /** The payment page, or undefined when its token has expired (a redirect issued moments before the reservation lapsed): the partner's page says so and nobody pays. */
    openPage: (location: string): Promise<PaymentTokenClaims | undefined> =>
      readPaymentToken(new URL(location).searchParams.get('token') ?? '', key, w.partner.partnerId).catch((err: unknown) => {
        if ((err as { code?: string }).code === 'ERR_JWT_EXPIRED') return undefined;
        throw err;
      }),
  };
}

/** Polls the transaction until it reads expired (true), or gives up at the client deadline. */
async function expired(shopper: ApiClient, g: { token: string; transactionId: string }): Promise<boolean> {
  const deadline = Date.now() + CLIENT_DEADLINE_MS;
  while (Date.now() < deadline) {
    const answer = await shopper.transaction(g.token, g.transactionId).catch(() => undefined);
    if ((answer?.body as { status?: string } | undefined)?.status === 'expired') return true;
    await sleep(500);
  }
  return false;
}

type Winner = { userId: string; token: string; transactionId: string };

/** What a winner does after the grant, by the role its place in the grant order gives it. */
async function afterGrant(w: Workload, partner: ReturnType<typeof createPartnerClient>, g: Winner, role: (typeof ROLES)[number] | 'pay') {
  if (role === 'abandon') return;
  const shopper = w.api('shopper');
  const redirect = await persist(
    () => shopper.redirect(g.token, g.transactionId),
    (a) => a.status === 303,
  );
  if (redirect?.status !== 303) return;
  const page = await partner.openPage(redirect.headers.get('location') ?? '');
  if (!page) return; // the campaign's seed 166: redirected with 2 s left, the token lapsed before the page opened
  const plant = (kind: string, transactionId = g.transactionId) =>
    w.history.record({ type: 'planted', kind, transactionId, at: Date.now() });
  switch (role) {
    case 'late': {
      // It pays only once its reservation has lapsed and the slot went back.
      if (!(await expired(shopper, g))) return;
      plant('late_payment');
      await partner.report('payment', page);
      return;
    }
    case 'wrong_amount':
      plant('amount_mismatch');
      await partner.report('payment', { ...page, amountMinor: page.amountMinor - 100 });
      return;
    case 'duplicate':
      plant('duplicate_payment');
      await partner.report('payment', page);
      await partner.report('payment', page);
      return;
    case 'redelivered': {
      const eventId = await partner.report('payment', page);
      await partner.report('payment', page, eventId);
      return;
    }
    case 'refund':
      await partner.report('payment', page);
      await partner.report('refund', page);
      return;
    case 'pay':
      await partner.report('payment', page);
  }
}

/** The crowd, the partner and the planted faults, start to finish; resolves once every client is done. */
export async function runWorkload(w: Workload, plan: RunPlan, startedAt: number): Promise<WorkloadResult> {
  const partner = createPartnerClient(w);
  const shopper = w.api('shopper');
  let grants = 0;
  const result: WorkloadResult = { granted: 0, rejected: 0, unanswered: 0 };
  const followUps: Promise<void>[] = [];
  /** One entry and its claim, as one shopper makes them. */
  async function shop(userId: string, token: string): Promise<void> {
    const entry = await persist(
      () => shopper.enter(token, w.saleId),
      (a) => a.status === 201,
    );
    const transactionId = (entry?.body as { transactionId?: string } | undefined)?.transactionId;
    // A 409 at the door (sold out before this shopper got in) is an answer too.
    if (entry?.status === 409) return void result.rejected++;
    if (entry?.status !== 201 || !transactionId) return void result.unanswered++;
    const claim = await persist(
      () => shopper.claim(token, w.saleId, { transactionId, quantity: 1 }, 5),
      (a) => a.status === 201 || a.status === 409,
    );
    if (claim?.status === 201) {
      result.granted++;
      followUps.push(afterGrant(w, partner, { userId, token, transactionId }, ROLES[grants++] ?? 'pay'));
    } else if (claim?.status === 409) result.rejected++;
    else result.unanswered++;
  }
  await Promise.all(
    plan.arrivalsMs.map(async (arriveMs, i) => {
      const userId = `${w.saleId}-shopper-${i}`;
      const token = await w.userToken(userId);
      await sleep(Math.max(0, startedAt + arriveMs - Date.now()));
      // Every GREEDY_EVERY-th shopper enters and claims twice at once: the sale's limit of one
      // unit a shopper must hold (the checker reads it off the log).
      await Promise.all(Array.from({ length: i % GREEDY_EVERY === 0 ? 2 : 1 }, () => shop(userId, token)));
    }),
  );
  // A payment for a transaction we never opened.
  const unknown = crypto.randomUUID();
  w.history.record({ type: 'planted', kind: 'unknown_transaction', transactionId: unknown, at: Date.now() });
  followUps.push(
    partner.report('payment', { transactionId: unknown, quantity: 1, amountMinor: PRICE_MINOR, currency: CURRENCY }).then(() => undefined),
  );
  await Promise.all(followUps);
  return result;
}
