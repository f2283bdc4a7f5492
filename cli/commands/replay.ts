// `flashsale replay [--from <time|beginning>] [--to <time>] --into <schema> [--live <schema>]`
import { type Command, InvalidArgumentError } from 'commander';
import { loadConfig } from '../../platform/config.js';
import { createKafka } from '../../platform/kafka/client.js';
import { createLogger } from '../../platform/log.js';
import { createEventCodec, createSchemaRegistry } from '../../platform/registry/codec.js';
import { replayableProjections } from '../../projections/catalog.js';
import { replayProjections } from '../../runtime/replay/replayProjections.js';
import { createProgress } from '../progress.js';

function time(value: string): number | undefined {
  if (value === 'beginning') return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new InvalidArgumentError('an ISO-8601 time (or "beginning")');
  return ms;
}

function schemaName(value: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(value)) throw new InvalidArgumentError('lowercase letters, digits and _ only, not starting with a digit');
  return value;
}

export function registerReplayCommand(program: Command): void {
  program
    .command('replay')
    .description('rebuild every projection from the topics into a fresh schema, then compare it with the live one')
    .requiredOption('--into <schema>', 'the fresh Postgres schema to rebuild into', schemaName)
    .option('--from <time|beginning>', 'replay events at or after this time', time)
    .option('--to <time>', 'replay events before this time', time)
    .option('--live <schema>', 'the live schema to compare with', schemaName, 'public')
    .action(async (opts: { into: string; from?: number; to?: number; live: string }) => {
      if (opts.from !== undefined && opts.to !== undefined && opts.to <= opts.from) throw new Error('--to must be later than --from');
      const config = loadConfig();
      const log = createLogger('warn');
      const progress = createProgress('replaying');
      const result = await replayProjections({
        kafka: createKafka(config, 'flashsale-replay', log),
        codec: createEventCodec({ registry: createSchemaRegistry(config), topicPrefix: config.topicPrefix }),
        databaseUrl: config.databaseUrl,
        topicPrefix: config.topicPrefix,
        liveSchema: opts.live,
        intoSchema: opts.into,
        projections: replayableProjections(config),
        window: { from: opts.from, to: opts.to },
        onRanges: (total) => progress.start(total),
        onProgress: (n) => progress.increment(n),
      });
      progress.stop();
      console.log(
        `replayed ${result.events} events into ${opts.into}${result.skipped ? ` (${result.skipped} undecodable skipped, as live)` : ''}`,
      );
      if (result.liveBehind.length)
        throw new Error(`the live projections have not caught up (${result.liveBehind.join(', ')}); cannot compare yet`);
      if (result.differences.length === 0) {
        console.log('equal');
        return;
      }
      for (const d of result.differences) {
        console.log(`${d.table}: ${d.onlyInLive.length} rows only in ${opts.live}, ${d.onlyInReplay.length} only in ${opts.into}`);
        for (const row of d.onlyInLive) console.log(`  - ${opts.live}: ${JSON.stringify(row)}`);
        for (const row of d.onlyInReplay) console.log(`  + ${opts.into}: ${JSON.stringify(row)}`);
      }
      process.exitCode = 1;
    });
}
