// A redis-server of the test file's own, around its tests (vitest's hooks): apart from
// ownRedis.ts, which the nemesis suite's command (`npm run faults`, outside vitest) imports too.
import { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { type OwnRedis, type RedisPersistence, startOwnRedis } from './ownRedis.js';

/**
 * A redis-server of the test file's own (started before its tests, stopped after them) and a
 * client of it that rides out its restarts (one retry per command, errors swallowed between).
 */
export function useOwnRedis(persistence: RedisPersistence): { readonly server: OwnRedis; readonly client: Redis } {
  let server: OwnRedis | undefined;
  let client: Redis | undefined;
  beforeAll(async () => {
    server = await startOwnRedis({ persistence });
    client = new Redis(server.url, { maxRetriesPerRequest: 1 });
    client.on('error', () => undefined);
  });
  afterAll(async () => {
    client?.disconnect();
    await server?.stop();
  });
  const started = <T>(v: T | undefined): T => {
    if (v === undefined) throw new Error('the own redis-server is not started (used outside a test?)');
    return v;
  };
  return {
    get server() {
      return started(server);
    },
    get client() {
      return started(client);
    },
  };
}
