// `flashsale topics`: the topic catalog, each topic, its key, its events and their schemas.
import type { Command } from 'commander';
import { loadConfig } from '../../platform/config.js';
import { eventSchemas } from '../../schemas/events/index.js';
import { subjectOf, topicName, topics } from '../../schemas/topics.js';

export function registerTopicsCommand(program: Command): void {
  program
    .command('topics')
    .description('print the topic catalog: topics, keys, event types and their schemas')
    .option('--json', 'the catalog as JSON, with full schemas')
    .action((opts: { json?: boolean }) => {
      const prefix = loadConfig().topicPrefix;
      if (opts.json) {
        const catalog = topics.map((t) => ({
          ...t,
          topic: topicName(prefix, t.name),
          events: t.events.map((e) => ({ type: e, subject: subjectOf(topicName(prefix, t.name), e), schema: eventSchemas[e] })),
        }));
        console.log(JSON.stringify(catalog, null, 2));
        return;
      }
      for (const t of topics) {
        const retention = t.retentionMs === -1 ? 'kept forever' : `${t.retentionMs} ms`;
        console.log(`${topicName(prefix, t.name)}`);
        console.log(`  key: ${t.key}   partitions: ${t.partitions}   retention: ${retention}   cleanup: ${t.cleanupPolicy}`);
        console.log(`  why: ${t.why}`);
        for (const e of t.events) {
          const fields = eventSchemas[e].fields.map((f) => f.name).join(', ');
          console.log(`  - ${e}  (subject ${subjectOf(topicName(prefix, t.name), e)})`);
          console.log(`      ${fields}`);
        }
        console.log('');
      }
    });
}
