// Stores of a test file's own on the shared Redis: each under a fresh key prefix, marked
// complete by hand under the file's epoch (no rebuild runs there), and every one of them
// cleaned when the file's tests are done.
import crypto from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { loadConfig } from '../../platform/config.js';
import { createInventoryScripts } from '../../writeModel/inventoryScripts.js';
import { inventoryKeys } from '../../writeModel/keys.js';
import { cleanPrefix } from './redisPrefix.js';
import { markStoreReady } from './storeReady.js';

export function useScratchStores(label: string, epoch: string) {
  let redis: Redis | undefined;
  const prefixes: string[] = [];
  beforeAll(() => {
    redis = new Redis(loadConfig().redisUrl);
  });
  afterAll(async () => {
    for (const p of prefixes) if (redis) await cleanPrefix(redis, inventoryKeys(p).prefix);
    redis?.disconnect();
  });
  const client = (): Redis => {
    if (!redis) throw new Error('the scratch stores are not open (used outside a test?)');
    return redis;
  };
  return {
    get redis(): Redis {
      return client();
    },
    /** A fresh, complete, empty store: its prefix, scripts and keys. */
    async fresh() {
      const topicPrefix = `${label}-${crypto.randomBytes(4).toString('hex')}`;
      prefixes.push(topicPrefix);
      await markStoreReady(client(), topicPrefix, epoch);
      return { topicPrefix, scripts: createInventoryScripts(client(), topicPrefix), keys: inventoryKeys(topicPrefix) };
    },
  };
}
