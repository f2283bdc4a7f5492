// The stored format of the flash-sale store, defined once: the key parts, the fields of a
// sale's and a transaction's hash, the words stored in them, and the records the `apply`
// script folds. The TypeScript reads and writes with these names, and the Lua scripts get
// them interpolated into their source (see lua/fold.ts), so the two cannot drift apart.
// Changing a stored name changes the format: bump the namespace in keys.ts with it.

/** The parts keys are made of, after the store's prefix (see keys.ts for the layout). */
export const keyPart = {
  ready: 'ready',
  readyRun: 'readyRun',
  restored: 'restored',
  lock: 'lock',
  positions: 'pos',
  sale: 'sale:',
  free: ':free',
  /** A sharded sale's shard k > 0 has its own free slots under `:free#<k>` (shard 0 under `:free`, as a sale of one shard). */
  shardFree: ':free#',
  holders: ':holder',
  held: ':held',
  live: ':live',
  openEntries: ':open:',
  untimed: ':untimed',
  transaction: 'tx:',
  expiries: 'expiries',
  outbox: 'outbox',
  decisionsChannel: 'ch:decisions',
  readyChannel: 'ch:ready',
} as const;

/** A stored flag: `closed` of a sale, `claimPending` of a transaction. */
export const flag = { yes: '1', no: '0' } as const;

/** The fields of a sale's hash `<P>sale:<saleId>`: its SaleScheduled terms, and whether it was closed. */
export const saleField = {
  productId: 'productId',
  partnerId: 'partnerId',
  stock: 'stock',
  priceMinor: 'priceMinor',
  currency: 'currency',
  startsAt: 'startsAt',
  endsAt: 'endsAt',
  perUserLimit: 'perUserLimit',
  reservationSeconds: 'reservationSeconds',
  challenge: 'challenge',
  /**
   * The sale's own cap on open entries per user; absent (a sale scheduled without one, or
   * before SaleScheduled v2) the edge's configured MAX_OPEN_ENTRIES_PER_USER applies.
   */
  maxOpenEntriesPerUser: 'maxOpenEntriesPerUser',
  /** The claims partitions the sale is decided on (SaleScheduled v3); absent, one. */
  shards: 'shards',
  /** flag.yes once SaleClosed was folded. */
  closed: 'closed',
  scheduledEventId: 'scheduledEventId',
  scheduledAt: 'scheduledAt',
} as const;

/**
 * The fields of a transaction's hash `<P>tx:<transactionId>`. Three parts, each written by
 * its own fact and never overwritten: the entry (EntryRecorded), the decision (ClaimGranted or
 * ClaimRejected), the ending (ReservationReleased or ReservationSettled). The edge adds the
 * pending claim between entry and decision.
 */
export const txField = {
  // The entry.
  saleId: 'saleId',
  userId: 'userId',
  // The claim the edge published, until it is decided.
  claimedQuantity: 'claimedQuantity',
  claimPending: 'claimPending',
  /**
   * Units the shopper's home shard counted against their limit (the sale's `held` and `live`)
   * when it handed the claim on to another shard, until the claim is decided: the decision
   * then keeps them (a grant) or gives them back (a refusal). See lua/fold.ts applyHandOn.
   */
  handOnHeld: 'handOnHeld',
  // The decision: `decision` holds decision.granted or decision.rejected.
  decision: 'decision',
  decidedSaleId: 'decidedSaleId',
  decidedUserId: 'decidedUserId',
  decidedQuantity: 'decidedQuantity',
  decidedAt: 'decidedAt',
  decisionCausationId: 'decisionCausationId',
  rejectionReason: 'rejectionReason',
  /** Slot numbers, comma-separated ("1,2,3"). */
  grantedSlots: 'grantedSlots',
  expiresAt: 'expiresAt',
  amountMinor: 'amountMinor',
  currency: 'currency',
  // The ending: `ending` holds ending.released or ending.settled.
  ending: 'ending',
  endedSaleId: 'endedSaleId',
  /** Slot numbers, comma-separated, as the release event lists them. */
  releasedSlots: 'releasedSlots',
  endedAt: 'endedAt',
  endingCausationId: 'endingCausationId',
  releaseReason: 'releaseReason',
  /** Units a release written ahead of its event still counts against the limit, until the event is on the log. */
  releaseUnlogged: 'releaseUnlogged',
  paymentEventId: 'paymentEventId',
  // After the ending: a late payment accepted (LatePaymentAccepted), units returned by a refund (UnitsReturned).
  /** Slot numbers, comma-separated. */
  acceptedSlots: 'acceptedSlots',
  acceptedPaymentEventId: 'acceptedPaymentEventId',
  acceptedBy: 'acceptedBy',
  acceptedAt: 'acceptedAt',
  /** Slot numbers, comma-separated, as the return lists them. */
  returnedSlots: 'returnedSlots',
  returnedPaymentEventId: 'returnedPaymentEventId',
  returnedRefundEventId: 'returnedRefundEventId',
  returnedAt: 'returnedAt',
  /** Units a return written ahead of its event still counts against the limit, until the event is on the log. */
  returnUnlogged: 'returnUnlogged',
} as const;

/** The values of txField.decision; the decision scripts also return them as a tuple's first cell. */
export const decision = { granted: 'granted', rejected: 'rejected' } as const;

/** The values of txField.ending. */
export const ending = { released: 'released', settled: 'settled' } as const;

/** What the `apply` script folds: the `kind` of a fold record, one per event type. */
export const foldKind = {
  saleScheduled: 'saleScheduled',
  saleClosed: 'saleClosed',
  entryRecorded: 'entryRecorded',
  granted: 'granted',
  rejected: 'rejected',
  released: 'released',
  settled: 'settled',
  accepted: 'accepted',
  returned: 'returned',
  handedOn: 'handedOn',
} as const;

/**
 * A fold record: an event as the `apply` script reads it, JSON of strings (epoch-ms times and
 * money as decimal strings, slot ids as their numbers "1,2,3", a null causationId as '').
 * The Lua fold reads these keys by name (`e.transactionId`): rename one here and there.
 */
export type FoldRecord =
  | { kind: typeof foldKind.saleScheduled; saleId: string; stock: string; terms: string[] }
  | { kind: typeof foldKind.saleClosed; saleId: string }
  | { kind: typeof foldKind.entryRecorded; transactionId: string; saleId: string; userId: string }
  | ({ kind: typeof foldKind.granted } & DecisionRecord & {
        slotNumbers: string;
        expiresAt: string;
        amountMinor: string;
        currency: string;
      })
  | ({ kind: typeof foldKind.rejected } & DecisionRecord & { reason: string })
  | ({ kind: typeof foldKind.released } & EndingRecord & { slotNumbers: string; reason: string })
  | ({ kind: typeof foldKind.settled } & EndingRecord & { paymentEventId: string })
  | ({ kind: typeof foldKind.accepted } & AfterRecord & { acceptedBy: string })
  | ({ kind: typeof foldKind.returned } & AfterRecord & { refundEventId: string })
  | { kind: typeof foldKind.handedOn; transactionId: string; saleId: string; userId: string; quantity: string };

type AfterRecord = {
  transactionId: string;
  saleId: string;
  userId: string;
  quantity: string;
  slotNumbers: string;
  paymentEventId: string;
  occurredAt: string;
};

type DecisionRecord = {
  transactionId: string;
  saleId: string;
  userId: string;
  quantity: string;
  occurredAt: string;
  causationId: string;
};
type EndingRecord = { transactionId: string; saleId: string; occurredAt: string; causationId: string };
