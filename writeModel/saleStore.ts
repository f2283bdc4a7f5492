// The flash-sale store as the HTTP edge uses it: a sale's view with its remaining stock, a
// transaction's state, and its decision (read, or awaited over pub/sub). Times are epoch ms.
import { StoreNotReadyError } from '../platform/errors.js';
import type { Redis } from '../platform/redis.js';
import type { DecisionEvent } from './encoding.js';
import { createInventoryScripts } from './inventoryScripts.js';
import { inventoryKeys } from './keys.js';
import { createStoreSignals, type DecisionView } from './signals.js';

export type { DecisionView as Decision };

export type SaleStatus = 'scheduled' | 'open' | 'sold_out' | 'closed';

export type SaleView = {
  saleId: string;
  productId: string;
  partnerId: string;
  status: SaleStatus;
  stockRemaining: number;
  priceMinor: number;
  currency: string;
  startsAt: number;
  endsAt: number;
  perUserLimit: number;
  reservationSeconds: number;
  challenge: 'pow' | 'none';
};

export type TransactionStatus = 'entered' | 'pending' | 'granted' | 'rejected' | 'expired' | 'paid';

export type TransactionView = {
  transactionId: string;
  saleId: string;
  userId: string;
  quantity?: number;
  status: TransactionStatus;
  reason?: string;
  slotIds?: string[];
  expiresAt?: number;
  amountMinor?: number;
  currency?: string;
};

export function saleStatus(terms: { closed: boolean; startsAt: number; endsAt: number }, free: number, now: number): SaleStatus {
  if (terms.closed || now >= terms.endsAt) return 'closed';
  if (now < terms.startsAt) return 'scheduled';
  return free === 0 ? 'sold_out' : 'open';
}

/** The decision part of a decision event, as the edge answers it. */
export function decisionView(event: DecisionEvent): DecisionView {
  if (event.type === 'ClaimRejected') return { status: 'rejected', reason: event.reason };
  const { slotIds, expiresAt, quantity, amountMinor, currency } = event;
  return { status: 'granted', slotIds, expiresAt, quantity, amountMinor, currency };
}

function decisionFromFields(saleId: string, f: Record<string, string | undefined>): DecisionView | undefined {
  if (f.d === 'R') return { status: 'rejected', reason: f.reason ?? '' };
  if (f.d !== 'G') return undefined;
  return {
    status: 'granted',
    slotIds: f.slots ? f.slots.split(',').map((n) => `${saleId}:${n}`) : [],
    expiresAt: Number(f.expiresAt),
    quantity: Number(f.dQty),
    amountMinor: Number(f.amount),
    currency: f.currency ?? '',
  };
}

function transactionStatus(f: Record<string, string | undefined>): TransactionStatus {
  if (f.e === 'released') return 'expired';
  if (f.e === 'settled') return 'paid';
  if (f.d === 'G') return 'granted';
  if (f.d === 'R') return 'rejected';
  return f.pending === '1' ? 'pending' : 'entered';
}

function transactionFrom(transactionId: string, f: Record<string, string | undefined>): TransactionView | undefined {
  const saleId = f.saleId ?? f.dSale ?? f.eSale;
  const userId = f.userId ?? f.dUser;
  if (!saleId || !userId) return undefined;
  const decision = decisionFromFields(saleId, f);
  const quantity = f.dQty ?? f.quantity;
  return {
    transactionId,
    saleId,
    userId,
    status: transactionStatus(f),
    ...(quantity !== undefined && { quantity: Number(quantity) }),
    ...(decision?.status === 'rejected' && { reason: decision.reason }),
    ...(decision?.status === 'granted' && {
      slotIds: decision.slotIds,
      expiresAt: decision.expiresAt,
      amountMinor: decision.amountMinor,
      currency: decision.currency,
    }),
  };
}

export function createSaleStore({ redis, topicPrefix }: { redis: Redis; topicPrefix: string }) {
  const keys = inventoryKeys(topicPrefix);
  const scripts = createInventoryScripts(redis, topicPrefix);
  const signals = createStoreSignals(redis, topicPrefix);

  async function readDecision(transactionId: string): Promise<DecisionView | undefined> {
    const [d, saleId, dQty, reason, slots, expiresAt, amount, currency] = await redis.hmget(
      keys.transaction(transactionId),
      'd',
      'dSale',
      'dQty',
      'reason',
      'slots',
      'expiresAt',
      'amount',
      'currency',
    );
    if (!d || !saleId) return undefined;
    const f = { d, dQty, reason, slots, expiresAt, amount, currency } as Record<string, string | undefined>;
    return decisionFromFields(saleId, f);
  }

  /** Resolves once Redis holds a complete state (a rebuild finished), or false after timeoutMs. */
  async function waitUntilReady(timeoutMs: number): Promise<boolean> {
    await signals.subscribed();
    return new Promise<boolean>((resolve) => {
      const stop = signals.onReady(() => finish(true));
      const timer = setTimeout(() => finish(false), timeoutMs);
      function finish(ready: boolean) {
        clearTimeout(timer);
        stop();
        resolve(ready);
      }
      redis.exists(keys.ready).then(
        (n) => n === 1 && finish(true),
        () => undefined,
      );
    });
  }

  return {
    async readSale(saleId: string, now: number): Promise<SaleView | undefined> {
      const { ready, free, terms: t } = await scripts.readSale(saleId);
      if (!ready) throw new StoreNotReadyError();
      if (!t.productId) return undefined;
      const startsAt = Number(t.startsAt);
      const endsAt = Number(t.endsAt);
      return {
        saleId,
        productId: t.productId,
        partnerId: t.partnerId ?? '',
        status: saleStatus({ closed: t.closed === '1', startsAt, endsAt }, free, now),
        stockRemaining: free,
        priceMinor: Number(t.priceMinor),
        currency: t.currency ?? '',
        startsAt,
        endsAt,
        perUserLimit: Number(t.perUserLimit),
        reservationSeconds: Number(t.reservationSeconds),
        challenge: t.challenge === 'none' ? 'none' : 'pow',
      };
    },

    /** Idempotent; the edge calls it right after publishing EntryRecorded, so a claim can follow at once. */
    async recordEntry({ transactionId, saleId, userId }: { transactionId: string; saleId: string; userId: string }): Promise<void> {
      await scripts.recordEntry(transactionId, saleId, userId);
    },

    /** The edge published a ClaimRequested: the transaction reads `pending` until decided. */
    async markPending(transactionId: string, quantity: number): Promise<void> {
      await scripts.markPending(transactionId, quantity);
    },

    async readTransaction(transactionId: string): Promise<TransactionView | undefined> {
      return transactionFrom(transactionId, await redis.hgetall(keys.transaction(transactionId)));
    },

    /** A transaction and its decision from one read of its hash: what the claim route asks first, on every claim. */
    async readClaim(transactionId: string): Promise<{ transaction?: TransactionView; decision?: DecisionView }> {
      const f = (await redis.hgetall(keys.transaction(transactionId))) as Record<string, string | undefined>;
      const transaction = transactionFrom(transactionId, f);
      const decision = f.dSale ? decisionFromFields(f.dSale, f) : undefined;
      return { ...(transaction && { transaction }), ...(decision && { decision }) };
    },

    readDecision,

    /** Waits for the decision itself (pub/sub), never polling: subscribe, then read, then wait. Undefined on timeout. */
    async awaitDecision(transactionId: string, timeoutMs: number): Promise<DecisionView | undefined> {
      await signals.subscribed();
      return new Promise<DecisionView | undefined>((resolve) => {
        let done = false;
        const stopDecisions = signals.onDecision(transactionId, finish);
        // After a rebuild the decision may be back without any announcement: look again.
        const stopReady = signals.onReady(() => void check());
        const timer = setTimeout(() => finish(undefined), timeoutMs);
        function finish(decision: DecisionView | undefined) {
          if (done) return;
          done = true;
          clearTimeout(timer);
          stopDecisions();
          stopReady();
          resolve(decision);
        }
        async function check() {
          const decision = await readDecision(transactionId).catch(() => undefined);
          if (decision) finish(decision);
        }
        void check();
      });
    },

    waitUntilReady,

    async close(): Promise<void> {
      await signals.close();
    },
  };
}

export type SaleStore = ReturnType<typeof createSaleStore>;
