// What every bench driver opens first: a run stamp and the names made from it (topic prefix,
// Postgres schema, a work directory for process logs), the platform over them, a Kafka admin,
// and a SIGINT that stops every child process the driver started.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../platform/config.js';
import { createLogger } from '../platform/log.js';
import { createDb, type Db, ensureSchema } from '../platform/postgres.js';
import { openPlatform } from '../runtime/platform.js';
import { benchStore, type BenchContext } from './context.js';
import { killAll } from './processes.js';

/** `kind` names the run's prefix (`<kind>-<stamp>`), schema and work directory. */
export async function openBenchSession(
  kind: string,
  { layout, profile, scale, started = new Date() }: Pick<BenchContext, 'layout' | 'profile' | 'scale'> & { started?: Date },
): Promise<{ ctx: BenchContext; pg: Db }> {
  const stamp = started.toISOString().replace(/\D/g, '').slice(0, 14);
  const prefix = `${kind}-${stamp}`;
  const schema = `${kind}_${stamp}`;
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), `flashsale-${kind}-${stamp}-`));
  const say = (line: string) => console.log(`▸ ${line}`);
  process.once('SIGINT', () => {
    killAll();
    process.exit(130);
  });
  const config = { ...loadConfig({ ...process.env, TOPIC_PREFIX: prefix }), port: 0, opsPort: 0 };
  const log = createLogger('error', kind);
  const db = createDb(config.databaseUrl, 'public', 2);
  await ensureSchema(db, schema);
  const platform = await openPlatform(config, log, { dbSchema: schema });
  const admin = platform.kafka.admin();
  await admin.connect();
  const ctx: BenchContext = {
    stamp,
    prefix,
    schema,
    config,
    log,
    platform,
    admin,
    store: benchStore(platform),
    workDir,
    layout,
    profile,
    scale,
    say,
  };
  return { ctx, pg: db };
}
