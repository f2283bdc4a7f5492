// Redis, the flash-sale store. Every key starts with the deployment's prefix so tests and
// tenants sharing one server never see each other's sales.
import { Redis } from 'ioredis';

export type { Redis };

export function createRedis(redisUrl: string): Redis {
  return new Redis(redisUrl, { maxRetriesPerRequest: 3, enableAutoPipelining: true });
}

export function keyPrefix(topicPrefix: string): string {
  return `${topicPrefix || 'flashsale'}:`;
}
