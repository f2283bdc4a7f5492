// The payment-page token: readable by its partner only, unforgeable, naming transaction, amount and expiry.
import { describe, expect, it } from 'vitest';
import { issuePaymentToken, partnerPaymentKey, readPaymentToken } from '../../../producers/http/storefront/paymentToken.js';
import { paymentPageUrl } from '../../../producers/http/storefront/redirectRouter.js';

const KEY = 'a-payment-token-key-for-tests-only';
const claims = {
  transactionId: '8d1c6f0e-6c53-4c1e-9a51-0b3e3d1f2a77',
  saleId: 'sale-1',
  partnerId: 'demo-pay',
  quantity: 2,
  amountMinor: 3998,
  currency: 'EUR',
  expiresAt: Date.now() + 300_000,
};

describe('payment token', () => {
  it('names transaction, amount and expiry to the partner holding its key', async () => {
    const token = await issuePaymentToken(partnerPaymentKey(KEY, 'demo-pay'), claims, 'evt-1');
    const read = await readPaymentToken(token, partnerPaymentKey(KEY, 'demo-pay'), 'demo-pay');
    expect(read).toEqual(claims);
  });

  it('is unreadable with another partner key', async () => {
    const token = await issuePaymentToken(partnerPaymentKey(KEY, 'demo-pay'), claims, 'evt-1');
    await expect(readPaymentToken(token, partnerPaymentKey(KEY, 'other-pay'), 'demo-pay')).rejects.toThrow();
  });

  it('is refused when a single character of it is altered', async () => {
    const token = await issuePaymentToken(partnerPaymentKey(KEY, 'demo-pay'), claims, 'evt-1');
    const parts = token.split('.');
    const cipher = parts[3]!;
    parts[3] = (cipher[0] === 'A' ? 'B' : 'A') + cipher.slice(1);
    await expect(readPaymentToken(parts.join('.'), partnerPaymentKey(KEY, 'demo-pay'), 'demo-pay')).rejects.toThrow();
  });

  it('is refused once the reservation has expired', async () => {
    const token = await issuePaymentToken(partnerPaymentKey(KEY, 'demo-pay'), { ...claims, expiresAt: Date.now() - 5_000 }, 'evt-1');
    await expect(readPaymentToken(token, partnerPaymentKey(KEY, 'demo-pay'), 'demo-pay')).rejects.toThrow(/exp/);
  });

  it('travels as the token parameter of the partner page', () => {
    expect(paymentPageUrl('https://pay.example/{partnerId}/checkout?lang=en', 'demo-pay', 'a.b.c.d.e')).toBe(
      'https://pay.example/demo-pay/checkout?lang=en&token=a.b.c.d.e',
    );
  });
});
