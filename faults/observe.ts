// What the checker of a run is given, read once the run's system is quiet: the sales topic, the
// read models, a replay of the topics into a fresh schema compared with the live one. Part of run.ts.
import fs from 'node:fs';
import path from 'node:path';
import { replayableProjections } from '../projections/catalog.js';
import type { Platform } from '../runtime/platform.js';
import { replayProjections } from '../runtime/replay/replayProjections.js';
import { deadLetterCount, readClaimedTransactions, readSalesTopic } from '../test/support/faults/checkers.js';
import type { Observed } from './checker.js';
import type { Environment } from './environment.js';
import type { History } from './history.js';
import { waitForQuiet } from './quiescence.js';

/** Planted flags take the grace period (event time) to be raised: wait for them, within a bound. */
const FLAGS_TIMEOUT_MS = 45_000;

/** Until every planted mismatch is flagged and every role runs again, or the bound: the checker judges what is there then. */
async function waitForPlantedFlags(db: Platform['db'], history: History, roles: { allRunning(): boolean }): Promise<void> {
  const planted = history.entries.flatMap((h) => (h.type === 'planted' ? [`${h.kind} ${h.transactionId}`] : []));
  const deadline = Date.now() + FLAGS_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const rows = await db
      .query<{ k: string }>("select kind || ' ' || transaction_id as k from reconciliation_mismatches")
      .catch(() => ({ rows: [] as { k: string }[] }));
    const flagged = new Set(rows.rows.map((r) => r.k));
    if (roles.allRunning() && planted.every((p) => flagged.has(p))) return;
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Waits for quiet, then reads what the checker needs: the sales topic, the read models, a replay. */
export async function observe({
  platform,
  history,
  roles,
  schema,
  saleId,
  stock,
  env,
  historyDir,
}: {
  platform: Platform;
  history: History;
  roles: { allRunning(): boolean };
  schema: string;
  saleId: string;
  stock: number;
  env: Pick<Environment, 'postgres'>;
  /** The run's folder: a replay that differs writes its differences whole there (the verdict keeps their first 500 characters). */
  historyDir?: string | undefined;
}): Promise<Observed> {
  const prefix = platform.config.topicPrefix;
  const db = platform.db;
  await waitForPlantedFlags(db, history, roles);
  await waitForQuiet(platform.kafka, prefix);
  const slice = { kafka: platform.kafka, codec: platform.codec, topicPrefix: prefix };
  const [salesEvents, claimsOnTopic, transactions, partnerEvents, mismatches, deadLetters] = await Promise.all([
    readSalesTopic(slice),
    readClaimedTransactions(slice, saleId),
    db.query<Observed['transactions'][number]>('select transaction_id, status, payments, refunds from transactions'),
    db.query<Observed['partnerEvents'][number]>('select partner_event_id, transaction_id, kind from reconciliation_partner_events'),
    db.query<Observed['mismatches'][number]>('select kind, transaction_id from reconciliation_mismatches'),
    deadLetterCount(platform.kafka, prefix),
  ]);
  const replay = await replayProjections({
    kafka: platform.kafka,
    codec: platform.codec,
    databaseUrl: env.postgres.databaseUrl,
    topicPrefix: prefix,
    liveSchema: schema,
    intoSchema: `${schema}_replay`,
    projections: replayableProjections(platform.config),
    window: {},
    catchUpTimeoutMs: 30_000,
  });
  const equal = replay.differences.length === 0 && replay.liveBehind.length === 0;
  if (!equal && historyDir) fs.writeFileSync(path.join(historyDir, 'replay-differences.json'), JSON.stringify(replay, null, 2));
  return {
    saleId,
    stock,
    history: history.entries,
    salesEvents,
    claimsOnTopic,
    transactions: transactions.rows,
    partnerEvents: partnerEvents.rows,
    mismatches: mismatches.rows,
    replay: { equal, detail: equal ? '' : JSON.stringify([...replay.differences, ...replay.liveBehind]).slice(0, 500) },
    deadLetters,
  };
}
