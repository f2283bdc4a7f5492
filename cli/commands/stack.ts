// `flashsale stack up | down | status`
import type { Command } from 'commander';
import { stackDown, stackStatus, stackUp } from '../../stack/stack.js';

export function registerStackCommands(program: Command): void {
  const stack = program.command('stack').description('the local Kafka, schema registry, Redis and PostgreSQL');
  stack
    .command('up')
    .description('start what is not running and wait until every part answers (idempotent)')
    .action(async () => {
      const started = Date.now();
      await stackUp((line) => console.log(line));
      printStatus(await stackStatus());
      console.log(`stack up in ${((Date.now() - started) / 1000).toFixed(1)} s`);
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
    console.log(`${p.part.padEnd(9)} ${state.padEnd(8)} ${p.address}${p.startedByUs ? '  (started by flashsale)' : ''}`);
  }
}
