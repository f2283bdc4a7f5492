// The simulated payment partner: it reads the token a user brings to its payment page (it
// holds its own key) and reports payments through the signed webhook, as a real one would. It
// keeps a ledger of what it reported, and delivers it as its settlement file (signed POST).
import crypto from 'node:crypto';
import { partnerPaymentKey, readPaymentToken, type PaymentTokenClaims } from '../producers/http/storefront/paymentToken.js';
import { signWebhook, type ApiClient } from './api.js';

export type PaymentPage = PaymentTokenClaims;

export function createPartner(
  api: ApiClient,
  { partnerId, secret, paymentTokenKey }: { partnerId: string; secret: string; paymentTokenKey: string },
) {
  const key = partnerPaymentKey(paymentTokenKey, partnerId);
  /** Every event reported and acknowledged, once per event id, in the order sent: the settlement file's rows. */
  const ledger = new Map<string, Record<string, string | number>>();

  async function report(
    type: 'payment' | 'refund',
    page: Pick<PaymentPage, 'transactionId' | 'quantity' | 'amountMinor' | 'currency'>,
    eventId: string = crypto.randomUUID(),
  ) {
    const event = {
      eventId,
      transactionId: page.transactionId,
      type,
      quantity: page.quantity,
      amountMinor: page.amountMinor,
      currency: page.currency,
      occurredAt: new Date().toISOString(),
    };
    const res = await api.webhook(partnerId, secret, event);
    if (res.status !== 200 && res.status !== 201 && res.status !== 202)
      throw new Error(`webhook ${type} answered ${res.status}: ${JSON.stringify(res.body)}`);
    // A redelivery reports the same event: the first time it was sent is the one settled.
    if (!ledger.has(eventId)) ledger.set(eventId, event);
    return { eventId, duplicate: (res.body as { duplicate?: boolean }).duplicate === true };
  }

  return {
    /** The user arrives at the payment page: the partner opens the token from the redirect. */
    async openPaymentPage(location: string): Promise<PaymentPage> {
      const token = new URL(location).searchParams.get('token');
      if (!token) throw new Error(`redirect without a token: ${location}`);
      return readPaymentToken(token, key, partnerId);
    },
    pay: (page: Pick<PaymentPage, 'transactionId' | 'quantity' | 'amountMinor' | 'currency'>, eventId?: string) =>
      report('payment', page, eventId ?? crypto.randomUUID()),
    refund: (page: Pick<PaymentPage, 'transactionId' | 'quantity' | 'amountMinor' | 'currency'>, eventId?: string) =>
      report('refund', page, eventId ?? crypto.randomUUID()),
    /** How many payments and refunds it has reported (each event once). */
    reported(): { payments: number; refunds: number } {
      const rows = [...ledger.values()];
      return { payments: rows.filter((r) => r.type === 'payment').length, refunds: rows.filter((r) => r.type === 'refund').length };
    },
    /** The settlement file of everything reported so far (the contract's CSV columns), POSTed signed as a partner does. */
    async deliverSettlement(): Promise<{ status: number; body: Record<string, unknown> }> {
      const columns = ['eventId', 'transactionId', 'type', 'quantity', 'amountMinor', 'currency', 'occurredAt'] as const;
      // Ids and codes only: no field needs quoting.
      const csv = [columns.join(','), ...[...ledger.values()].map((row) => columns.map((c) => String(row[c])).join(','))].join('\n') + '\n';
      return api.call('POST', `/partners/${partnerId}/settlements`, {
        body: csv,
        headers: { 'content-type': 'text/csv', 'flashsale-signature': signWebhook(secret, csv) },
      });
    },
  };
}

export type Partner = ReturnType<typeof createPartner>;
