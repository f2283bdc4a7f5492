// `flashsale start [--roles api,claims,projections,reconciliation,expiry]`
import type { Command } from 'commander';
import { loadConfig } from '../../platform/config.js';
import { createLogger } from '../../platform/log.js';
import { openPlatform } from '../../runtime/platform.js';
import { parseRoles, ROLES, startSystem } from '../../runtime/system.js';

export function registerStartCommand(program: Command): void {
  program
    .command('start')
    .description('run the system: every role in this process, or only those listed')
    .option('--roles <list>', `comma-separated roles: ${ROLES.join(',')}`, ROLES.join(','))
    .action(async (opts: { roles: string }) => {
      const roles = parseRoles(opts.roles);
      const config = loadConfig();
      const log = createLogger(config.logLevel);
      const system = await startSystem(await openPlatform(config, log), roles);
      await new Promise<void>((resolve) => {
        const shutdown = (signal: string) => {
          log.info({ signal }, 'shutting down: finishing the batch in hand');
          resolve();
        };
        process.once('SIGTERM', () => shutdown('SIGTERM'));
        process.once('SIGINT', () => shutdown('SIGINT'));
      });
      await system.stop();
      log.info('stopped');
    });
}
