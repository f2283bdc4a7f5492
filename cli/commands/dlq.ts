// `flashsale dlq list | redrive [--topic <t>] [--json]`: what the dead-letter topic holds, and
// sending it back through the consumer that gave up on it (see platform/kafka/deadLetters.ts).
import type { Command } from 'commander';
import { loadConfig } from '../../platform/config.js';
import { createKafka } from '../../platform/kafka/client.js';
import { type DeadLetter, listDeadLetters, redriveDeadLetters } from '../../platform/kafka/deadLetters.js';
import { createLogger } from '../../platform/log.js';
import { topicName, topics, type TopicName } from '../../schemas/topics.js';

type Options = { topic?: string; json?: boolean };

function topicFilter(topicPrefix: string, topic: string | undefined): (letter: DeadLetter) => boolean {
  if (topic === undefined) return () => true;
  const names: string[] = topics.map((t) => t.name).filter((t) => t !== 'dead-letter');
  if (!names.includes(topic)) throw new Error(`unknown topic "${topic}"; topics are ${names.join(', ')}`);
  const full = topicName(topicPrefix, topic as TopicName);
  return (letter) => letter.origin.topic === full;
}

async function waiting(opts: Options) {
  const config = loadConfig();
  const kafka = createKafka(config, 'flashsale-dlq', createLogger('warn'));
  const letters = (await listDeadLetters(kafka, config.topicPrefix)).filter(topicFilter(config.topicPrefix, opts.topic));
  return { kafka, config, letters };
}

function print(letters: readonly DeadLetter[], json: boolean | undefined): void {
  if (json) {
    const rows = letters.map(({ id, at, reason, origin, consumer }) => ({ id, at: new Date(at).toISOString(), reason, origin, consumer }));
    console.log(JSON.stringify(rows, null, 2));
    return;
  }
  console.log(`${letters.length} dead letter(s) waiting`);
  for (const l of letters) {
    const origin = `${l.origin.topic}[${l.origin.partition}]@${l.origin.offset}`;
    console.log(`${l.id.padEnd(10)} ${new Date(l.at).toISOString()}  ${origin.padEnd(40)} ${l.consumer.padEnd(40)} ${l.reason}`);
  }
}

export function registerDlqCommand(program: Command): void {
  const dlq = program.command('dlq').description('the dead-letter topic: what waits there, and sending it back through its consumer');
  dlq
    .command('list')
    .description('the dead letters not yet redriven: where each came from, which consumer gave up, and why')
    .option('--topic <topic>', 'only those from this topic (a catalog name, e.g. partner-events)')
    .option('--json', 'print JSON instead of a table')
    .action(async (opts: Options) => {
      print((await waiting(opts)).letters, opts.json);
    });
  dlq
    .command('redrive')
    .description('put each waiting dead letter back on its topic for the consumer that dead-lettered it, and mark it done')
    .option('--topic <topic>', 'only those from this topic (a catalog name, e.g. partner-events)')
    .action(async (opts: Options) => {
      const { kafka, config, letters } = await waiting(opts);
      const n = await redriveDeadLetters(kafka, config.topicPrefix, letters);
      console.log(`redrove ${n} dead letter(s)`);
    });
}
