// `flashsale stack up [--brokers 1|3] | down | status`
import { type Command, InvalidArgumentError } from 'commander';
import type { BrokerCount } from '../../stack/kafka.js';
import { stackBrokers, stackDown, stackStatus, stackUp } from '../../stack/stack.js';

function brokerCount(value: string): BrokerCount {
  if (value === '1') return 1;
  if (value === '3') return 3;
  throw new InvalidArgumentError('the stack runs 1 or 3 brokers');
}

export function registerStackCommands(program: Command): void {
  const stack = program.command('stack').description('the local Kafka, schema registry, Redis and PostgreSQL');
  stack
    .command('up')
    .description('start what is not running and wait until every part answers (idempotent)')
    .option(
      '--brokers <n>',
      'Kafka as 1 node (9092) or a 3-node cluster (9092, 9094, 9096; replication 3, min.insync.replicas 2); default: the mode already up, else 1',
      brokerCount,
    )
    .action(async (opts: { brokers?: BrokerCount }) => {
      const started = Date.now();
      const brokers = await stackUp((line) => console.log(line), opts.brokers === undefined ? {} : { brokers: opts.brokers });
      printStatus(await stackStatus());
      console.log(`stack up in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      if (brokers !== 1) console.log(`KAFKA_BROKERS=${stackBrokers(brokers)}`);
    });
  stack
    .command('down')
    .description('stop what `stack up` started')
    .action(async () => {
      await stackDown((line) => console.log(line));
    });
  stack
    .command('status')
    .description('each part, its address and whether it answers; exits 1 unless all are healthy')
    .option('--quiet', 'print nothing, only set the exit code')
    .action(async (opts: { quiet?: boolean }) => {
      const parts = await stackStatus();
      if (!opts.quiet) printStatus(parts);
      if (parts.some((p) => !p.healthy)) process.exitCode = 1;
    });
}

function printStatus(parts: Awaited<ReturnType<typeof stackStatus>>): void {
  for (const p of parts) {
    const state = p.healthy ? 'healthy' : 'DOWN';
    const facts = [p.pid === undefined ? '' : `pid ${p.pid}`, p.note ?? ''].filter(Boolean).join(', ');
    const extras = [facts, p.startedByUs ? '(started by flashsale)' : ''].filter(Boolean).join(' ');
    console.log(`${p.part.padEnd(9)} ${state.padEnd(8)} ${p.address}${extras ? `  ${extras}` : ''}`);
  }
}
