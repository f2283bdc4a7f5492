// Anti-abuse: fixed one-second windows per client IP, per shopper, per operator and per
// partner, counted in Redis so every api process shares the same counts. Beyond the limit:
// 429 with Retry-After. Every request that reaches a store counts against its IP, whether or
// not its token is good; a request with a good token counts against its user as well, in the
// same round trip. A partner's webhooks count against the partner only once their signature
// holds: an unsigned flood must not use up a real partner's budget (it uses up its IP's).
//
// One small Lua script (INCR, and PEXPIRE when the window opens, per key) rather than
// rate-limiter-flexible's RateLimiterRedis: same fixed windows and keys, but the library
// builds an unused MULTI pipeline on every consume, which made each check cost twice the
// CPU (bench profile: ~20 µs against ~9 µs per check).
import type { RequestHandler } from 'express';
import { keyPrefix, type Redis } from '../../platform/redis.js';
import type { TokenVerifier } from './auth.js';
import { principalOf, requireOperator, requireUser } from './authMiddleware.js';
import { HttpError, unavailable } from './errors.js';

export type RateLimits = {
  /** Counts the request against its client IP alone. */
  perIp: RequestHandler;
  /**
   * A storefront user's guard: the token verified, then the IP and the user counted in one
   * Redis round trip (a bad token is counted against its IP alone, then refused with 401).
   */
  user(verify: TokenVerifier): RequestHandler;
  /**
   * The same for an operator's route (products, sales, the reconciliation report), in the
   * operator's own window (RATE_LIMIT_OPERATOR_PER_SEC), apart from any shopper's of the same
   * `sub`: a token that is not an operator's counts against its IP alone (401 or 403).
   */
  operator(verify: TokenVerifier): RequestHandler;
  /** Counts an authenticated partner's request: the refusal (429) beyond its limit, else undefined. */
  partner(partnerId: string): Promise<HttpError | undefined>;
};

const WINDOW_MS = 1_000;

/**
 * KEYS the windows' counters, in order; ARGV window ms, then each key's limit. Counts key
 * after key and stops at the first over its limit: returns {its index (1-based), ms left in
 * its window}, or {0, 0} when every key is within its limit.
 */
const consumeLua = `
for i = 1, #KEYS do
  local n = redis.call('INCR', KEYS[i])
  if n == 1 then redis.call('PEXPIRE', KEYS[i], ARGV[1]) end
  if n > tonumber(ARGV[i + 1]) then return {i, redis.call('PTTL', KEYS[i])} end
end
return {0, 0}`;

type Consume = (numKeys: number, ...keysThenArgs: (string | number)[]) => Promise<[number, number]>;

const defined = new WeakSet<Redis>();

type Window = { scope: 'ip' | 'user' | 'operator' | 'partner'; id: string; limit: number };

/** Whose requests a 429 says were too many. */
const whose: Record<Window['scope'], string> = { ip: 'IP address', user: 'user', operator: 'operator', partner: 'partner' };

export function createRateLimits({
  redis,
  topicPrefix,
  userPerSec,
  operatorPerSec,
  ipPerSec,
  partnerPerSec,
}: {
  redis: Redis;
  topicPrefix: string;
  userPerSec: number;
  operatorPerSec: number;
  ipPerSec: number;
  partnerPerSec: number;
}): RateLimits {
  if (!defined.has(redis)) {
    redis.defineCommand('fsRateLimits', { lua: consumeLua });
    defined.add(redis);
  }
  const consume = (redis as unknown as { fsRateLimits: Consume }).fsRateLimits.bind(redis);

  /** Counts the request in each window; the refusal for the first window over its limit, else undefined. */
  async function count(windows: Window[]): Promise<HttpError | undefined> {
    let over: number;
    let msLeft: number;
    try {
      [over, msLeft] = await consume(
        windows.length,
        ...windows.map((w) => `${keyPrefix(topicPrefix)}ratelimit:${w.scope}:${w.id}`),
        WINDOW_MS,
        ...windows.map((w) => w.limit),
      );
    } catch {
      return unavailable('rate limiter unavailable');
    }
    const window = windows[over - 1];
    if (!window) return undefined;
    const retryAfter = String(Math.max(1, Math.ceil(msLeft / 1000)));
    return new HttpError(429, `too many requests from this ${whose[window.scope]}`, undefined, { 'Retry-After': retryAfter });
  }

  const ipWindow = (req: Parameters<RequestHandler>[0]): Window => ({
    scope: 'ip',
    id: req.ip ?? req.socket.remoteAddress ?? 'unknown',
    limit: ipPerSec,
  });

  /** The guard's verdict first; then its IP alone (refused) or its IP and principal (let in) counted. */
  function counting(authenticate: RequestHandler, scope: 'user' | 'operator', limit: number): RequestHandler {
    return (req, res, next) =>
      authenticate(req, res, async (authError?: unknown) => {
        if (authError) {
          next((await count([ipWindow(req)])) ?? authError);
          return;
        }
        next(await count([ipWindow(req), { scope, id: principalOf(res).userId, limit }]));
      });
  }

  return {
    perIp: async (req, _res, next) => next(await count([ipWindow(req)])),
    user: (verify) => counting(requireUser(verify), 'user', userPerSec),
    operator: (verify) => counting(requireOperator(verify), 'operator', operatorPerSec),
    partner: (partnerId) => count([{ scope: 'partner', id: partnerId, limit: partnerPerSec }]),
  };
}
