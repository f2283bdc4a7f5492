// Drops what test runs left on the shared stack: their topics (and with them their partitions'
// files on the broker), their PostgreSQL schemas and their Redis keys, chosen by the run that
// made each name (testRun.ts). Tests clean their Redis keys themselves; topics and schemas
// outlive the test, since a test system's consumers hold them until it stops.
import { Redis } from 'ioredis';
import { loadConfig } from '../../platform/config.js';
import { createKafka } from '../../platform/kafka/client.js';
import { createLogger } from '../../platform/log.js';
import { createDb } from '../../platform/postgres.js';
import { runOf } from './testRun.js';

export type RunFilter = (run: { run: string; startedAt: number }) => boolean;

export type Dropped = { topics: number; schemas: number; keys: number };

/** Deleted a batch at a time: one request for thousands of topics outlasts the admin's timeout. */
const TOPICS_PER_REQUEST = 200;

type NameFilter = (name: string) => boolean;

const ofRuns =
  (filter: RunFilter): NameFilter =>
  (name) => {
    const run = runOf(name);
    return run !== undefined && filter(run);
  };

async function dropTopics(chosen: NameFilter): Promise<number> {
  const config = loadConfig();
  const admin = createKafka(config, 'test-leftovers', createLogger('error')).admin();
  await admin.connect();
  try {
    const names = (await admin.listTopics()).filter(chosen);
    for (let i = 0; i < names.length; i += TOPICS_PER_REQUEST)
      await admin.deleteTopics({ topics: names.slice(i, i + TOPICS_PER_REQUEST), timeout: 60_000 });
    return names.length;
  } finally {
    await admin.disconnect();
  }
}

async function dropSchemas(chosen: NameFilter): Promise<number> {
  const db = createDb(loadConfig().databaseUrl);
  try {
    const { rows } = await db.query<{ name: string }>(`select schema_name as name from information_schema.schemata`);
    const names = rows.map((r) => r.name).filter(chosen);
    // A connection a test leaked could hold a lock on a schema: that schema is left for a later sweep.
    await db.query(`set lock_timeout = '5s'`);
    let dropped = 0;
    for (const name of names) {
      // Both filters admit only [0-9a-z_] schema names: safe to quote as is.
      const done = await db.query(`drop schema if exists "${name}" cascade`).then(
        () => true,
        () => false,
      );
      if (done) dropped += 1;
    }
    return dropped;
  } finally {
    await db.end();
  }
}

async function dropKeys(chosen: NameFilter): Promise<number> {
  const redis = new Redis(loadConfig().redisUrl);
  let dropped = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', 't*', 'COUNT', 5000);
      cursor = next;
      const ours = keys.filter(chosen);
      if (ours.length > 0) dropped += await redis.unlink(...ours);
    } while (cursor !== '0');
    return dropped;
  } finally {
    redis.disconnect();
  }
}

/** Drops the topics, schemas and keys of the runs the filter chooses. */
export async function dropTestLeftovers(filter: RunFilter): Promise<Dropped> {
  const chosen = ofRuns(filter);
  const [topics, schemas, keys] = await Promise.all([dropTopics(chosen), dropSchemas(chosen), dropKeys(chosen)]);
  return { topics, schemas, keys };
}

/**
 * Drops the topics of one topic prefix, and one schema with those named after it (the demo's
 * replay check writes `<schema>_replay`), for a command that names its own (the demo's
 * `demo-<time>`, which it keeps for an analyst's replay; a test of it must not).
 */
export async function dropPrefixLeftovers(prefix: string, schema: string): Promise<Omit<Dropped, 'keys'>> {
  if (!/^[a-z0-9_]+$/.test(schema)) throw new Error(`not a schema name: ${schema}`);
  const [topics, schemas] = await Promise.all([
    dropTopics((t) => t.startsWith(`${prefix}.`)),
    dropSchemas((s) => s === schema || s.startsWith(`${schema}_`)),
  ]);
  return { topics, schemas };
}
