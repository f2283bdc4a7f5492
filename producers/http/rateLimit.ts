// Anti-abuse: fixed one-second windows per client IP (before authentication, so a flood of
// bad tokens is cheap to refuse) and per storefront user, counted in Redis with
// rate-limiter-flexible so every api process shares the same counts. Beyond the limit: 429
// with Retry-After.
import type { RequestHandler } from 'express';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { keyPrefix, type Redis } from '../../platform/redis.js';
import { principalOf } from './authMiddleware.js';
import { HttpError, unavailable } from './errors.js';

export type RateLimits = {
  /** Counts the request against its client IP. */
  perIp: RequestHandler;
  /** Counts the request against its user; mount after requireUser. */
  perUser: RequestHandler;
};

export function createRateLimits({
  redis,
  topicPrefix,
  userPerSec,
  ipPerSec,
}: {
  redis: Redis;
  topicPrefix: string;
  userPerSec: number;
  ipPerSec: number;
}): RateLimits {
  const limiter = (scope: string, points: number) =>
    new RateLimiterRedis({ storeClient: redis, keyPrefix: `${keyPrefix(topicPrefix)}ratelimit:${scope}`, points, duration: 1 });
  const byIp = limiter('ip', ipPerSec);
  const byUser = limiter('user', userPerSec);

  const guard =
    (rl: RateLimiterRedis, scope: string, keyOf: (...args: Parameters<RequestHandler>) => string): RequestHandler =>
    async (req, res, next) => {
      try {
        await rl.consume(keyOf(req, res, next));
        next();
      } catch (err) {
        if (err instanceof RateLimiterRes) {
          const retryAfter = String(Math.max(1, Math.ceil(err.msBeforeNext / 1000)));
          next(new HttpError(429, `too many requests from this ${scope}`, undefined, { 'Retry-After': retryAfter }));
          return;
        }
        next(unavailable('rate limiter unavailable'));
      }
    };

  return {
    perIp: guard(byIp, 'IP address', (req) => req.ip ?? req.socket.remoteAddress ?? 'unknown'),
    perUser: guard(byUser, 'user', (_req, res) => principalOf(res).userId),
  };
}
