// POST /partners/:partnerId/webhooks: the partner's word about money. Signature first
// (401, nothing recorded, the same answer whatever was wrong), then the body (400), then the event goes to Kafka; 2xx only
// after the broker acknowledged it from all in-sync replicas. Anything not recorded is a
// 503, so the partner retries; a redelivered eventId is a 200 with {duplicate: true}.
// Unknown transactions are recorded too: reconciliation needs them.
import { type Request, Router } from 'express';
import { Counter, type Registry } from 'prom-client';
import { partnerReportSchema, toPartnerEvent } from '../../domain/partners/partnerReport.js';
import type { EventPublisher } from '../../platform/kafka/publisher.js';
import type { Logger } from '../../platform/log.js';
import { requestIdOf } from '../http/accessLog.js';
import { badRequest, type HttpError, unauthorized, unavailable } from '../http/errors.js';
import type { RateLimits } from '../http/rateLimit.js';
import { parse } from '../http/validate.js';
import { SIGNATURE_HEADER, verifyWebhookSignature } from '../../platform/webhookSignature.js';
import type { WebhookDedupe } from './webhookDedupe.js';

function webhookCounter(metrics: Registry): Counter<'partner' | 'outcome'> {
  const name = 'flashsale_partner_webhooks_total';
  return (
    (metrics.getSingleMetric(name) as Counter<'partner' | 'outcome'> | undefined) ??
    new Counter({ name, help: 'Partner webhooks by outcome.', labelNames: ['partner', 'outcome'], registers: [metrics] })
  );
}

/**
 * Every refusal of a webhook's signature, byte for byte: an unknown partner, a missing,
 * malformed or wrong signature and a stale timestamp all read the same, so the answer tells
 * a prober nothing (not even which partner ids exist). The cause goes to the log.
 */
export const WEBHOOK_REFUSAL = `missing or invalid ${SIGNATURE_HEADER}`;

export function createPartnerWebhookRouter({
  partnerSecrets,
  publisher,
  dedupe,
  limits,
  log,
  metrics,
  now = Date.now,
}: {
  partnerSecrets: ReadonlyMap<string, readonly string[]>;
  publisher: Pick<EventPublisher, 'publish'>;
  dedupe: WebhookDedupe;
  /** Per IP before the signature is checked, per partner after (a forger cannot spend a partner's budget). */
  limits: Pick<RateLimits, 'perIp' | 'partner'>;
  log: Logger;
  metrics: Registry;
  now?: () => number;
}): Router {
  const counted = webhookCounter(metrics);
  const router = Router();

  /** Refuses the request (401, always the same body) unless it carries a valid signature over its raw body. */
  function authenticate(req: Request<{ partnerId: string }>): HttpError | undefined {
    const { partnerId } = req.params;
    const verdict = verifyWebhookSignature({
      header: req.get(SIGNATURE_HEADER),
      payload: req.rawBody ?? Buffer.alloc(0),
      secrets: partnerSecrets.get(partnerId) ?? [],
      nowSeconds: Math.floor(now() / 1000),
    });
    if (verdict.ok) return undefined;
    counted.inc({ partner: partnerSecrets.has(partnerId) ? partnerId : 'unknown', outcome: 'unauthorized' });
    log.warn({ partnerId, reason: verdict.reason }, 'webhook refused: bad signature');
    return unauthorized(WEBHOOK_REFUSAL);
  }

  router.post('/partners/:partnerId/webhooks', limits.perIp, async (req: Request<{ partnerId: string }>, res) => {
    const { partnerId } = req.params;
    const refusal = authenticate(req) ?? (await limits.partner(partnerId));
    if (refusal) throw refusal;
    if (typeof res.locals.malformedJson === 'string')
      throw badRequest('malformed JSON body', [{ field: '(body)', message: res.locals.malformedJson }]);
    const report = parse(partnerReportSchema, req.body);
    const event = toPartnerEvent(partnerId, report, now());
    const ids = { partnerId, partnerEventId: report.eventId, transactionId: report.transactionId, type: report.type };
    let outcome;
    try {
      outcome = await dedupe.once(event.eventId, () => publisher.publish([event], { requestId: requestIdOf(res) }));
    } catch (err) {
      counted.inc({ partner: partnerId, outcome: 'unavailable' });
      log.error({ ...ids, err: (err as Error).message }, 'webhook not recorded: answering 503 so the partner retries');
      throw unavailable('could not record the event now; retry later');
    }
    counted.inc({ partner: partnerId, outcome });
    log.info({ ...ids, outcome }, 'partner webhook');
    res.status(200).json({ eventId: report.eventId, duplicate: outcome === 'duplicate' });
  });

  return router;
}
