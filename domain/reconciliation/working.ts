// The scratch copy a reconcile call works on: transactions are copied on first touch (the
// caller's state is never mutated), held partner events wait in a queue ordered by
// deadline, and flags collect in the order they were raised.
import type { Mismatch } from './mismatch.js';
import { emptyTransaction, type PartnerReport, type ReconciliationState, type SaleTerms, type TransactionState } from './state.js';

type Held = { deadline: number; eventId: string; transactionId: string };

export type Reconciled = {
  state: ReconciliationState;
  /** Mismatches raised by this call, each once. */
  flagged: Mismatch[];
  /** What this call changed, so a store writes only those. */
  changed: { transactions: ReadonlySet<string>; sales: ReadonlySet<string> };
};

export type Working = {
  readonly graceMs: number;
  watermark: number;
  readonly sales: ReadonlyMap<string, SaleTerms>;
  addSale(sale: SaleTerms): void;
  /** The transaction's working copy (created empty if new), marked changed. */
  tx(transactionId: string): TransactionState;
  /** Holds a partner event until its grace period ends (or something resolves it first). */
  hold(report: PartnerReport): void;
  /** The transactions of a sale (among those loaded) that hold a partner event not judged yet. */
  heldIn(saleId: string): string[];
  /** Removes and returns the next held event whose deadline has passed, skipping those resolved meanwhile. */
  nextDue(): { tx: TransactionState; report: PartnerReport; deadline: number } | undefined;
  flag(m: Mismatch): void;
  close(): Reconciled;
};

function compareHeld(a: Held, b: Held): number {
  return a.deadline - b.deadline || (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0);
}

/** Held events sorted by (deadline, eventId); `head` skips what has been taken, so taking is O(1). */
function createHeldQueue(initial: Held[]) {
  const queue = initial.sort(compareHeld);
  let head = 0;
  return {
    add(h: Held): void {
      let lo = head;
      let hi = queue.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (compareHeld(queue[mid]!, h) <= 0) lo = mid + 1;
        else hi = mid;
      }
      queue.splice(lo, 0, h);
    },
    /** Takes the first held event if its deadline is at or before `watermark`. */
    takeDue(watermark: number): Held | undefined {
      return head < queue.length && queue[head]!.deadline <= watermark ? queue[head++] : undefined;
    },
  };
}

/** The transactions of a sale that hold a partner event not judged yet. */
function holdingIn(transactions: Iterable<TransactionState>, saleId: string): string[] {
  const ids: string[] = [];
  for (const tx of transactions) if (tx.saleId === saleId && tx.reports.some((r) => r.resolvedAt === null)) ids.push(tx.transactionId);
  return ids;
}

export function openWorking(state: ReconciliationState, graceMs: number): Working {
  const transactions = new Map(state.transactions);
  const sales = new Map(state.sales);
  const copied = new Set<string>();
  const changedSales = new Set<string>();
  const flagged: Mismatch[] = [];
  const flaggedIds = new Set<string>();

  const deadlineOf = (r: PartnerReport) => r.receivedAt + graceMs;
  const held: Held[] = [];
  for (const tx of state.transactions.values())
    for (const r of tx.reports)
      if (r.resolvedAt === null) held.push({ deadline: deadlineOf(r), eventId: r.eventId, transactionId: tx.transactionId });
  const queue = createHeldQueue(held);

  const working: Working = {
    graceMs,
    watermark: state.watermark,
    sales,
    addSale(sale) {
      sales.set(sale.saleId, sale);
      changedSales.add(sale.saleId);
    },
    tx(transactionId) {
      let tx = transactions.get(transactionId);
      if (!copied.has(transactionId)) {
        tx = tx ? { ...tx, reports: tx.reports.map((r) => ({ ...r })) } : emptyTransaction(transactionId);
        transactions.set(transactionId, tx);
        copied.add(transactionId);
      }
      return tx!;
    },
    hold(report) {
      queue.add({ deadline: deadlineOf(report), eventId: report.eventId, transactionId: report.transactionId });
    },
    heldIn: (saleId) => holdingIn(transactions.values(), saleId),
    nextDue() {
      for (let h = queue.takeDue(working.watermark); h; h = queue.takeDue(working.watermark)) {
        const seen = transactions.get(h.transactionId)?.reports.find((r) => r.eventId === h.eventId);
        if (!seen || seen.resolvedAt !== null) continue;
        const tx = working.tx(h.transactionId);
        const report = tx.reports.find((r) => r.eventId === h.eventId)!;
        return { tx, report, deadline: h.deadline };
      }
      return undefined;
    },
    flag(m) {
      // The rules raise each flag at one transition only; this guard keeps that a promise.
      if (flaggedIds.has(m.mismatchId)) return;
      flaggedIds.add(m.mismatchId);
      flagged.push(m);
    },
    close() {
      return {
        state: { watermark: working.watermark, sales, transactions },
        flagged,
        changed: { transactions: copied, sales: changedSales },
      };
    },
  };
  return working;
}
