// The checker over a small recorded run: a clean history passes, and each kind of violation
// it claims to find is found in a history that has it.
import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checkRun, type Observed } from '../../../faults/checker.js';
import type { HistoryEntry } from '../../../faults/history.js';
import type { EventOf } from '../../../schemas/events/index.js';
import { sampleEvents } from '../../support/sampleEvents.js';

const saleId = 'sale-7';
const meta = (tx: string) => ({ eventId: crypto.randomUUID(), occurredAt: 1_000, correlationId: tx, causationId: null });

function granted(tx: string, slot: number, expiresAt = 100_000): EventOf<'ClaimGranted'> {
  return {
    type: 'ClaimGranted',
    ...meta(tx),
    transactionId: tx,
    saleId,
    userId: `u-${tx}`,
    quantity: 1,
    slotIds: [`${saleId}:${slot}`],
    amountMinor: 100,
    currency: 'EUR',
    expiresAt,
  };
}
function rejected(tx: string): EventOf<'ClaimRejected'> {
  return {
    type: 'ClaimRejected',
    ...meta(tx),
    transactionId: tx,
    saleId,
    userId: `u-${tx}`,
    quantity: 1,
    reason: 'sold_out',
    decidedBy: 'decision_maker',
  };
}
function released(g: EventOf<'ClaimGranted'>): EventOf<'ReservationReleased'> {
  return {
    type: 'ReservationReleased',
    ...meta(g.transactionId),
    transactionId: g.transactionId,
    saleId,
    slotIds: g.slotIds,
    reason: 'expired',
  };
}
function claimCall(tx: string, status: number, answer: Record<string, unknown>): HistoryEntry {
  return {
    type: 'call',
    actor: 'shopper',
    method: 'POST',
    path: `/sales/${saleId}/claims`,
    body: { transactionId: tx, quantity: 1 },
    sentAt: 1,
    answeredAt: 2,
    status,
    answer,
  };
}
function webhook(tx: string, partnerEventId: string, status = 200, { clockShiftSeconds = 0, answeredAt = 10 } = {}): HistoryEntry {
  return {
    type: 'webhook',
    kind: 'payment',
    partnerEventId,
    transactionId: tx,
    clockShiftSeconds,
    signedSeconds: Math.floor((answeredAt - 1) / 1000) + clockShiftSeconds,
    sentAt: answeredAt - 1,
    answeredAt,
    status,
  };
}

/** Two units: a and b granted and paid, c refused; the planted unknown payment flagged. */
function cleanRun(): Observed {
  const a = granted('a', 1);
  const b = granted('b', 2);
  const history: HistoryEntry[] = [
    claimCall('a', 201, { status: 'granted', slotId: `${saleId}:1` }),
    claimCall('b', 202, { status: 'pending' }),
    claimCall('b', 201, { status: 'granted', slotId: `${saleId}:2` }),
    claimCall('c', 409, { status: 'rejected', reason: 'sold_out' }),
    claimCall('d', 409, { status: 'rejected', reason: 'sold_out' }), // refused at the edge: never on Kafka
    webhook('a', 'pa'),
    webhook('b', 'pb', 401, { clockShiftSeconds: 301 }),
    webhook('b', 'pb'),
    webhook('b', 'pb'), // redelivered: the same partner event again
    { type: 'planted', kind: 'unknown_transaction', transactionId: 'x', at: 1 },
    webhook('x', 'px'),
  ];
  return {
    saleId,
    stock: 2,
    history,
    salesEvents: [a, b, rejected('c')],
    claimsOnTopic: new Set(['a', 'b', 'c']),
    transactions: [
      { transaction_id: 'a', status: 'paid', payments: 1, refunds: 0 },
      { transaction_id: 'b', status: 'paid', payments: 1, refunds: 0 },
    ],
    partnerEvents: ['pa', 'pb', 'px'].map((id) => ({ partner_event_id: id, transaction_id: id.slice(1), kind: 'payment' })),
    mismatches: [{ kind: 'unknown_transaction', transaction_id: 'x' }],
    replay: { equal: true, detail: '' },
    deadLetters: 0,
  };
}

const checks = (o: Observed) => checkRun(o).violations.map((v) => `${v.check} ${v.transactionId ?? ''}`.trim());

describe('the nemesis checker', () => {
  it('finds nothing in a run that kept every promise', () => {
    expect(checkRun(cleanRun())).toEqual({ claims: 4, grants: 2, webhooks: 3, violations: [] });
  });

  it('finds an oversell: a grant past the stock, without a slot', () => {
    const o = cleanRun();
    const over: EventOf<'ClaimGranted'> = { ...granted('c', 0), slotIds: [] };
    o.salesEvents = [o.salesEvents[0]!, o.salesEvents[1]!, over];
    o.history = [
      ...o.history.filter((h) => !(h.type === 'call' && JSON.stringify(h.body).includes('"c"'))),
      claimCall('c', 201, { status: 'granted', slotId: '' }),
    ];
    expect(checks(o)).toEqual(['slots c', 'stock c', 'decided-once c']);
  });

  it('lets a released slot be sold again, but not a slot still held', () => {
    const o = cleanRun();
    const a = o.salesEvents[0] as EventOf<'ClaimGranted'>;
    const again = granted('e', 1);
    o.salesEvents = [...o.salesEvents, again];
    expect(checks(o)).toContain('slots e');
    o.salesEvents = [o.salesEvents[0]!, o.salesEvents[1]!, released(a), again];
    expect(checks(o)).not.toContain('slots e');
  });

  it("finds a shopper granted past the sale's limit, but not one granted again after a release or a return on the log", () => {
    const o = cleanRun();
    const terms = { ...sampleEvents(saleId).SaleScheduled, stock: 4, perUserLimit: 1 };
    const a = o.salesEvents[0] as EventOf<'ClaimGranted'>;
    const again = { ...granted('e', 3), userId: a.userId };
    o.stock = 4;
    o.salesEvents = [terms, ...o.salesEvents, again];
    expect(checks(o)).toEqual(['limit e']);
    o.salesEvents = [terms, ...o.salesEvents.slice(1, 3), released(a), again];
    expect(checks(o)).toEqual([]);
    const returned = { ...sampleEvents(saleId).UnitsReturned, transactionId: 'a', userId: a.userId, quantity: 1, slotIds: a.slotIds };
    o.salesEvents = [terms, ...o.salesEvents.slice(1, 3), returned, again];
    expect(checks(o)).toEqual([]);
    // And the returned slot itself may be sold again.
    o.salesEvents = [terms, ...o.salesEvents.slice(1, 3), returned, { ...again, slotIds: a.slotIds }];
    expect(checks(o)).toEqual([]);
  });

  it('says whether a slot granted while held was released later on the log, or never', () => {
    const o = cleanRun();
    const a = o.salesEvents[0] as EventOf<'ClaimGranted'>;
    const slotSays = () => checkRun(o).violations.find((v) => v.check === 'slots')?.says;
    o.salesEvents = [...o.salesEvents, granted('e', 1)];
    expect(slotSays()).toMatch(/holds it; it never released the slot$/);
    o.salesEvents = [...o.salesEvents, released(a)];
    expect(slotSays()).toMatch(/holds it; its release of the slot is 1 records later on the log$/);
  });

  it('finds a claim decided twice, an accepted claim never decided, and an answer the topic contradicts', () => {
    const o = cleanRun();
    o.salesEvents = [...o.salesEvents, rejected('a')];
    o.history = [...o.history, claimCall('f', 202, { status: 'pending' }), claimCall('g', 409, { status: 'rejected', reason: 'sold_out' })];
    o.salesEvents = [...o.salesEvents, granted('g', 9)];
    expect(checks(o)).toEqual(expect.arrayContaining(['decided-once a', 'decided-once f', 'decided-once g']));
  });

  it('tells an accepted claim lost from the log from one on the log never decided', () => {
    const o = cleanRun();
    o.history = [...o.history, claimCall('f', 202, { status: 'pending' }), claimCall('h', 202, { status: 'pending' })];
    o.claimsOnTopic = new Set([...o.claimsOnTopic, 'h']);
    const says = new Map(checkRun(o).violations.map((v) => [v.transactionId, v.says]));
    expect(says.get('f')).toContain('no ClaimRequested on the claims topic');
    expect(says.get('h')).toContain('is on the claims topic: never decided');
  });

  it('counts a decision published twice (same eventId) once, unless the copies disagree', () => {
    const o = cleanRun();
    const a = o.salesEvents[0] as EventOf<'ClaimGranted'>;
    o.salesEvents = [...o.salesEvents, a];
    expect(checks(o)).toEqual([]);
    o.salesEvents = [...o.salesEvents, { ...a, slotIds: [`${saleId}:5`] }];
    expect(checks(o)).toEqual(['copies']);
  });

  it('finds an acknowledged payment recorded twice, missing, or miscounted, and a clock the API should have refused', () => {
    const o = cleanRun();
    o.partnerEvents = [...o.partnerEvents, { partner_event_id: 'pa', transaction_id: 'a', kind: 'payment' }].filter(
      (r) => r.partner_event_id !== 'pb',
    );
    o.transactions = [{ transaction_id: 'a', status: 'paid', payments: 2, refunds: 0 }];
    // +301 s signed just before a second ticks over arrives 300 s ahead: accepting it is right.
    const borderline: HistoryEntry = {
      type: 'webhook',
      kind: 'payment',
      partnerEventId: 'pa',
      transactionId: 'a',
      clockShiftSeconds: 301,
      signedSeconds: 301,
      sentAt: 999,
      answeredAt: 1_001,
      status: 200,
    };
    o.history = [...o.history, webhook('a', 'pz', 200, { clockShiftSeconds: -301 }), borderline];
    expect(checks(o)).toEqual(expect.arrayContaining(['clock a', 'webhooks a', 'webhooks b']));
  });

  it('finds a planted mismatch not flagged and a flag nobody planted, but not a payment that raced its expiry', () => {
    const o = cleanRun();
    o.mismatches = [{ kind: 'amount_mismatch', transaction_id: 'a' }];
    expect(checks(o)).toEqual(['flags x', 'flags a']);
    o.mismatches = [...cleanRun().mismatches, { kind: 'late_payment', transaction_id: 'a' }];
    expect(checks(o)).toEqual(['flags a']);
    o.history = [...o.history, webhook('a', 'pa', 200, { answeredAt: 99_000 })];
    expect(checks(o)).toEqual([]);
  });

  it('finds an acknowledged entry later answered "no transaction of yours"', () => {
    const o = cleanRun();
    const entry: HistoryEntry = {
      type: 'call',
      actor: 'shopper',
      method: 'POST',
      path: `/sales/${saleId}/entries`,
      body: {},
      sentAt: 0,
      answeredAt: 1,
      status: 201,
      answer: { transactionId: 'h' },
    };
    o.history = [entry, claimCall('h', 404, { error: 'no transaction h of yours' })];
    o.mismatches = [];
    expect(checks(o)).toEqual(['entries h']);
  });

  it('finds a grant whose redirect is refused before it expires', () => {
    const o = cleanRun();
    const grant = claimCall('a', 201, {
      status: 'granted',
      transactionId: 'a',
      slotId: `${saleId}:1`,
      expiresAt: new Date(60_000).toISOString(),
    });
    const redirect: HistoryEntry = {
      type: 'call',
      actor: 'shopper',
      method: 'POST',
      path: '/transactions/a/redirect',
      body: {},
      sentAt: 3,
      answeredAt: 4,
      status: 409,
      answer: {},
    };
    o.history = [...o.history, grant, redirect];
    expect(checks(o)).toEqual(['grants a']);
  });

  it('finds a replay that differs and dead letters', () => {
    const o = { ...cleanRun(), replay: { equal: false, detail: 'transactions' }, deadLetters: 2 };
    expect(checks(o)).toEqual(['replay', 'dead-letters']);
  });
});
