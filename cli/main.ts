// The `flashsale` command line: one entry, one file per command group under commands/.
import { Command, CommanderError } from 'commander';
import { registerAuditCommand } from './commands/audit.js';
import { registerDemoCommand } from './commands/demo.js';
import { registerDlqCommand } from './commands/dlq.js';
import { registerReconcileCommand } from './commands/reconcile.js';
import { registerReplayCommand } from './commands/replay.js';
import { registerStackCommands } from './commands/stack.js';
import { registerStartCommand } from './commands/start.js';
import { registerTokenCommand } from './commands/token.js';
import { registerTopicsCommand } from './commands/topics.js';

// A reader that stops early (`| head`) is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
});

const program = new Command('flashsale').description('event-sourced flash sales on Apache Kafka').showHelpAfterError().exitOverride();

registerStackCommands(program);
registerStartCommand(program);
registerTopicsCommand(program);
registerTokenCommand(program);
registerAuditCommand(program);
registerReplayCommand(program);
registerReconcileCommand(program);
registerDemoCommand(program);
registerDlqCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    process.exitCode = err.exitCode;
  } else {
    // Every command fails with a one-line reason, never a stack trace.
    console.error(`flashsale: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  }
}
