// What the HTTP edge needs from the Redis flash-sale store (projections/inventory/saleStore.ts).
// Written against the agreed interface so the edge depends on the shape, not on the store's internals.

export type SaleStatus = 'scheduled' | 'open' | 'sold_out' | 'closed';

export type SaleView = {
  saleId: string;
  productId: string;
  partnerId: string;
  status: SaleStatus;
  stockRemaining: number;
  priceMinor: number;
  currency: string;
  /** Epoch ms. */
  startsAt: number;
  /** Epoch ms. */
  endsAt: number;
  perUserLimit: number;
  reservationSeconds: number;
  challenge: 'pow' | 'none';
};

export type TransactionView = {
  transactionId: string;
  saleId: string;
  userId: string;
  quantity?: number;
  status: string;
  reason?: string;
  slotIds?: string[];
  /** Epoch ms. */
  expiresAt?: number;
  amountMinor?: number;
  currency?: string;
};

export type Decision =
  | { status: 'granted'; slotIds: string[]; expiresAt: number; quantity: number; amountMinor: number; currency: string }
  | { status: 'rejected'; reason: string };

export type SaleStorePort = {
  readSale(saleId: string, now: number): Promise<SaleView | undefined>;
  recordEntry(entry: { transactionId: string; saleId: string; userId: string }): Promise<unknown>;
  readTransaction(transactionId: string): Promise<TransactionView | undefined>;
  markPending(transactionId: string, quantity: number): Promise<unknown>;
  readDecision(transactionId: string): Promise<Decision | undefined>;
  awaitDecision(transactionId: string, timeoutMs: number): Promise<Decision | undefined>;
};
