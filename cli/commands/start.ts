// `flashsale start [--roles api,claims,projections,reconciliation,expiry] [--api-workers N]`
import cluster from 'node:cluster';
import { type Command, InvalidArgumentError } from 'commander';
import { API_WORKERS_MAX, loadConfig } from '../../platform/config.js';
import { createLogger, type Logger } from '../../platform/log.js';
import { apiWorkersToFork, parseApiWorkers } from '../../runtime/apiWorkers/policy.js';
import { startWithApiWorkers } from '../../runtime/apiWorkers/primary.js';
import { runApiWorker } from '../../runtime/apiWorkers/worker.js';
import { openPlatform } from '../../runtime/platform.js';
import { parseRoles, ROLES, startSystem } from '../../runtime/system.js';

function apiWorkersOption(value: string): number {
  const parsed = parseApiWorkers(value);
  if (!parsed.ok) throw new InvalidArgumentError(parsed.message);
  return parsed.count;
}

function untilSignal(log: Logger): Promise<void> {
  return new Promise<void>((resolve) => {
    const shutdown = (signal: string) => {
      log.info({ signal }, 'shutting down: finishing the batch in hand');
      resolve();
    };
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    process.once('SIGINT', () => shutdown('SIGINT'));
  });
}

export function registerStartCommand(program: Command): void {
  program
    .command('start')
    .description('run the system: every role in this process, or only those listed')
    .option('--roles <list>', `comma-separated roles: ${ROLES.join(',')}`, ROLES.join(','))
    .option(
      '--api-workers <n>',
      `processes serving the api role on PORT (node:cluster), 1 to ${API_WORKERS_MAX}; default API_WORKERS, else 1`,
      apiWorkersOption,
    )
    .action(async (opts: { roles: string; apiWorkers?: number }) => {
      const roles = parseRoles(opts.roles);
      const config = loadConfig();
      // A forked api worker runs this same command line (see runtime/apiWorkers/pool.ts).
      if (cluster.isWorker) return runApiWorker(config);
      const workers = apiWorkersToFork(roles, { flag: opts.apiWorkers, configured: config.apiWorkers });
      const log = createLogger(config.logLevel);
      const platform = await openPlatform(config, log);
      if (workers === 0) {
        const system = await startSystem(platform, roles).catch(async (err: unknown) => {
          await platform.close();
          throw err;
        });
        await untilSignal(log);
        await system.stop();
      } else {
        const system = await startWithApiWorkers(platform, roles, workers);
        const gaveUp = await Promise.race([untilSignal(log), system.gaveUp]);
        const clean = await system.stop();
        if (gaveUp !== undefined || !clean) process.exitCode = 1;
      }
      log.info('stopped');
    });
}
