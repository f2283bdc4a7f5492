// The simulated payment partner: it reads the token a user brings to its payment page (it
// holds its own key) and reports payments through the signed webhook, as a real one would.
import crypto from 'node:crypto';
import { partnerPaymentKey, readPaymentToken, type PaymentTokenClaims } from '../producers/http/storefront/paymentToken.js';
import type { ApiClient } from './api.js';

export type PaymentPage = PaymentTokenClaims;

export function createPartner(
  api: ApiClient,
  { partnerId, secret, paymentTokenKey }: { partnerId: string; secret: string; paymentTokenKey: string },
) {
  const key = partnerPaymentKey(paymentTokenKey, partnerId);

  async function report(
    type: 'payment' | 'refund',
    page: Pick<PaymentPage, 'transactionId' | 'quantity' | 'amountMinor' | 'currency'>,
    eventId: string = crypto.randomUUID(),
  ) {
    const res = await api.webhook(partnerId, secret, {
      eventId,
      transactionId: page.transactionId,
      type,
      quantity: page.quantity,
      amountMinor: page.amountMinor,
      currency: page.currency,
      occurredAt: new Date().toISOString(),
    });
    if (res.status !== 200 && res.status !== 201 && res.status !== 202)
      throw new Error(`webhook ${type} answered ${res.status}: ${JSON.stringify(res.body)}`);
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
  };
}

export type Partner = ReturnType<typeof createPartner>;
