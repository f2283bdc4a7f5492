// Marks a test's store complete by hand, as a finished rebuild would: the ready marker under
// an epoch, and the Redis server run (run_id:master_replid) it was completed under (see
// storeComplete in the Lua).
import type { Redis } from 'ioredis';
import { inventoryKeys } from '../../writeModel/keys.js';

export async function markStoreReady(redis: Redis, topicPrefix: string, epoch: string): Promise<void> {
  const keys = inventoryKeys(topicPrefix);
  const run = /run_id:(\w+)/.exec(await redis.info('server'))?.[1];
  const replication = /master_replid:(\w+)/.exec(await redis.info('replication'))?.[1];
  if (!run || !replication) throw new Error('the Redis server did not say its run_id and master_replid');
  await redis.mset(keys.ready, epoch, keys.readyRun, `${run}:${replication}`);
}
