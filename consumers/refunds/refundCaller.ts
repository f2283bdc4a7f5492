// Asks the partner for each refund an operator resolved a mismatch with: reads RefundRequested
// from the reconciliation topic and POSTs it to the partner's refund endpoint (REFUND_URL),
// signed as our webhooks are (`Flashsale-Signature` over the raw body with the partner's
// secret) and carrying the request id (`Idempotency-Key` and `requestId`): the partner
// refunds once per request id, however often it is called.
//
// The offset is committed only once the partner acknowledged (2xx, or 409: it has that
// request already). A partner away, timing out, answering 429 or 5xx is a transient fault:
// the consumer runner pauses the partition and calls again, the pause doubling up to
// REFUND_RETRY_MAX_MS, until it answers. A crash anywhere before the commit calls again on
// restart with the same request id, so nothing is lost and nothing is refunded twice. Any
// other answer (the partner refuses the request) is permanent: the record is dead-lettered
// with the reason, for an operator to look at (`flashsale dlq`).
import type { Delivered, Subscription } from '../../platform/kafka/consumerRunner.js';
import { FlashsaleError } from '../../platform/errors.js';
import type { Logger } from '../../platform/log.js';
import { SIGNATURE_HEADER, signWebhook } from '../../platform/webhookSignature.js';
import type { EventOf } from '../../schemas/events/index.js';

export const refundSubscription: Subscription = { group: 'refunds', topics: ['reconciliation'] };

const CALL_TIMEOUT_MS = 10_000;

/** The partner did not acknowledge now (away, slow, busy): call again later. */
export class PartnerUnavailableError extends FlashsaleError {
  override name = 'PartnerUnavailableError';
  readonly retriable = true;
}

/** The partner refused the request, or we cannot sign for it: calling again will not help. */
export class RefundRefusedError extends FlashsaleError {
  override name = 'RefundRefusedError';
  readonly retriable = false;
}

/** The body of the outbound call (the partner's own event id for the payment, as its webhook named it). */
export function refundCallBody(e: EventOf<'RefundRequested'>) {
  const prefix = `${e.partnerId}:`;
  return {
    requestId: e.requestId,
    transactionId: e.transactionId,
    paymentEventId: e.paymentEventId.startsWith(prefix) ? e.paymentEventId.slice(prefix.length) : e.paymentEventId,
    quantity: e.quantity,
    amountMinor: e.amountMinor,
    currency: e.currency,
    reason: e.note,
  };
}

export function createRefundCaller({
  partnerSecrets,
  urlTemplate,
  log: parentLog,
  timeoutMs = CALL_TIMEOUT_MS,
}: {
  partnerSecrets: ReadonlyMap<string, readonly string[]>;
  /** REFUND_URL: `{partnerId}` stands for the partner asked. */
  urlTemplate: string;
  log: Logger;
  timeoutMs?: number;
}) {
  const log = parentLog.child({ consumer: 'refunds' });

  async function call(e: EventOf<'RefundRequested'>): Promise<void> {
    const secret = partnerSecrets.get(e.partnerId)?.[0];
    if (!secret) throw new RefundRefusedError(`no secret for partner ${e.partnerId} in PARTNER_SECRETS: cannot sign its refund call`);
    const url = urlTemplate.replaceAll('{partnerId}', encodeURIComponent(e.partnerId));
    const body = JSON.stringify(refundCallBody(e));
    const ids = { requestId: e.requestId, transactionId: e.transactionId, partnerId: e.partnerId };
    let status: number;
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signWebhook(secret, body), 'Idempotency-Key': e.requestId },
        body,
        signal: AbortSignal.timeout(timeoutMs),
      });
      status = res.status;
      await res.arrayBuffer().catch(() => undefined);
    } catch (err) {
      log.warn({ ...ids, err: (err as Error).message }, 'refund call failed; calling again');
      throw new PartnerUnavailableError(`partner ${e.partnerId} refund endpoint unreachable: ${(err as Error).message}`);
    }
    if ((status >= 200 && status < 300) || status === 409) {
      log.info({ ...ids, status }, 'refund acknowledged by the partner');
      return;
    }
    if (status === 429 || status >= 500 || status === 408) {
      log.warn({ ...ids, status }, 'refund not acknowledged; calling again');
      throw new PartnerUnavailableError(`partner ${e.partnerId} answered ${status} to refund ${e.requestId}`);
    }
    throw new RefundRefusedError(`partner ${e.partnerId} refused refund ${e.requestId} with ${status}`);
  }

  return {
    /** One request at a time, in order: a batch retried after a fault calls again those already acknowledged, which the request id makes harmless. */
    async handle(batch: Delivered[]): Promise<void> {
      for (const d of batch) if (d.event.type === 'RefundRequested') await call(d.event);
    },
  };
}
