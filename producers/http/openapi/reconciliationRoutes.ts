// The reconciliation routes, as the OpenAPI document describes them: a sale's report, an
// operator's resolution of a mismatch, and a partner's settlement file (CSV, streamed, signed).
import type { RouteConfig } from '@asteasolutions/zod-to-openapi';
import { SIGNATURE_HEADER } from '../../../platform/webhookSignature.js';
import { settlementParams } from '../../partners/settlementRouter.js';
import { saleParams } from '../inputs.js';
import { mismatchParams, pageQuery, resolutionBody } from '../operators/reconciliation.js';
import * as answer from './answers.js';
import { json, ok, refusals, TOKEN_READ, TOKEN_WRITE } from './describe.js';
import { z } from './zod.js';

const SETTLEMENT_COLUMNS = 'eventId,transactionId,type,quantity,amountMinor,currency,occurredAt';

/** The body of POST /partners/{partnerId}/settlements: the file itself. */
const settlementFile = z.string().openapi({
  description:
    `CSV, UTF-8, a header row, comma-separated, RFC 4180 quoting; columns in any order, unknown columns ignored, these ` +
    `required: \`${SETTLEMENT_COLUMNS}\` (the fields and meanings of the webhook body). At most SETTLEMENT_MAX_BYTES once decoded.`,
  example: `${SETTLEMENT_COLUMNS}\nev-1,0b6f2c1e-8d1a-4c3e-9f2a-1d2e3f4a5b6c,payment,1,1999,EUR,2026-12-02T12:00:00.000Z\n`,
});

export function reconciliationRoutes(): RouteConfig[] {
  const security = [{ operatorToken: [] }];
  return [
    {
      method: 'get',
      path: '/reconciliation/sales/{saleId}',
      tags: ['operators'],
      summary: "A sale's reconciliation report; mismatches in pages",
      security,
      request: { params: saleParams, query: pageQuery },
      responses: {
        200: ok('the report', answer.reconciliationAnswer),
        ...refusals([...TOKEN_READ, 404], { 404: 'reconciliation has seen nothing of this sale' }),
      },
    },
    {
      method: 'post',
      path: '/reconciliation/mismatches/{mismatchId}/resolution',
      tags: ['operators'],
      summary: 'Resolve a mismatch: refund, accept or write off',
      description:
        '`refund`: the payment goes back to the payer through the partner that took it (`resolving` until the ' +
        "partner's refund arrives by webhook). `accept`: the payment stands; a late payer gets a unit if one is free. " +
        '`write_off`: the difference is ours to carry. Each step is an event; a mismatch is resolved once.',
      security,
      request: { params: mismatchParams, body: { required: true, content: json(resolutionBody) } },
      responses: {
        200: ok('the mismatch as it now stands', answer.mismatchAnswer),
        409: {
          description:
            'refused, nothing changed: already resolving or resolved, a resolution being recorded, nothing to refund, ' +
            'the payment already being refunded for another mismatch, no unit free for a late payer, or no released reservation',
          content: json(answer.resolutionConflict),
        },
        ...refusals([...TOKEN_WRITE, 404], { 404: 'no such mismatch' }),
      },
    },
    {
      method: 'post',
      path: '/partners/{partnerId}/settlements',
      tags: ['partners'],
      summary: 'A settlement file, signed by the partner as its webhooks are',
      description:
        'The body is streamed (and decoded) to a spool file, its signature checked over the raw bytes, then taken in once by ' +
        'content: the same file again answers 200 with the first id. A malformed row is a 400 naming its line; nothing is recorded.',
      security: [{ partnerSignature: [] }],
      request: { params: settlementParams, body: { required: true, content: { 'text/csv': { schema: settlementFile } } } },
      responses: {
        202: ok('taken in; its findings follow as mismatches', answer.settlementAnswer),
        200: ok('the same file again (same content hash): recorded once', answer.settlementAnswer),
        ...refusals([400, 401, 413, 415, 429, 503], {
          400: 'a malformed row (details name its line), or a body that is not what its Content-Encoding says',
          401: `missing or invalid ${SIGNATURE_HEADER}; the webhooks' one body whatever the cause`,
          413: 'the file beyond SETTLEMENT_MAX_BYTES, counted after decoding',
        }),
      },
    },
  ];
}

export function dashboardRoutes(): RouteConfig[] {
  return [
    {
      method: 'get',
      path: '/dashboard',
      tags: ['operators'],
      summary: 'The live sale dashboard: a static page holding no figures, served to anyone',
      description: 'Its scripts and styles come from this origin only. It asks for an operator token and reads GET /dashboard/stream.',
      responses: { 200: { description: 'the page', content: { 'text/html': { schema: z.string() } } } },
    },
    {
      method: 'get',
      path: '/dashboard/stream',
      tags: ['operators'],
      summary: "The dashboard's figures, as server-sent events",
      description:
        'One `snapshot` event a second, its data a DashboardSnapshot (JSON). A stream whose token is no longer valid (checked ' +
        'every minute) ends with an `expired` event.',
      security: [{ operatorToken: [] }],
      responses: {
        200: {
          description: 'the stream: `event: snapshot` / `data: <DashboardSnapshot>`, one a second',
          content: {
            'text/event-stream': {
              schema: z.string().openapi({ description: "each `snapshot` event's data is a DashboardSnapshot (JSON, one line)" }),
            },
          },
        },
        ...refusals(TOKEN_READ, { 503: 'beyond 50 streams at once, or the identity provider cannot be reached; retry' }),
      },
    },
  ];
}
