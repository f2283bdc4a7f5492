// One api worker of `flashsale start --api-workers N`: the api role alone, on the PORT the
// workers share, with clients of its own. It tells the primary once it listens, answers the
// primary's requests for its metrics (the primary serves them, summed, on the operations
// port), and on SIGTERM or SIGINT finishes the requests in hand and exits 0, as a single
// process does. Whatever the api keeps between requests lives in Redis (rate limits, webhook
// dedupe, entries, decisions over pub/sub), so N workers behave as N api processes would.
import cluster from 'node:cluster';
import type { Config } from '../../platform/config.js';
import { createLogger } from '../../platform/log.js';
import { openPlatform, type Platform } from '../platform.js';
import type { RunningRole } from '../role.js';
import { startApi } from '../roles/api.js';
import { isMetricsRequest, type Listening, type MetricsAnswer } from './messages.js';

export async function runApiWorker(config: Config): Promise<void> {
  const send = process.send?.bind(process);
  if (!cluster.worker || !send) throw new Error('runApiWorker runs in a cluster worker only');
  const log = createLogger(config.logLevel).child({ apiWorker: cluster.worker.id });
  // Set once the api listens; a signal before then has nothing to finish.
  const started: { platform?: Platform; api?: RunningRole } = {};
  let stopping = false;

  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    const { platform, api } = started;
    if (!platform || !api) process.exit(0);
    log.info({ signal }, 'shutting down: finishing the requests in hand');
    api
      .stop()
      .then(() => platform.close())
      .then(
        () => {
          log.info('stopped');
          process.exit(0);
        },
        (err: unknown) => {
          log.error({ err }, 'api worker failed to stop cleanly');
          process.exit(1);
        },
      );
  };
  // A terminal's Ctrl-C reaches every process of the group; the primary also forwards SIGTERM.
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));

  // Its open clients would keep a worker that failed to start running: it exits, and the
  // primary fails the start or counts a death.
  const failedToStart = (err: unknown): never => {
    log.error({ err }, 'api worker failed to start');
    process.exit(1);
  };
  // The primary has warned about development secrets and risky settings once for all.
  const platform = await openPlatform({ ...config, devDefaults: [], connectionWarnings: [] }, log).catch(failedToStart);
  const api = await startApi(platform).catch(failedToStart);
  Object.assign(started, { platform, api });
  process.on('message', (message) => {
    if (!isMetricsRequest(message)) return;
    void platform.metrics.getMetricsAsJSON().then((metrics) => {
      const answer: MetricsAnswer = { type: 'flashsale:metrics', requestId: message.requestId, metrics };
      send(answer);
    });
  });
  const listening: Listening = { type: 'flashsale:api-listening', port: api.port };
  send(listening);
}
