// Refusals at the HTTP edge: typed, with a status, a message a person can act on, and
// details. Mapped to responses in one place (the app's error handler).
import type { ZodError } from 'zod';
import { classifyFailure, FlashsaleError } from '../../platform/errors.js';

export class HttpError extends FlashsaleError {
  override name = 'HttpError';
  /** Too many requests, or unavailable for now: the client may send the same request again later. */
  readonly retriable: boolean;
  constructor(
    readonly status: number,
    message: string,
    readonly details?: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.retriable = status === 429 || status === 503;
  }
}

export const badRequest = (message: string, details?: unknown) => new HttpError(400, message, details);
export const unauthorized = (message = 'missing or invalid bearer token') => new HttpError(401, message);
export const forbidden = (message: string) => new HttpError(403, message);
export const notFound = (message = 'not found') => new HttpError(404, message);
export const conflict = (message: string, details?: unknown) => new HttpError(409, message, details);
export const unavailable = (message: string) => new HttpError(503, message, undefined, { 'Retry-After': '1' });

export function invalidInput(err: ZodError): HttpError {
  return badRequest(
    'invalid request',
    err.issues.map((i) => ({ field: i.path.join('.') || '(body)', message: i.message })),
  );
}

/**
 * A failure that says "retry shortly", whatever route met it: Redis, PostgreSQL, the registry
 * or the broker away or overloaded, or any error of ours flagged retriable (Kafka not
 * acknowledging in time, the publish queue full). Such a request was not served, and a 500
 * would say it never will be. What counts as transient is decided once, in classifyFailure.
 */
export function asUnavailable(err: unknown): HttpError | undefined {
  if (classifyFailure(err) !== 'transient') return undefined;
  return unavailable('a store or the event log is unavailable; retry shortly');
}
