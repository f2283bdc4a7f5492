// Redis, the flash-sale store. Every key starts with the deployment's prefix so tests and
// tenants sharing one server never see each other's sales.
import { Redis } from 'ioredis';

export type { Redis };

/**
 * Fails fast while Redis is away, so a request answers 503 instead of hanging: a command
 * issued while disconnected waits in the offline queue for at most 3 reconnection attempts,
 * which come at most 500 ms apart (ioredis's default backoff grows to 2 s, so a request
 * waited up to 8 s), each connect attempt gives up after 2 s, and a command the server does
 * not answer is rejected after 5 s. No command of ours blocks on the server
 * (pub/sub waits for messages, not for a reply), and the longest script works in chunks.
 */
const REDIS_OPTIONS = {
  maxRetriesPerRequest: 3,
  retryStrategy: (attempt: number) => Math.min(attempt * 50, 500),
  connectTimeout: 2_000,
  commandTimeout: 5_000,
  enableOfflineQueue: true,
  enableAutoPipelining: true,
};

export function createRedis(redisUrl: string): Redis {
  return new Redis(redisUrl, REDIS_OPTIONS);
}

export function keyPrefix(topicPrefix: string): string {
  return `${topicPrefix || 'flashsale'}:`;
}
