// The flash-sale store as the HTTP edge uses it: a sale's view with its remaining stock, a
// transaction's state, and its decision (read, or awaited over pub/sub). Times are epoch ms.
import { StoreNotReadyError } from '../platform/errors.js';
import { slotId } from '../domain/claiming/inventory.js';
import { type SaleStatus, saleStatusAt } from '../domain/claiming/saleWindow.js';
import type { Redis } from '../platform/redis.js';
import type { EventOf } from '../schemas/events/index.js';
import type { DecisionEvent } from './encoding.js';
import { createInventoryScripts } from './inventoryScripts.js';
import { inventoryKeys } from './keys.js';
import { createStoreSignals, type DecisionView } from './signals.js';
import { decision as stored, ending, flag, saleField as S, txField as T } from './storeFormat.js';

export type { DecisionView as Decision };

export type { SaleStatus };

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
  /** The sale's own cap on open entries per user; absent, the edge's configured default applies. */
  maxOpenEntriesPerUser?: number;
  /** The claims partitions its claims are spread over; a shopper's shard is shardOf(userId, shards). */
  shards: number;
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

/** The decision part of a decision event, as the edge answers it. */
export function decisionView(event: DecisionEvent): DecisionView {
  if (event.type === 'ClaimRejected') return { status: 'rejected', reason: event.reason };
  const { slotIds, expiresAt, quantity, amountMinor, currency } = event;
  return { status: 'granted', slotIds, expiresAt, quantity, amountMinor, currency };
}

/** A transaction's hash as read: field name (storeFormat.ts txField) -> value. */
type TxFields = Partial<Record<string, string>>;

/** How long a user's list of open entries outlives the sale: late claims on them still find it, then Redis drops it. */
const OPEN_ENTRIES_KEPT_AFTER_SALE_MS = 24 * 3600_000;

function decisionFromFields(saleId: string, f: TxFields): DecisionView | undefined {
  if (f[T.decision] === stored.rejected) return { status: 'rejected', reason: f[T.rejectionReason] ?? '' };
  if (f[T.decision] !== stored.granted) return undefined;
  const slots = f[T.grantedSlots];
  return {
    status: 'granted',
    slotIds: slots ? slots.split(',').map((n) => slotId(saleId, Number(n))) : [],
    expiresAt: Number(f[T.expiresAt]),
    quantity: Number(f[T.decidedQuantity]),
    amountMinor: Number(f[T.amountMinor]),
    currency: f[T.currency] ?? '',
  };
}

function transactionStatus(f: TxFields): TransactionStatus {
  if (f[T.ending] === ending.released) return 'expired';
  if (f[T.ending] === ending.settled) return 'paid';
  if (f[T.decision] === stored.granted) return 'granted';
  if (f[T.decision] === stored.rejected) return 'rejected';
  return f[T.claimPending] === flag.yes ? 'pending' : 'entered';
}

function transactionFrom(transactionId: string, f: TxFields): TransactionView | undefined {
  const saleId = f[T.saleId] ?? f[T.decidedSaleId] ?? f[T.endedSaleId];
  const userId = f[T.userId] ?? f[T.decidedUserId];
  if (!saleId || !userId) return undefined;
  const decision = decisionFromFields(saleId, f);
  const quantity = f[T.decidedQuantity] ?? f[T.claimedQuantity];
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

/** A sale as its hash holds it (`terms`, storeFormat.ts saleField) with `free` slots, judged at `now`; undefined for no sale. */
function saleViewOf(saleId: string, free: number, t: Record<string, string>, now: number): SaleView | undefined {
  const productId = t[S.productId];
  if (!productId) return undefined;
  const startsAt = Number(t[S.startsAt]);
  const endsAt = Number(t[S.endsAt]);
  return {
    saleId,
    productId,
    partnerId: t[S.partnerId] ?? '',
    status: saleStatusAt({ closed: t[S.closed] === flag.yes, startsAt, endsAt }, free, now),
    stockRemaining: free,
    priceMinor: Number(t[S.priceMinor]),
    currency: t[S.currency] ?? '',
    startsAt,
    endsAt,
    perUserLimit: Number(t[S.perUserLimit]),
    reservationSeconds: Number(t[S.reservationSeconds]),
    challenge: t[S.challenge] === 'none' ? 'none' : 'pow',
    shards: Number(t[S.shards] ?? 1),
    ...(t[S.maxOpenEntriesPerUser] === undefined ? {} : { maxOpenEntriesPerUser: Number(t[S.maxOpenEntriesPerUser]) }),
  };
}

export function createSaleStore({ redis, topicPrefix }: { redis: Redis; topicPrefix: string }) {
  const keys = inventoryKeys(topicPrefix);
  const scripts = createInventoryScripts(redis, topicPrefix);
  const signals = createStoreSignals(redis, topicPrefix);

  async function readDecision(transactionId: string): Promise<DecisionView | undefined> {
    const names = [
      T.decision,
      T.decidedSaleId,
      T.decidedQuantity,
      T.rejectionReason,
      T.grantedSlots,
      T.expiresAt,
      T.amountMinor,
      T.currency,
    ];
    const values = await redis.hmget(keys.transaction(transactionId), ...names);
    const f: TxFields = Object.fromEntries(names.flatMap((name, i) => (values[i] == null ? [] : [[name, values[i]]])));
    const saleId = f[T.decidedSaleId];
    if (!f[T.decision] || !saleId) return undefined;
    return decisionFromFields(saleId, f);
  }

  /**
   * A transaction as the store holds it, only from a store that is whole. Restored from a
   * snapshot (or flushed) and not yet rebuilt, it may lack an entry the edge acknowledged, and
   * "no such transaction" (404) would be a false answer (nemesis suite, seed 1); it may hold a
   * transaction as it was at the snapshot, entered while its grant waits in the topics' tail,
   * and a redirect was refused 409 for a granted transaction (3 brokers, seed 132). So every
   * read refuses (503, retry) until the tail is folded. The check is the writers' own
   * (lua/fold.ts storeComplete: a marker set under another server run is withdrawn), made in
   * the same script as the read: checked after it, a store completed in between passed a
   * stale read for whole (seed 131: an entry answered 404 right after its rebuild).
   */
  async function readWhole(transactionId: string): Promise<TxFields> {
    const { complete, fields } = await scripts.readTransaction(transactionId);
    if (!complete) throw new StoreNotReadyError();
    return fields;
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
      const { ready, free, terms } = await scripts.readSale(saleId);
      if (!ready) throw new StoreNotReadyError();
      return saleViewOf(saleId, free, terms, now);
    },

    /**
     * The edge asks before it publishes an entry: let in (and counted as open until a claim
     * follows it) while the user has fewer open entries in the sale than its cap: the sale's
     * own (maxOpenEntriesPerUser) where it has one, else `defaultCap`. Answers the cap that
     * applied. The list is kept a day past the sale's end, then Redis drops it.
     */
    async reserveEntry({
      saleId,
      userId,
      transactionId,
      defaultCap,
      now,
      saleEndsAt,
    }: {
      saleId: string;
      userId: string;
      transactionId: string;
      defaultCap: number;
      now: number;
      saleEndsAt: number;
    }): Promise<{ ok: boolean; open: number; cap: number }> {
      const keepMs = Math.max(0, saleEndsAt - now) + OPEN_ENTRIES_KEPT_AFTER_SALE_MS;
      return scripts.reserveEntry({ saleId, userId, transactionId, defaultCap, now, keepMs });
    },

    /** Idempotent; the edge calls it right after publishing EntryRecorded, so a claim can follow at once. */
    async recordEntry({ transactionId, saleId, userId }: { transactionId: string; saleId: string; userId: string }): Promise<void> {
      await scripts.recordEntry(transactionId, saleId, userId);
    },

    /** The edge published a ClaimRequested: the transaction reads `pending` until decided. */
    async markPending(transactionId: string, quantity: number): Promise<void> {
      await scripts.markPending(transactionId, quantity);
    },

    /**
     * The edge refused a first claim at once: the refusal becomes the transaction's decision,
     * unless a claim of it is pending or decided already (false). The ClaimRejected event that
     * records it is the caller's to publish.
     */
    async refuseAtEdge(event: EventOf<'ClaimRejected'>): Promise<boolean> {
      const { transactionId, saleId, userId, quantity, reason, occurredAt: at } = event;
      const outcome = await scripts.refuseAtEdge({ transactionId, saleId, userId, quantity, reason, at });
      if (outcome === 'not_ready') throw new StoreNotReadyError();
      return outcome === 'refused';
    },

    async readTransaction(transactionId: string): Promise<TransactionView | undefined> {
      return transactionFrom(transactionId, await readWhole(transactionId));
    },

    /**
     * What the claim route asks first, on every claim, in one round trip: a transaction and its
     * decision from one read of its hash (from a whole store only, as readTransaction), and,
     * while the transaction may still be claimed a first time, its sale judged at `now`.
     */
    async readClaim(
      transactionId: string,
      saleId: string,
      now: number,
    ): Promise<{ transaction?: TransactionView; decision?: DecisionView; sale?: SaleView }> {
      const { complete, fields: f, sale: stored } = await scripts.readClaim(transactionId, saleId);
      if (!complete) throw new StoreNotReadyError();
      const transaction = transactionFrom(transactionId, f);
      const decidedSaleId = f[T.decidedSaleId];
      const decision = decidedSaleId ? decisionFromFields(decidedSaleId, f) : undefined;
      const sale = stored && saleViewOf(saleId, stored.free, stored.terms, now);
      return { ...(transaction && { transaction }), ...(decision && { decision }), ...(sale && { sale }) };
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
