// A fresh PostgreSQL schema for one test, and a way to hand events to a projection as if a
// consumer had delivered them.
import { loadConfig } from '../../platform/config.js';
import type { Delivered } from '../../platform/kafka/consumerRunner.js';
import { createDb, type Db, ensureSchema } from '../../platform/postgres.js';
import type { FlashsaleEvent } from '../../schemas/events/index.js';
import { freshPrefix } from './realStack.js';

export async function openFreshSchema(label: string, poolSize = 5): Promise<{ db: Db; schema: string; drop(): Promise<void> }> {
  const url = loadConfig().databaseUrl;
  const schema = freshPrefix(label)
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '_');
  const admin = createDb(url);
  await ensureSchema(admin, schema);
  const db = createDb(url, schema, poolSize);
  return {
    db,
    schema,
    async drop() {
      await db.end();
      await admin.query(`drop schema if exists ${schema} cascade`);
      await admin.end();
    },
  };
}

let offset = 0;
export function delivered(events: readonly FlashsaleEvent[], topic = 'test.flashsale.events'): Delivered[] {
  return events.map((event) => ({ event, position: { topic, partition: 0, offset: String(offset++) }, timestamp: event.occurredAt }));
}
