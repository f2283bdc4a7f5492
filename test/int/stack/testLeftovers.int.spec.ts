// A test run's teardown drops its own topics, schemas and keys from the shared stack, and
// nothing of another run's (testLeftovers.ts): the broker must not keep every test system's
// partitions, yet a run must never delete the topics of a run going on beside it.
import crypto from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../platform/config.js';
import { createKafka } from '../../../platform/kafka/client.js';
import { waitForLeaders } from '../../../platform/kafka/topics.js';
import { createLogger } from '../../../platform/log.js';
import { createDb, ensureSchema } from '../../../platform/postgres.js';
import { dropTestLeftovers } from '../../support/testLeftovers.js';
import { runOf } from '../../support/testRun.js';

const config = loadConfig();
// Two made-up runs that started a moment ago: neither this run's own teardown nor any run's
// sweep of stale runs chooses them.
const someRun = () => (Date.now() - 60_000 - crypto.randomInt(1_000_000)).toString(36);
const [mine, theirs] = [someRun(), someRun()];
const names = (run: string) => {
  const prefix = `t${run}-leftovers-${crypto.randomBytes(3).toString('hex')}`;
  return { topic: `${prefix}.flashsale.claims`, schema: prefix.replace(/[^a-z0-9]/g, '_'), key: `${prefix}:inv2:ready` };
};
const left = { mine: names(mine), theirs: names(theirs) };

const admin = createKafka(config, 'test-leftovers-spec', createLogger('error')).admin();
const db = createDb(config.databaseUrl);
const redis = new Redis(config.redisUrl);

async function leave(n: ReturnType<typeof names>): Promise<void> {
  await admin.createTopics({ topics: [{ topic: n.topic, numPartitions: 2 }], waitForLeaders: false });
  await ensureSchema(db, n.schema);
  await redis.set(n.key, '1');
}

async function present(n: ReturnType<typeof names>) {
  const topics = new Set(await admin.listTopics());
  const { rowCount } = await db.query('select 1 from information_schema.schemata where schema_name = $1', [n.schema]);
  return { topic: topics.has(n.topic), schema: rowCount === 1, key: (await redis.exists(n.key)) === 1 };
}

afterAll(async () => {
  await dropTestLeftovers((r) => r.run === theirs || r.run === mine).catch(() => undefined);
  await admin.disconnect();
  await db.end();
  redis.disconnect();
});

describe('test leftovers', () => {
  it('knows a test name by its run', () => {
    expect(runOf(left.mine.topic)).toEqual({ run: mine, startedAt: parseInt(mine, 36) });
    expect(runOf(left.mine.schema)?.run).toBe(mine);
    expect(runOf('bench-20261208.flashsale.claims')).toBeUndefined();
    expect(runOf('flashsale.claims')).toBeUndefined();
  });

  it("drops one run's topics, schemas and keys, and leaves another run's", async () => {
    await admin.connect();
    await leave(left.mine);
    await leave(left.theirs);
    await waitForLeaders(admin, [left.mine.topic, left.theirs.topic]);
    expect(await present(left.mine)).toEqual({ topic: true, schema: true, key: true });

    const dropped = await dropTestLeftovers((r) => r.run === mine);
    expect(dropped).toEqual({ topics: 1, schemas: 1, keys: 1 });
    expect(await present(left.mine)).toEqual({ topic: false, schema: false, key: false });
    expect(await present(left.theirs)).toEqual({ topic: true, schema: true, key: true });
  });
});
