// POST /transactions/:transactionId/redirect: sends the owner of a granted, unexpired
// reservation to the partner's payment page (303), carrying a token only that partner can
// read (paymentToken.ts). PaymentRedirectIssued is on Kafka before the answer, so
// reconciliation knows what the partner should charge, even if the user never arrives.
import { Router } from 'express';
import { z } from 'zod';
import type { EventPublisher } from '../../../platform/kafka/publisher.js';
import type { Logger } from '../../../platform/log.js';
import type { TokenVerifier } from '../auth.js';
import { requestIdOf } from '../accessLog.js';
import { principalOf } from '../authMiddleware.js';
import { envelope } from '../envelope.js';
import { conflict, notFound } from '../errors.js';
import { transactionParams } from '../inputs.js';
import type { RateLimits } from '../rateLimit.js';
import { parse } from '../validate.js';
import { issuePaymentToken, partnerPaymentKey } from './paymentToken.js';
import type { SaleStorePort } from './saleStorePort.js';

/** A redirect carries nothing but the transaction in its path; an empty JSON object is accepted too. */
export const redirectBody = z.object({}).strict().optional();

/** A reload of the payment page goes through here again, so an already redirected transaction qualifies too. */
const REDIRECTABLE = new Set(['granted', 'redirected']);

export function paymentPageUrl(template: string, partnerId: string, token: string): string {
  const url = new URL(template.replaceAll('{partnerId}', encodeURIComponent(partnerId)));
  url.searchParams.set('token', token);
  return url.href;
}

export function createRedirectRouter({
  store,
  publisher,
  log,
  verify,
  limits,
  paymentTokenKey,
  paymentPageTemplate,
}: {
  store: SaleStorePort;
  publisher: EventPublisher;
  log: Logger;
  verify: TokenVerifier;
  limits: RateLimits;
  paymentTokenKey: string;
  paymentPageTemplate: string;
}): Router {
  const router = Router();

  router.post('/transactions/:transactionId/redirect', limits.user(verify), async (req, res) => {
    const { transactionId } = parse(transactionParams, req.params);
    parse(redirectBody, req.body);
    const userId = principalOf(res).userId;
    const [tx, decision] = await Promise.all([store.readTransaction(transactionId), store.readDecision(transactionId)]);
    if (!tx || tx.userId !== userId) throw notFound(`no transaction ${transactionId} of yours`);
    const now = Date.now();
    if (!REDIRECTABLE.has(tx.status) || decision?.status !== 'granted' || decision.expiresAt <= now) {
      const why = decision?.status === 'granted' && decision.expiresAt <= now ? 'its reservation has expired' : `it is ${tx.status}`;
      throw conflict(`only a granted, unexpired transaction goes to payment; ${why}`, { status: tx.status });
    }
    const sale = await store.readSale(tx.saleId, now);
    if (!sale) throw conflict(`sale ${tx.saleId} is not in the store`);

    const event = {
      type: 'PaymentRedirectIssued' as const,
      ...envelope(transactionId, now),
      transactionId,
      saleId: tx.saleId,
      userId,
      partnerId: sale.partnerId,
      quantity: decision.quantity,
      amountMinor: decision.amountMinor,
      currency: decision.currency,
      expiresAt: decision.expiresAt,
    };
    const token = await issuePaymentToken(partnerPaymentKey(paymentTokenKey, sale.partnerId), event, event.eventId);
    await publisher.publish([event], { requestId: requestIdOf(res) });
    log.info({ saleId: tx.saleId, transactionId, partnerId: sale.partnerId }, 'payment redirect issued');
    const location = paymentPageUrl(paymentPageTemplate, sale.partnerId, token);
    res.status(303).location(location).json({ transactionId, location });
  });

  return router;
}
