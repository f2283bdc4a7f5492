// Marks a test's store complete by hand, as a finished rebuild would: the ready marker under
// an epoch, and the Redis server run it was completed under (see storeComplete in the Lua).
import type { Redis } from 'ioredis';
import { inventoryKeys } from '../../writeModel/keys.js';

export async function markStoreReady(redis: Redis, topicPrefix: string, epoch: string): Promise<void> {
  const keys = inventoryKeys(topicPrefix);
  const run = /run_id:(\w+)/.exec(await redis.info('server'))?.[1];
  if (!run) throw new Error('the Redis server did not say its run_id');
  await redis.mset(keys.ready, epoch, keys.readyRun, run);
}
