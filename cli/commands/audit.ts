// `flashsale audit transaction <id> [--json]`: every event of one transaction, across all
// topics, in order, with where it sits in the log.
import type { Command } from 'commander';
import { transactionTrail, type Located } from '../../domain/audit/transactionTrail.js';
import { loadConfig } from '../../platform/config.js';
import { createKafka } from '../../platform/kafka/client.js';
import { readTopicRange } from '../../platform/kafka/topicReader.js';
import { createLogger } from '../../platform/log.js';
import { createEventCodec, createSchemaRegistry } from '../../platform/registry/codec.js';
import { topics } from '../../schemas/topics.js';
import { createProgress } from '../progress.js';

export function registerAuditCommand(program: Command): void {
  const audit = program.command('audit').description('trace what happened, from the topics');
  audit
    .command('transaction <transactionId>')
    .description('every event of one transaction across all topics, in order')
    .option('--json', 'print JSON instead of a table')
    .action(async (transactionId: string, opts: { json?: boolean }) => {
      const config = loadConfig();
      const log = createLogger('warn');
      const kafka = createKafka(config, 'flashsale-audit', log);
      const codec = createEventCodec({ registry: createSchemaRegistry(config), topicPrefix: config.topicPrefix });
      const progress = createProgress('reading topics');
      const located: Located[] = [];
      await readTopicRange({
        kafka,
        codec,
        topicPrefix: config.topicPrefix,
        topics: topics.map((t) => t.name).filter((t) => t !== 'dead-letter'),
        onRanges: (ranges) => progress.start(ranges.reduce((n, r) => n + r.end - r.start, 0)),
        onBatch: (batch) => {
          progress.increment(batch.length);
          for (const d of batch) located.push({ event: d.event, ...d.position });
        },
      });
      progress.stop();
      const trail = transactionTrail(located, transactionId);
      if (trail.length === 0) throw new Error(`no event names transaction ${transactionId}`);
      if (opts.json) {
        console.log(JSON.stringify(trail, null, 2));
        return;
      }
      console.log(`transaction ${transactionId}: ${trail.length} events`);
      for (const e of trail) {
        console.log(`${e.at}  ${e.type.padEnd(22)} ${`${e.topic}[${e.partition}]@${e.offset}`.padEnd(40)} ${e.summary}`);
      }
    });
}
