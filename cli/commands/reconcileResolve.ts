// `flashsale reconcile resolve <mismatchId> --action refund|accept|write_off [--note <text>]`:
// resolves a mismatch as the operators' route does (producers/reconciliation/resolveMismatch.ts),
// as `cli:<user>` (the login of whoever runs it), and prints the mismatch as it now stands.
import os from 'node:os';
import { type Command, InvalidArgumentError } from 'commander';
import { RESOLUTION_ACTIONS, type ResolutionAction } from '../../domain/reconciliation/resolution.js';
import { loadConfig } from '../../platform/config.js';
import { createKafka } from '../../platform/kafka/client.js';
import { createEventPublisher } from '../../platform/kafka/publisher.js';
import { createLogger } from '../../platform/log.js';
import { createDb } from '../../platform/postgres.js';
import { createRedis } from '../../platform/redis.js';
import { createEventCodec, createSchemaRegistry } from '../../platform/registry/codec.js';
import { createMismatchResolver } from '../../producers/reconciliation/resolveMismatch.js';
import { createLateAcceptance } from '../../writeModel/lateAcceptance.js';

const NOTE_MAX = 1000;

function action(value: string): ResolutionAction {
  if (!(RESOLUTION_ACTIONS as readonly string[]).includes(value)) throw new InvalidArgumentError(`one of ${RESOLUTION_ACTIONS.join(', ')}`);
  return value as ResolutionAction;
}

function note(value: string): string {
  if (value.length > NOTE_MAX) throw new InvalidArgumentError(`at most ${NOTE_MAX} characters`);
  return value;
}

export function registerResolveCommand(reconcile: Command): void {
  reconcile
    .command('resolve <mismatchId>')
    .description('resolve a mismatch: refund (through the partner), accept (a late payer gets a unit if one is free) or write_off')
    .requiredOption('--action <action>', RESOLUTION_ACTIONS.join(' | '), action)
    .option('--note <text>', 'why, for the audit trail', note)
    .action(async (mismatchId: string, opts: { action: ResolutionAction; note?: string }) => {
      const config = loadConfig();
      const log = createLogger('silent');
      // `reconcile --schema` (commander reads the parent's options after the subcommand too).
      const db = createDb(config.databaseUrl, reconcile.opts<{ schema: string }>().schema, 2);
      const redis = createRedis(config.redisUrl);
      const kafka = createKafka(config, 'flashsale-reconcile-resolve', log);
      const codec = createEventCodec({ registry: createSchemaRegistry(config), topicPrefix: config.topicPrefix });
      const publisher = await createEventPublisher({ kafka, codec, topicPrefix: config.topicPrefix });
      const lateAcceptance = createLateAcceptance({ redis, publisher, topicPrefix: config.topicPrefix });
      try {
        const resolve = createMismatchResolver({
          db,
          redis,
          publisher,
          topicPrefix: config.topicPrefix,
          takeUnit: (a, options) => lateAcceptance.accept(a, options),
        });
        const outcome = await resolve(mismatchId, {
          action: opts.action,
          note: opts.note?.trim() || null,
          by: `cli:${os.userInfo().username}`,
        });
        if (!outcome.ok) throw new Error(`${outcome.refusal.message} (${outcome.refusal.code})`);
        console.log(JSON.stringify(outcome.mismatch, null, 2));
      } finally {
        await publisher.disconnect();
        await lateAcceptance.close();
        redis.disconnect();
        await db.end();
      }
    });
}
