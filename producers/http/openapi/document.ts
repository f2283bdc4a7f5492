// The OpenAPI 3.1 description of the HTTP API, generated (zod-to-openapi) from the zod
// schemas the routes validate their input with and the answer shapes in answers.ts: served at
// GET /openapi.json, drawn at /docs, and written to docs/openapi.json by `npm run gen:openapi`.
import { OpenApiGeneratorV31, OpenAPIRegistry, type RouteConfig } from '@asteasolutions/zod-to-openapi';
import { partnerReportSchema } from '../../../domain/partners/partnerReport.js';
import { SIGNATURE_HEADER } from '../../../platform/webhookSignature.js';
import { saleParams } from '../inputs.js';
import { productBody, productParams } from '../operators/productsRouter.js';
import { scheduleBody } from '../operators/salesRouter.js';
import * as answer from './answers.js';
import { json, location, ok, refusals, TOKEN_WRITE } from './describe.js';
import { dashboardRoutes, reconciliationRoutes } from './reconciliationRoutes.js';
import { saleRoutes, transactionRoutes } from './storefrontRoutes.js';
import { z } from './zod.js';

function partnerRoutes(): RouteConfig[] {
  return [
    {
      method: 'post',
      path: '/partners/{partnerId}/webhooks',
      tags: ['partners'],
      summary: 'A payment or refund, signed by the partner',
      description: '2xx only once the event is durably on Kafka. Unknown transactions are accepted and recorded.',
      security: [{ partnerSignature: [] }],
      request: { params: z.object({ partnerId: z.string() }), body: { required: true, content: json(partnerReportSchema) } },
      responses: {
        200: ok('recorded (or a duplicate eventId, recorded once)', answer.webhookAnswer),
        ...refusals([400, 401, 413, 415, 429, 503], { 401: `missing or invalid ${SIGNATURE_HEADER}; the same body whatever the cause` }),
      },
    },
  ];
}

function operatorRoutes(): RouteConfig[] {
  const security = [{ operatorToken: [] }];
  return [
    {
      method: 'put',
      path: '/products/{productId}',
      tags: ['operators'],
      summary: 'Create or replace a product',
      security,
      request: { params: productParams, body: { required: true, content: json(productBody(new Set())) } },
      responses: { 200: ok('replaced', answer.productAnswer), 201: ok('created', answer.productAnswer), ...refusals(TOKEN_WRITE) },
    },
    {
      method: 'post',
      path: '/sales',
      tags: ['operators'],
      summary: 'Schedule a sale; its stock is pre-warmed into Redis before the answer',
      security,
      request: { body: { required: true, content: json(scheduleBody) } },
      responses: {
        201: ok('scheduled and warmed', answer.saleAnswer, location),
        202: ok('scheduled; still warming', answer.saleWarming),
        ...refusals([...TOKEN_WRITE, 409], { 409: 'a sale with this saleId exists' }),
      },
    },
    {
      method: 'post',
      path: '/sales/{saleId}/close',
      tags: ['operators'],
      summary: 'Close a sale early',
      security,
      request: { params: saleParams },
      responses: {
        200: ok('closed', answer.saleAnswer),
        202: ok('closing', answer.saleClosing),
        ...refusals([...TOKEN_WRITE, 404, 409], { 409: 'the sale is not warmed yet; retry' }),
      },
    },
  ];
}

function healthRoutes(): RouteConfig[] {
  return [
    {
      method: 'get',
      path: '/healthz',
      tags: ['health'],
      summary: 'Liveness',
      responses: { 200: ok('alive', answer.healthAnswer) },
    },
    {
      method: 'get',
      path: '/readyz',
      tags: ['health'],
      summary: 'Readiness: Kafka, the registry, Redis and Postgres answer; at most a second old',
      responses: { 200: ok('ready', answer.readinessAnswer), 503: ok('not ready', answer.readinessAnswer) },
    },
  ];
}

function docsRoutes(): RouteConfig[] {
  return [
    {
      method: 'get',
      path: '/openapi.json',
      tags: ['docs'],
      summary: 'This description (OpenAPI 3.1)',
      responses: { 200: ok('the document', z.object({ openapi: z.literal('3.1.0') }).passthrough()) },
    },
    {
      method: 'get',
      path: '/docs',
      tags: ['docs'],
      summary: 'This description, drawn (Swagger UI)',
      responses: { 200: { description: 'the page', content: { 'text/html': { schema: z.string() } } } },
    },
  ];
}

function tokenScheme(audience: string, who: string) {
  return {
    type: 'http' as const,
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description:
      `${who}: a JWT whose \`aud\` names ${audience}, \`iss\` AUTH_ISSUER, \`sub\` the user id, \`exp\` in the future and \`iat\` ` +
      'at most AUTH_MAX_TOKEN_AGE_SECONDS ago. Signed RS256/ES256 by the identity provider (AUTH_JWKS_URL, AUTH_PUBLIC_KEY) or, ' +
      'locally, HS256 with AUTH_SECRET (`flashsale token`). A token for the other audience: 403.',
  };
}

export function buildOpenApiDocument() {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'storefrontToken', tokenScheme('AUTH_AUDIENCE (default flashsale-storefront)', 'Shoppers'));
  registry.registerComponent(
    'securitySchemes',
    'operatorToken',
    tokenScheme('AUTH_OPERATOR_AUDIENCE (default flashsale-operators)', 'Operators'),
  );
  registry.registerComponent('securitySchemes', 'partnerSignature', {
    type: 'apiKey',
    in: 'header',
    name: SIGNATURE_HEADER,
    description:
      '`t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" with the partner\'s secret>`; `t` within 300 s of now. ' +
      'A partner with two secrets (rotation) may sign with either.',
  });
  for (const route of [
    ...saleRoutes(),
    ...transactionRoutes(),
    ...partnerRoutes(),
    ...operatorRoutes(),
    ...reconciliationRoutes(),
    ...dashboardRoutes(),
    ...healthRoutes(),
    ...docsRoutes(),
  ])
    registry.registerPath(route);
  // Referenced by the stream's description only (an event's data is no schema of a response body).
  registry.register('DashboardSnapshot', answer.dashboardSnapshot);
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'flashsale',
      version: '1',
      description:
        'The HTTP API of flashsale, an event-sourced flash-sale system (docs/contract.md). All JSON; times ISO-8601 UTC; money ' +
        'an integer `amountMinor` plus an ISO-4217 `currency`. Every refusal has the body `{error, details}`.',
    },
    tags: [
      { name: 'storefront', description: "Shoppers, with a token for the storefront's audience" },
      { name: 'partners', description: 'Payment partners, with signed webhooks' },
      { name: 'operators', description: "Operators, with a token for the operators' audience" },
      { name: 'health', description: 'For load balancers (metrics are on the operations port only)' },
      { name: 'docs', description: 'This description' },
    ],
  });
}

export type OpenApiDocument = ReturnType<typeof buildOpenApiDocument>;
