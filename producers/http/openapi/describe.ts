// Helpers for describing routes: the refusals the edge gives (each with the contract's
// meaning and the `{error, details}` body) and the usual answer shapes.
import type { ResponseConfig } from '@asteasolutions/zod-to-openapi';
import { BODY_LIMIT } from '../app.js';
import * as answer from './answers.js';
import { z } from './zod.js';

type Schema = z.ZodTypeAny;

const retryAfter = z.object({ 'Retry-After': z.string().openapi({ description: 'seconds to wait before retrying' }) });

/** Every refusal the edge may give, with the contract's meaning; each route picks those that apply. */
const REFUSALS = {
  400: 'malformed body, parameter or header (the field is named in details)',
  401: 'missing or invalid credentials',
  403: 'a valid token for the other audience',
  404: 'no such resource (or not yours)',
  409: 'conflicts with the current state',
  413: `body over ${BODY_LIMIT} (counted after decoding)`,
  415: 'Content-Encoding other than identity, gzip, deflate, br; or a JSON charset that is not UTF',
  429: 'rate limited',
  503: 'a store or the event log is unavailable; retry',
} as const;
export type Refusal = keyof typeof REFUSALS;

export const json = (schema: Schema) => ({ 'application/json': { schema } });

export function refusals(codes: readonly Refusal[], overrides: Partial<Record<Refusal, string>> = {}): Record<string, ResponseConfig> {
  return Object.fromEntries(
    codes.map((code) => [
      code,
      {
        description: overrides[code] ?? REFUSALS[code],
        content: json(answer.errorAnswer),
        ...(code === 429 || code === 503 ? { headers: retryAfter } : {}),
      },
    ]),
  );
}

export const ok = (description: string, schema: Schema, headers?: z.AnyZodObject): ResponseConfig => ({
  description,
  content: json(schema),
  ...(headers ? { headers } : {}),
});
export const location = z.object({ Location: z.string() });

/** Refusals every route with a bearer token can give; reads with no body. */
export const TOKEN_READ: Refusal[] = [400, 401, 403, 429, 503];
export const TOKEN_WRITE: Refusal[] = [...TOKEN_READ, 413, 415];
