// The storefront's routes, as the OpenAPI document describes them: the sale, entering it,
// the challenge and the claim; the transaction and the way to the payment page.
import type { RouteConfig } from '@asteasolutions/zod-to-openapi';
import { saleParams, transactionParams } from '../inputs.js';
import { claimBody } from '../storefront/claimsRouter.js';
import { redirectBody } from '../storefront/redirectRouter.js';
import { entryBody } from '../storefront/salesRouter.js';
import * as answer from './answers.js';
import { json, location, ok, refusals, TOKEN_READ, TOKEN_WRITE } from './describe.js';
import { z } from './zod.js';

export function saleRoutes(): RouteConfig[] {
  const security = [{ storefrontToken: [] }];
  return [
    {
      method: 'get',
      path: '/sales/{saleId}',
      tags: ['storefront'],
      summary: 'A sale as the storefront sees it (from Redis only)',
      security,
      request: { params: saleParams },
      responses: { 200: ok('the sale', answer.saleAnswer), ...refusals([...TOKEN_READ, 404]) },
    },
    {
      method: 'post',
      path: '/sales/{saleId}/entries',
      tags: ['storefront'],
      summary: 'Enter a sale: opens the TransactionID',
      security,
      request: { params: saleParams, body: { required: false, content: json(entryBody) } },
      responses: {
        201: ok('entered', answer.entryAnswer, location),
        ...refusals([...TOKEN_WRITE, 404, 409], { 409: 'the sale is closed, or the user holds its maxOpenEntriesPerUser open entries' }),
      },
    },
    {
      method: 'get',
      path: '/sales/{saleId}/challenge',
      tags: ['storefront'],
      summary: 'A fresh proof-of-work challenge for this user and sale (ALTCHA)',
      security,
      request: { params: saleParams },
      responses: { 200: ok('the challenge', answer.challengeAnswer), ...refusals([...TOKEN_READ, 404]) },
    },
    {
      method: 'post',
      path: '/sales/{saleId}/claims',
      tags: ['storefront'],
      summary: 'Claim units under a TransactionID',
      description:
        'A sale sold out or not open is refused at once (409), never waiting on Kafka; the refusal is still recorded and ' +
        "is the transaction's decision. Repeating a claim returns the first decision.",
      security,
      request: {
        params: saleParams,
        headers: z.object({
          Prefer: z.string().optional().openapi({ description: '`wait=N` (seconds, at most 5): wait for the decision', example: 'wait=5' }),
        }),
        body: { required: true, content: json(claimBody) },
      },
      responses: {
        201: ok('granted', answer.claimGranted),
        202: ok('requested; the decision follows (GET /transactions/{transactionId})', answer.claimPending, location),
        409: ok('rejected', answer.claimRejected),
        ...refusals([...TOKEN_WRITE, 404], { 403: 'a valid token for the other audience, or the sale asks for a solved challenge' }),
      },
    },
  ];
}

export function transactionRoutes(): RouteConfig[] {
  const security = [{ storefrontToken: [] }];
  return [
    {
      method: 'get',
      path: '/transactions/{transactionId}',
      tags: ['storefront'],
      summary: "One of the user's transactions, with its history",
      security,
      request: { params: transactionParams },
      responses: { 200: ok('the transaction', answer.transactionAnswer), ...refusals([...TOKEN_READ, 404]) },
    },
    {
      method: 'post',
      path: '/transactions/{transactionId}/redirect',
      tags: ['storefront'],
      summary: "Go to the partner's payment page (granted, unexpired transactions only)",
      security,
      request: { params: transactionParams, body: { required: false, content: json(redirectBody) } },
      responses: {
        303: ok("to the partner's payment page, with a token only the partner reads", answer.redirectAnswer, location),
        ...refusals([...TOKEN_WRITE, 404, 409], { 409: 'not granted, or its reservation expired' }),
      },
    },
  ];
}
